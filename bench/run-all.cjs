#!/usr/bin/env node
// `npm run bench [-- args]`: the main benchmark (bench/index.ts), the worker-thread one
// (bench/workers.ts), and the NATS round trip next to a bare `nc.request`
// (examples/nats/round-trip.ts, against a nats-server started here on a free loopback port;
// skipped with a message when nats-server is not installed). Same arguments for each
// (`--quick` in CI). Fails if any of them fails.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { createServer, connect } = require('node:net');
const { join } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const root = join(__dirname, '..');
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const runTs = (file, env = {}) =>
  spawnSync(process.execPath, [tsx, join(root, file), ...args], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  }).status ?? 1;

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
const accepting = (port) =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
    socket.on('error', () => resolve(false));
  });

async function main() {
  let status = 0;
  for (const file of ['bench/index.ts', 'bench/workers.ts', 'bench/observability.ts']) {
    if (args.includes('--report') && file !== 'bench/index.ts') continue; // --report only re-renders the doc
    if (runTs(file) !== 0) status = 1;
  }
  if (args.includes('--report')) process.exit(status);

  if (spawnSync('nats-server', ['--version']).status !== 0) {
    console.log('\nNATS round trip: skipped (nats-server is not installed; `apt-get install nats-server`)');
    process.exit(status);
  }
  const port = await freePort();
  const nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && !(await accepting(port)); i++) await sleep(50);
    console.log(`\nNATS round trip (nats-server on 127.0.0.1:${port}), one request at a time:`);
    if (
      runTs('examples/nats/round-trip.ts', { NATS_URL: `127.0.0.1:${port}`, N: quick ? '500' : '5000' }) !== 0
    ) {
      status = 1;
    }
  } finally {
    nats.kill();
  }
  process.exit(status);
}
void main();
