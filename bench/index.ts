/**
 * `npm run bench`: spark-channel side by side with a hand-written floor and its peers, in one
 * run. Prints a table per scenario, writes bench/results/latest.json and regenerates
 * docs/benchmarks.md and docs/benchmarks.svg.
 *
 *   npm run bench                 the full run (a few minutes)
 *   npm run bench -- --quick      small sizes, few iterations: proves it works (CI)
 *   npm run bench -- --only=floor-queue,spark-channel   a subset (does not touch the docs)
 *   npm run bench -- --profile    CPU and allocation profile of spark-channel (--profile=<id> adds a peer)
 *   npm run bench -- --report     re-render the docs from bench/results/latest.json (runs nothing)
 *   npm run bench -- --source=tsx  measure lib/ through tsx's transform instead of tsc's output
 *   npm run bench -- --source=dist measure the existing build in dist/cjs
 *
 * Exits non-zero when an answer is wrong, a message is lost or reordered, or spark-channel or
 * the floor fails; a peer's own failure (e.g. textbook RxJS overflowing its stack) is recorded.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { SingleBar } from 'cli-progress';

import { FULL, QUICK } from './config.js';
import { machine } from './machine.js';
import { PEERS } from './peers/index.js';
import { SPARK_SOURCE } from './peers/spark-channel.js';
import { printScenario, printTargets } from './report/console.js';
import { type Report, writeDocs } from './report/markdown.js';
import { profile } from './profile.js';
import { type Progress, recordStray, Runner, unattributedStrays } from './runner.js';
import { timeScenarios } from './scenarios.js';
import { evaluateTargets } from './targets.js';
import type { HandlerKind } from './workload.js';

const root = join(__dirname, '..');
const args = process.argv.slice(2);

// The heap scenario needs a real GC between measurements: re-run under --expose-gc.
if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', process.argv[1]!, ...args], {
    stdio: 'inherit',
    cwd: root,
  });
  process.exit(child.status ?? 1);
}

function progress(): Progress {
  if (!process.stderr.isTTY) {
    let last = '';
    return {
      start: () => undefined,
      step: (label) => {
        const scenario = label.split(' ').slice(0, 2).join(' ');
        if (scenario !== last) process.stderr.write(`  running ${scenario}…\n`);
        last = scenario;
      },
      stop: () => undefined,
    };
  }
  const bar = new SingleBar({
    format: '  {bar} {percentage}% | {value}/{total} | {label}',
    stream: process.stderr,
    hideCursor: true,
  });
  return {
    start: (total) => bar.start(total, 0, { label: '' }),
    step: (label) => bar.increment({ label }),
    stop: () => bar.stop(),
  };
}

async function main(): Promise<void> {
  const config = args.includes('--quick') ? QUICK : FULL;
  const only = args
    .find((a) => a.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const peers =
    only === undefined ? PEERS : PEERS.filter((p) => only.includes(p.id) || p.id === 'floor-queue');
  process.on('uncaughtException', recordStray);
  process.on('unhandledRejection', recordStray);
  if (args.includes('--report')) {
    // Re-renders the docs from the last full run (after editing bench/notes.md), runs nothing.
    const last = JSON.parse(readFileSync(join(root, 'bench', 'results', 'latest.json'), 'utf8')) as Report;
    writeDocs(root, last, PEERS);
    process.stdout.write(
      'rewrote docs/benchmarks.md and docs/benchmarks.svg from bench/results/latest.json\n',
    );
    process.exit(0);
  }
  if (args.some((a) => a.startsWith('--profile'))) {
    await profile(config, PEERS, root);
    process.exit(0);
  }

  const facts = machine();
  process.stdout.write(
    `spark-channel bench (${config.quick ? 'quick' : 'full'}, spark-channel from ${SPARK_SOURCE}): ${facts.cpus} × ${facts.cpuModel}, Node ${facts.node}, rxjs ${facts.versions['rxjs']}\n`,
  );
  const scenarios = timeScenarios(config);
  const kinds: HandlerKind[] = ['sync', 'async'];
  const bar = progress();
  const steps =
    scenarios.length * kinds.length * config.rounds * peers.length + config.heapSamples * peers.length;
  bar.start(steps);
  const runner = new Runner(config, peers, bar);
  const started = Date.now();
  for (const scenario of scenarios) {
    for (const kind of kinds) {
      const result = await runner.time(scenario, kind);
      bar.stop();
      printScenario(result, peers);
      bar.start(steps);
    }
  }
  printScenario(await runner.heap(), peers);
  bar.stop();

  const headline = scenarios.find((s) => s.group === 'pipelined' && s.messages === config.pipelined[1])!.id;
  const targets = evaluateTargets(runner.results, headline);
  printTargets(targets);
  for (const error of unattributedStrays()) {
    runner.fatal.push(`uncaught error outside any implementation: ${String(error)}`);
  }

  const seconds = Math.round((Date.now() - started) / 1000);
  const report = {
    config: { ...config, iterations: undefined },
    machine: facts,
    source: SPARK_SOURCE,
    seconds,
    headline,
    results: runner.results,
    targets,
    fatal: runner.fatal,
  };
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const partial = only !== undefined || SPARK_SOURCE !== 'build';
  const file = config.quick ? 'quick.tmp.json' : partial ? 'subset.tmp.json' : 'latest.json';
  writeFileSync(join(root, 'bench', 'results', file), JSON.stringify(report, null, 2) + '\n');
  const docs = !config.quick && !partial;
  if (docs) writeDocs(root, report, peers);
  process.stdout.write(
    `\nwrote bench/results/${file}${docs ? ', docs/benchmarks.md, docs/benchmarks.svg' : ''} (${seconds} s)\n`,
  );

  if (runner.fatal.length > 0) {
    process.stderr.write(`\nbench FAILED:\n${runner.fatal.map((f) => `  - ${f}`).join('\n')}\n`);
    process.exit(1);
  }
  process.exit(0); // a peer that lost messages may keep the loop alive
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
