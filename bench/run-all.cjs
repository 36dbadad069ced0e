#!/usr/bin/env node
// `npm run bench [-- args]`: the main benchmark (bench/index.ts), the worker-thread one
// (bench/workers.ts), the cost of lifecycle events (bench/observability.ts), and the NATS round
// trip next to a bare `nc.request` (examples/nats/round-trip.ts, against a nats-server started
// here on a free loopback port; skipped with a message when nats-server is not installed), and
// the command throughput of core NATS, a bare JetStream publish and durable commands
// (bench/nats-commands.ts, against a nats-server -js it starts).
// Fails if any of them fails.
//
// The arguments go to bench/index.ts as they are: it parses them with `node:util` parseArgs
// (strict), refuses an unknown flag with a message and exit code 2 (and then nothing else runs)
// and prints the usage for --help. Only --quick reaches the other benches; the subset flags
// (--only, --scenario, --kind, --rounds, --source, --profile, --report) run bench/index.ts alone.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { createServer, connect } = require('node:net');
const { join } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { parseArgs } = require('node:util');

const args = process.argv.slice(2);
// Not strict: bench/index.ts is the one that refuses what it does not know.
const { values } = parseArgs({
  args,
  options: {
    quick: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    only: { type: 'string' },
    scenario: { type: 'string' },
    kind: { type: 'string' },
    rounds: { type: 'string' },
    source: { type: 'string' },
    profile: { type: 'boolean' },
    report: { type: 'boolean' },
  },
  strict: false,
  allowPositionals: true,
});
const quick = values.quick === true;
const subset = ['only', 'scenario', 'kind', 'rounds', 'source', 'profile', 'report'].some(
  (flag) => values[flag] !== undefined,
);
// `npm run bench --quick` (no `--`) hands the flag to npm, which keeps it as config.
for (const flag of ['quick', 'only', 'scenario', 'kind', 'rounds', 'source', 'profile', 'report']) {
  if (process.env[`npm_config_${flag}`] !== undefined && values[flag] === undefined) {
    console.error(
      `bench: npm took --${flag} for itself; pass flags after \`--\`: npm run bench -- --${flag}` +
        (process.env[`npm_config_${flag}`] === 'true' ? '' : `=${process.env[`npm_config_${flag}`]}`),
    );
    process.exit(2);
  }
}
const root = join(__dirname, '..');
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const runTs = (file, fileArgs, env = {}) =>
  spawnSync(process.execPath, [tsx, join(root, file), ...fileArgs], {
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
  const main = runTs('bench/index.ts', args);
  if (main === 2 || values.help === true || subset) process.exit(main); // a usage error, the usage, or a subset
  let status = main === 0 ? 0 : 1;
  for (const file of ['bench/workers.ts', 'bench/observability.ts']) {
    if (runTs(file, quick ? ['--quick'] : []) !== 0) status = 1;
  }

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
      runTs('examples/nats/round-trip.ts', [], {
        NATS_URL: `127.0.0.1:${port}`,
        N: quick ? '500' : '5000',
      }) !== 0
    ) {
      status = 1;
    }
  } finally {
    nats.kill();
  }
  // Command throughput: core NATS, a bare JetStream publish and durable commands (it starts its
  // own nats-server -js with a temp store; each implementation in its own child process).
  if (runTs('bench/nats-commands.ts', quick ? ['--quick'] : []) !== 0) status = 1;
  process.exit(status);
}
void main();
