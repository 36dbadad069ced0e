#!/usr/bin/env node
// Instructions per message, counted by valgrind (callgrind), for the bench's own implementations:
// a figure that does not move with the machine's load, so two builds or two implementations can
// be compared on a shared, busy machine where timings cannot (bench/notes.md, "Instruction
// counts"). Not a replacement for the timed bench: instructions are not time (cache misses, GC
// pauses and allocation pressure count only as the instructions they run).
//
//   node bench/instructions.cjs [--impl=floor-queue,minimal-design,spark-channel] [--scenario=sequential]
//                               [--kind=sync] [--entry=dist/cjs] [--n=50000]
//
// Each implementation runs in a fresh `node --single-threaded` (no background compiler threads,
// so the count repeats within about 1%) under callgrind, twice: after a 200,000-message warm-up,
// once with n messages and once with 2n; the difference over n is the steady-state cost of one
// message, with start-up, loading and warm-up cancelled out. It compiles the peers as the bench
// does (bench/build.ts, into .tmp/bench-js) and loads the spark-channel build `--entry`
// (dist/cjs by default: `npm run build`). Needs valgrind (Debian: apt-get install valgrind).
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { parseArgs } = require('node:util');

const root = join(__dirname, '..');
const SCENARIOS = ['sequential', 'pipelined', 'commands-fire-and-forget', 'commands-awaited'];

if (process.argv[2] === '--probe') {
  probe(process.argv[3], process.argv[4], process.argv[5], Number(process.argv[6])).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main();
}

function main() {
  const { values } = parseArgs({
    options: {
      impl: { type: 'string', default: 'floor-queue,minimal-design,spark-channel' },
      scenario: { type: 'string', default: 'sequential' },
      kind: { type: 'string', default: 'sync' },
      entry: { type: 'string', default: 'dist/cjs' },
      n: { type: 'string', default: '50000' },
    },
  });
  const n = Number(values.n);
  if (!Number.isInteger(n) || n < 1000)
    throw new RangeError(`Expected --n to be an integer ≥ 1000, got ${values.n}`);
  if (!SCENARIOS.includes(values.scenario))
    throw new RangeError(`Expected --scenario to be one of ${SCENARIOS.join(', ')}, got ${values.scenario}`);
  if (values.kind !== 'sync' && values.kind !== 'async')
    throw new RangeError(`Expected --kind to be sync or async, got ${values.kind}`);
  if (!existsSync(join(root, '.tmp/bench-js/peers/load.js')))
    throw new Error(
      'bench/instructions.cjs: run `npm run bench -- --quick` once first (it compiles the peers)',
    );
  if (spawnSync('valgrind', ['--version']).status !== 0)
    throw new Error('bench/instructions.cjs: valgrind is not installed');
  const entry = resolve(root, values.entry);
  const rows = [];
  for (const impl of values.impl.split(',')) {
    const count = (messages) => callgrind(impl, values.scenario, values.kind, messages, entry);
    const perMessage = (count(2 * n) - count(n)) / n;
    rows.push([impl, perMessage]);
    console.log(`${impl.padEnd(32)} ${perMessage.toFixed(0).padStart(8)} instructions / message`);
  }
  const base = rows[0][1];
  for (const [impl, value] of rows.slice(1))
    console.log(`${impl} / ${rows[0][0]}: ${(value / base).toFixed(2)}×`);
}

function callgrind(impl, scenario, kind, messages, entry) {
  const run = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      process.execPath,
      '--single-threaded',
      __filename,
      '--probe',
      impl,
      scenario,
      kind,
      String(messages),
    ],
    { encoding: 'utf8', env: { ...process.env, BENCH_SPARK_ENTRY: join(entry, 'index.js') } },
  );
  const match = /Collected : (\d+)/.exec(run.stderr);
  if (run.status !== 0 || match === null)
    throw new Error(`callgrind run of ${impl} failed:\n${run.stderr.slice(-2000)}`);
  return Number(match[1]);
}

/** The child: one implementation, warmed up, then `messages` of the scenario. */
async function probe(impl, scenario, kind, messages) {
  const { loadPeer } = require(join(root, '.tmp/bench-js/peers/load.js'));
  const { Workload } = require(join(root, '.tmp/bench-js/workload.js'));
  const workload = new Workload(kind);
  const bus = await loadPeer(impl).create(workload.handler, () => workload.next());
  const once = async (count) => {
    switch (scenario) {
      case 'sequential':
        for (let i = 0; i < count; i++) {
          const m = workload.next();
          Workload.check(m, await bus.request(m));
        }
        return;
      case 'pipelined':
        for (let done = 0; done < count; done += 10_000) {
          const pending = [];
          for (let i = 0; i < 10_000; i++) pending.push(bus.request(workload.next()));
          await Promise.all(pending);
        }
        return;
      case 'commands-fire-and-forget':
        for (let i = 0; i < count; i++) bus.command(workload.next());
        await bus.drain();
        return;
      case 'commands-awaited':
        for (let i = 0; i < count; i++) await bus.command(workload.next());
        await bus.drain();
        return;
    }
  };
  await once(200_000);
  await once(messages);
  await bus.close();
}
