#!/usr/bin/env node
// Checks the package a user would install, not the work tree: packs the tarball, lints it with
// publint and @arethetypeswrong/cli, then unpacks it beside a copy of rxjs and runs a request
// round trip from a plain Node ESM script and from a CommonJS require.
'use strict';
const { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');
const { execFileSync } = require('node:child_process');

const root = join(__dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args, cwd = root) => execFileSync(cmd, args, { cwd, stdio: 'inherit' });

const work = mkdtempSync(join(tmpdir(), 'spark-channel-pack-'));
try {
  const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root })
    .toString()
    .trim()
    .split('\n')
    .pop();
  const tarball = join(work, packed);
  console.log(`packed ${packed}`);

  run(bin('publint'), ['run', '--strict', tarball]);
  run(bin('attw'), [tarball, '--format', 'table-flipped', '--profile', 'node16']);

  const app = join(work, 'app');
  const installed = join(app, 'node_modules', 'spark-channel');
  mkdirSync(installed, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  symlinkSync(join(root, 'node_modules', 'rxjs'), join(app, 'node_modules', 'rxjs'), 'dir');

  const roundTrip = (load) => `
${load}
const { dispatcher, server } = spawnModule({
  handleRequest: (m) => m * 2,
  handleCommand: () => { throw new Error('no commands'); },
}, { logger: { error() {} } });
const errors = [];
server.errors$.subscribe((e) => errors.push(e.kind));
Promise.all([dispatcher.request(21), dispatcher.sendCommand(1)])
  .then(async ([answer]) => {
    await dispatcher.shutdown();
    if (answer !== 42 || errors.join() !== 'command' || server.isRunning) throw new Error('round trip failed');
    if (!(new SparkChannelError('TIMEOUT', 'x') instanceof Error)) throw new Error('bad error class');
    console.log('${'${FORMAT}'} import ok: 21 * 2 =', answer);
  })
  .catch((error) => { console.error(error); process.exit(1); });
`;
  writeFileSync(
    join(app, 'esm.mjs'),
    roundTrip(`import { spawnModule, SparkChannelError } from 'spark-channel';`).replace('${FORMAT}', 'ESM'),
  );
  writeFileSync(
    join(app, 'cjs.cjs'),
    roundTrip(`const { spawnModule, SparkChannelError } = require('spark-channel');`).replace(
      '${FORMAT}',
      'CommonJS',
    ),
  );
  run(process.execPath, ['esm.mjs'], app);
  run(process.execPath, ['cjs.cjs'], app);
} finally {
  rmSync(work, { recursive: true, force: true });
}
