/**
 * `npm run bench`: spark-channel side by side with a hand-written floor and its peers. Every
 * (implementation, scenario, handler kind) is measured in a child process of its own, once per
 * round, in an order rotated from round to round (bench/runner.ts); prints a table per scenario,
 * writes bench/results/latest.json and bench/targets.md and regenerates docs/benchmarks.md and
 * docs/benchmarks.svg. Exits non-zero when an answer is wrong, a message is lost or reordered,
 * or spark-channel or the floor fails; a peer's own failure (e.g. textbook RxJS overflowing its
 * stack) is recorded. Exits 2 on a flag it does not know.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

import { SingleBar } from 'cli-progress';

import { prepareHarness, prepareSpark, type SparkSource } from './build.js';
import { parseCli, positiveInteger, refuse } from './cli.js';
import { configFor } from './config.js';
import { FANOUT_PEERS } from './fanout/peers/index.js';
import { fanoutScenarios, HEAP_COMMAND, HEAP_EVENT } from './fanout/scenarios.js';
import { machine } from './machine.js';
import { PEERS } from './peers/index.js';
import { SPARK_ENTRY_ENV } from './peers/spark-channel.js';
import { printScenario, printTargets } from './report/console.js';
import { type Report, writeDocs, writeTargets } from './report/markdown.js';
import { type ChildSpec, type Progress, Runner } from './runner.js';
import { timeScenarios } from './scenarios.js';
import { evaluateTargets } from './targets.js';
import type { HandlerKind } from './workload.js';

const root = join(__dirname, '..');

const USAGE = `usage: npm run bench -- [flags]

  (no flags)            the full run: every implementation, scenario and handler kind, each
                        in its own child process, 7 rounds; regenerates docs/benchmarks.md,
                        docs/benchmarks.svg and bench/targets.md (takes a while)
  --quick               small sizes, 2 rounds: proves every implementation answers correctly
                        and in order (CI); writes bench/results/quick.tmp.json only
  --only=<id>,<id>      floor-queue plus these implementations (does not touch the docs)
  --scenario=<id>,<id>  only these scenarios (ids as in bench/results/*.json; 'heap' for the
                        heap per pending request; 'fanout' for every event bus scenario:
                        fanout-observers-N, fanout-modules-N, heap-event, heap-command;
                        does not touch the docs)
  --kind=sync|async     only this handler kind (the fan-out scenarios are sync only; does not
                        touch the docs)
  --rounds=<n>          this many rounds instead of the default (does not touch the docs)
  --source=dist|build|tsx
                        the spark-channel measured: dist (default when built: a snapshot of
                        dist/cjs, what users get), build (lib/ compiled by tsc into
                        .tmp/bench-lib, the default without a build), tsx (lib/ through tsx)
  --profile             CPU and allocation profiles instead of timings, one child process per
                        implementation (spark-channel, or --only's), scenario and kind
  --report              re-render the docs from bench/results/latest.json (runs nothing)
  -h, --help            this text

npm run bench also runs bench/workers.ts, bench/observability.ts and the NATS round trip
(only --quick and --help reach those; the subset flags above run this bench alone).
Flags go after \`--\` (npm keeps the ones before it for itself).
`;

const NAME = 'bench';

function progress(): Progress {
  if (!process.stderr.isTTY) {
    let last = '';
    return {
      start: () => undefined,
      step: (label) => {
        const scenario = label.split(' ').slice(0, 2).join(' ');
        if (scenario !== last) process.stderr.write(`  measured ${scenario}…\n`);
        last = scenario;
      },
      stop: () => undefined,
    };
  }
  const bar = new SingleBar({
    format: '  {bar} {percentage}% | {value}/{total} child processes | {label}',
    stream: process.stderr,
    hideCursor: true,
  });
  let running = false;
  let total = 0;
  let done = 0;
  return {
    start: (n) => {
      total = n;
      bar.start(total, done, { label: '' });
      running = true;
    },
    step: (label) => {
      done++;
      if (!running) {
        bar.start(total, done, { label });
        running = true;
      } else bar.increment({ label });
    },
    stop: () => {
      if (running) bar.stop();
      running = false;
    },
  };
}

const list = (value: string | undefined): string[] | undefined =>
  value === undefined ? undefined : value.split(',').filter((s) => s !== '');

async function main(): Promise<void> {
  const values = parseCli(NAME, USAGE, {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    scenario: { type: 'string' },
    kind: { type: 'string' },
    rounds: { type: 'string' },
    source: { type: 'string' },
    profile: { type: 'boolean', default: false },
    report: { type: 'boolean', default: false },
  });
  const source = values.source as SparkSource | undefined;
  if (source !== undefined && !['dist', 'build', 'tsx'].includes(source)) {
    refuse(NAME, `--source must be dist, build or tsx, got '${source}'`);
  }
  if (values.kind !== undefined && values.kind !== 'sync' && values.kind !== 'async') {
    refuse(NAME, `--kind must be sync or async, got '${values.kind}'`);
  }
  const rounds = positiveInteger(NAME, 'rounds', values.rounds);
  const config = configFor(values.quick, rounds);
  const only = list(values.only);
  const knownPeers = [...new Set([...PEERS, ...FANOUT_PEERS].map((p) => p.id))];
  const unknownPeer = only?.find((id) => !knownPeers.includes(id));
  if (unknownPeer !== undefined) {
    refuse(NAME, `--only: no implementation '${unknownPeer}' (known: ${knownPeers.join(', ')})`);
  }
  const scenarios = timeScenarios(config);
  const fanouts = fanoutScenarios(config);
  const fanoutIds = [...fanouts.map((s) => s.id), HEAP_EVENT, HEAP_COMMAND];
  // 'fanout' stands for the whole event bus family.
  const wanted = list(values.scenario)?.flatMap((id) => (id === 'fanout' ? fanoutIds : [id]));
  const knownScenarios = [...scenarios.map((s) => s.id), 'heap', ...fanoutIds];
  const unknownScenario = wanted?.find((id) => !knownScenarios.includes(id));
  if (unknownScenario !== undefined) {
    refuse(
      NAME,
      `--scenario: no scenario '${unknownScenario}' (known: ${[...knownScenarios, 'fanout'].join(', ')})`,
    );
  }

  if (values.report) {
    // Re-renders the docs from the last full run (after editing bench/notes.md), runs nothing.
    // The targets are evaluated again, so that a target added since that run is listed (without
    // a figure, if the run did not measure it).
    const stored = JSON.parse(readFileSync(join(root, 'bench', 'results', 'latest.json'), 'utf8')) as Report;
    const last: Report = { ...stored, targets: evaluateTargets(stored.results, stored.headline) };
    writeDocs(root, last, PEERS);
    writeTargets(root, last);
    process.stdout.write(
      'rewrote docs/benchmarks.md, docs/benchmarks.svg and bench/targets.md from bench/results/latest.json\n',
    );
    return;
  }

  const spark = prepareSpark(root, source);
  const child: ChildSpec = {
    script: prepareHarness(root),
    nodeArgs: spark.nodeArgs,
    env: { ...process.env, [SPARK_ENTRY_ENV]: spark.entry },
    cwd: root,
  };
  if (spark.warning !== undefined) process.stderr.write(`bench: note: ${spark.warning}\n`);

  if (values.profile) {
    await profileAll(child, config.quick, only, wanted, values.kind as HandlerKind | undefined);
    return;
  }

  const peers =
    only === undefined ? PEERS : PEERS.filter((p) => only.includes(p.id) || p.id === 'floor-queue');
  const chosen = wanted === undefined ? scenarios : scenarios.filter((s) => wanted.includes(s.id));
  const kinds: HandlerKind[] = values.kind === undefined ? ['sync', 'async'] : [values.kind as HandlerKind];
  const withHeap = wanted === undefined || wanted.includes('heap');
  // The event bus family: its own implementations (mitt joins, the mailbox-only peers do not),
  // synchronous listeners only.
  const fanPeers =
    only === undefined
      ? FANOUT_PEERS
      : FANOUT_PEERS.filter((p) => only.includes(p.id) || p.id === 'floor-queue');
  const withFanout = values.kind !== 'async';
  const fanChosen = !withFanout
    ? []
    : wanted === undefined
      ? fanouts
      : fanouts.filter((s) => wanted.includes(s.id));
  const fanHeaps = !withFanout
    ? []
    : [HEAP_EVENT, HEAP_COMMAND].filter((id) => wanted === undefined || wanted.includes(id));
  const facts = machine();
  const load = { before: os.loadavg(), after: [] as number[], during: [] as number[] };
  // The 1-minute load average every 15 s: how busy the shared machine was while it measured.
  const sampler = setInterval(() => load.during.push(os.loadavg()[0]!), 15_000).unref();
  process.stdout.write(
    `spark-channel bench (${config.quick ? 'quick' : 'full'}, ${config.rounds} rounds, one child process per measurement): ` +
      `${facts.cpus} × ${facts.cpuModel}, Node ${facts.node}, load average ${load.before.map((l) => l.toFixed(2)).join(' ')}\n` +
      `spark-channel measured: ${spark.description} [sha256 ${spark.hash}]\n`,
  );

  const bar = progress();
  const steps =
    chosen.reduce((sum, s) => sum + Runner.steps(config, peers, s), 0) * kinds.length +
    (withHeap ? config.heapSamples * peers.filter((p) => p.mailbox).length : 0) +
    fanChosen.reduce((sum, s) => sum + Runner.steps(config, fanPeers, s), 0) +
    fanHeaps.length * config.heapSamples * fanPeers.filter((p) => p.mailbox).length;
  bar.start(steps);
  const runner = new Runner(config, peers, bar, child);
  const fanRunner = new Runner(config, fanPeers, bar, child);
  const started = Date.now();
  for (const scenario of chosen) {
    for (const kind of kinds) {
      const result = await runner.time(scenario, kind);
      bar.stop();
      printScenario(result, peers);
      bar.start(steps);
    }
  }
  if (withHeap) printScenario(await runner.heap(), peers);
  for (const scenario of fanChosen) {
    const result = await fanRunner.time(scenario, 'sync');
    bar.stop();
    printScenario(result, fanPeers);
    bar.start(steps);
  }
  const n = config.heapPending.toLocaleString('en-US');
  const unqueued = 'no mailbox: an event is handled at once, nothing queues';
  for (const id of fanHeaps) {
    const result = await fanRunner.sampled(
      id === HEAP_EVENT
        ? {
            id,
            group: 'event-heap',
            title: `Heap retained per pending event per module subscriber (${n} events queued behind ${config.heapSubscribers} blocked modules)`,
            unit: 'bytes / event / subscriber',
            messages: config.heapPending,
            unqueued,
          }
        : {
            id,
            group: 'event-heap',
            title: `Heap retained per pending command (${n} commands queued behind a blocked module)`,
            unit: 'bytes / command',
            messages: config.heapPending,
            unqueued,
          },
    );
    bar.stop();
    printScenario(result, fanPeers);
    bar.start(steps);
  }
  bar.stop();
  const results = [...runner.results, ...fanRunner.results];
  const fatal = [...runner.fatal, ...fanRunner.fatal];
  load.after = os.loadavg();
  clearInterval(sampler);

  const headline = scenarios.find((s) => s.group === 'pipelined' && s.messages === config.pipelined[1])!.id;
  const targets = evaluateTargets(results, headline);
  const partial =
    only !== undefined ||
    wanted !== undefined ||
    values.kind !== undefined ||
    rounds !== undefined ||
    spark.source === 'tsx';
  if (!partial) printTargets(targets); // bench/targets.md; a subset lacks most of their figures

  const seconds = Math.round((Date.now() - started) / 1000);
  const report: Report = {
    config: (({ iterations: _, ...rest }) => rest)(config),
    machine: facts,
    source: spark.source,
    spark: {
      description: spark.description,
      hash: spark.hash,
      ...(spark.warning ? { warning: spark.warning } : {}),
    },
    loadAverage: load,
    seconds,
    headline,
    results,
    targets,
    fatal,
  };
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const file = config.quick ? 'quick.tmp.json' : partial ? 'subset.tmp.json' : 'latest.json';
  writeFileSync(join(root, 'bench', 'results', file), JSON.stringify(report, null, 2) + '\n');
  const docs = !config.quick && !partial;
  if (docs) {
    writeDocs(root, report, peers);
    writeTargets(root, report);
  }
  process.stdout.write(
    `\nwrote bench/results/${file}${docs ? ', docs/benchmarks.md, docs/benchmarks.svg, bench/targets.md' : ''} (${seconds} s; ` +
      `load average before ${load.before.map((l) => l.toFixed(2)).join(' ')}, after ${load.after.map((l) => l.toFixed(2)).join(' ')})\n`,
  );

  if (fatal.length > 0) {
    process.stderr.write(`\nbench FAILED:\n${fatal.map((f) => `  - ${f}`).join('\n')}\n`);
    process.exit(1);
  }
}

/** `--profile`: one child per implementation, scenario and kind, its output shown as it comes. */
async function profileAll(
  child: ChildSpec,
  quick: boolean,
  only: string[] | undefined,
  wanted: string[] | undefined,
  kind: HandlerKind | undefined,
): Promise<void> {
  const { spawnSync } = await import('node:child_process');
  const config = configFor(quick);
  const ids = only ?? ['spark-channel'];
  // Fan-out scenarios are profiled when named (sync listeners only); heap ones are not timed.
  const fanouts = fanoutScenarios(config).filter((s) => wanted?.includes(s.id) === true);
  const scenarios = timeScenarios(config).filter((s) =>
    wanted !== undefined
      ? wanted.includes(s.id)
      : s.group === 'sequential' ||
        s.group === 'commands' ||
        (s.group === 'pipelined' && s.messages === config.pipelined[1]),
  );
  let status = 0;
  const profile = (args: string[]): void => {
    const run = spawnSync(process.execPath, [...args, ...(quick ? ['--quick'] : [])], {
      cwd: child.cwd,
      env: child.env,
      stdio: 'inherit',
    });
    if (run.status !== 0) status = 1;
  };
  for (const id of ids) {
    for (const scenario of scenarios) {
      for (const k of kind === undefined ? (['sync', 'async'] as const) : [kind]) {
        const args = [
          ...child.nodeArgs,
          child.script,
          `--peer=${id}`,
          `--scenario=${scenario.id}`,
          `--kind=${k}`,
          '--profile',
        ];
        profile(args);
      }
    }
    for (const scenario of fanouts) {
      profile([...child.nodeArgs, child.script, `--peer=${id}`, `--scenario=${scenario.id}`, '--profile']);
    }
  }
  process.stdout.write(`\nraw profiles in ${join(root, '.tmp', 'bench-profiles')}\n`);
  process.exit(status);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
