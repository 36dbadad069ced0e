/**
 * What lifecycle events and instrumentation cost, side by side in one run (part of
 * `npm run bench`): spark-channel as it was before they existed (the commit in BEFORE, compiled
 * from git), today's code with nobody listening, with `events$` subscribed, with a no-op
 * `instrument`, with an inspector watching (spark-channel/inspect), with OpenTelemetry metrics
 * recorded (spark-channel/otel's openTelemetryMetrics on the SDK's MeterProvider), and with
 * `events$` subscribed then unsubscribed again. Implementations take
 * turns round by round (rotated), so a noisy neighbour hits them all alike; reports the median
 * per message and the ratio to "before". No thresholds: the numbers go in docs/observability.md.
 *
 *   npm run bench                  full run (part of the whole bench)
 *   npm run bench -- --quick       small sizes (CI)
 *   npx tsx bench/observability.ts --help
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import type * as Lib from '../lib/index.js';
import type * as Inspect from '../lib/inspect/index.js';
import type * as Otel from '../lib/otel/index.js';
import { parseCli } from './cli.js';
import { newest } from './newest.js';
import { median, quantile, spread } from './stats.js';

/** The last commit before lifecycle events, dead letters and instrumentation (issue 8). */
const BEFORE = '85232c9';
const root = join(__dirname, '..');
const { quick } = parseCli(
  'bench/observability.ts',
  `usage: npx tsx bench/observability.ts [--quick]

What lifecycle events and instrumentation cost: spark-channel before they existed (commit
${BEFORE}), today's code with nobody listening, with events$ subscribed, with a no-op instrument,
with an inspector watching, with OpenTelemetry metrics on, and subscribed then unsubscribed. Writes bench/results/observability.json (full run only).

  --quick     small sizes (CI); writes bench/results/observability.tmp.json
  -h, --help  this text
`,
  { quick: { type: 'boolean', default: false } },
);
const tmp = join(root, '.tmp', 'bench-observability');

/** Compiles a lib/ directory as the package build does (CommonJS), unless it is up to date. */
function compile(name: string, libDir: string): typeof Lib {
  const dir = join(tmp, name);
  const out = join(dir, 'out');
  const entry = join(out, 'index.js');
  if (!existsSync(entry) || statSync(entry).mtimeMs < newest(libDir)) {
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'tsconfig.json');
    writeFileSync(
      config,
      JSON.stringify({
        extends: join(root, 'tsconfig.build.json'),
        compilerOptions: {
          rootDir: libDir,
          outDir: out,
          module: 'CommonJS',
          moduleResolution: 'Node10',
          declaration: false,
          declarationMap: false,
          sourceMap: false,
        },
        include: [libDir],
      }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      execFileSync(process.execPath, [tsc, '-p', config], { stdio: 'inherit' });
    } catch (error: unknown) {
      if (!existsSync(entry)) throw error;
    }
  }
  return createRequire(__filename)(entry) as typeof Lib;
}

function before(): typeof Lib {
  const src = join(tmp, 'before-src');
  if (!existsSync(join(src, 'lib', 'index.ts'))) {
    rmSync(src, { recursive: true, force: true });
    mkdirSync(src, { recursive: true });
    const archive = execFileSync('git', ['archive', BEFORE, 'lib'], { cwd: root, maxBuffer: 64 << 20 });
    execFileSync('tar', ['-x', '-C', src], { input: archive });
  }
  return compile('before', join(src, 'lib'));
}

interface Variant {
  readonly label: string;
  readonly lib: typeof Lib;
  /** Wires the variant's listeners (if any) onto a fresh module. */
  readonly options: () => Lib.SpawnModuleOptions<number>;
  readonly listen?: (server: Lib.ModuleServer<number, Error>) => void;
}

const noopInstrument: Lib.ModuleInstrumentation<number> = {
  sent: () => undefined,
  run: (_state, _message, handle) => handle(),
  settled: () => undefined,
};

interface Scenario {
  readonly label: string;
  readonly messages: number;
  run(lib: typeof Lib, variant: Variant): Promise<void>;
}

function spawn(variant: Variant, handler: Lib.SparkGenericModuleHandler<number, number>) {
  const module = variant.lib.spawnModule<number, number>(handler, variant.options());
  variant.listen?.(module.server);
  return module;
}

const syncHandler: Lib.SparkGenericModuleHandler<number, number> = {
  handleRequest: (m) => m + 1,
  handleCommand: () => undefined,
};
const asyncHandler: Lib.SparkGenericModuleHandler<number, number> = {
  handleRequest: async (m) => m + 1,
  handleCommand: async () => undefined,
};

function check(m: number, answer: number): void {
  if (answer !== m + 1) throw new Error(`wrong answer ${answer} to ${m}`);
}

const scenarios = (n: number): Scenario[] => [
  {
    label: `pipelined ${n} requests, sync handler`,
    messages: n,
    async run(_lib, variant) {
      const { dispatcher, server } = spawn(variant, syncHandler);
      const answers: Promise<number>[] = [];
      for (let m = 0; m < n; m++) answers.push(dispatcher.request(m));
      (await Promise.all(answers)).forEach((a, m) => check(m, a));
      server.stop();
    },
  },
  {
    label: `sequential ${n / 5} requests, async handler`,
    messages: n / 5,
    async run(_lib, variant) {
      const { dispatcher, server } = spawn(variant, asyncHandler);
      for (let m = 0; m < n / 5; m++) check(m, await dispatcher.request(m));
      server.stop();
    },
  },
  {
    label: `${n} commands, sync handler`,
    messages: n,
    async run(_lib, variant) {
      const { dispatcher, server } = spawn(variant, syncHandler);
      for (let m = 0; m < n; m++) void dispatcher.sendCommand(m);
      check(n, await dispatcher.request(n)); // in band: after every command
      server.stop();
    },
  },
];

async function main(): Promise<void> {
  const now = compile('now', join(root, 'lib'));
  // spark-channel/inspect from the same build: one inspector per module, closed with it.
  const { createInspector } = createRequire(__filename)(
    join(tmp, 'now', 'out', 'inspect', 'index.js'),
  ) as typeof Inspect;
  const { openTelemetryMetrics } = createRequire(__filename)(
    join(tmp, 'now', 'out', 'otel', 'index.js'),
  ) as typeof Otel;
  // The SDK aggregates every record as it comes; a reader that is never collected keeps the
  // export out of the measurement (a real exporter collects every few seconds, not per message).
  const { MeterProvider, MetricReader } = await import('@opentelemetry/sdk-metrics');
  class IdleReader extends MetricReader {
    protected override onForceFlush(): Promise<void> {
      return Promise.resolve();
    }
    protected override onShutdown(): Promise<void> {
      return Promise.resolve();
    }
  }
  const meter = new MeterProvider({ readers: [new IdleReader()] }).getMeter('bench');
  const old = before();
  let seen = 0;
  const variants: Variant[] = [
    { label: `before events (${BEFORE})`, lib: old, options: () => ({}) },
    { label: 'events off (nobody listens)', lib: now, options: () => ({}) },
    {
      label: 'events$ subscribed',
      lib: now,
      options: () => ({}),
      listen: (server) => void server.events$.subscribe(() => seen++),
    },
    { label: 'no-op instrument', lib: now, options: () => ({ instrument: noopInstrument }) },
    {
      label: 'inspector watching',
      lib: now,
      options: () => ({}),
      listen: (server) => {
        const inspector = createInspector();
        inspector.watch('bench', server);
        void server.stopped.then(() => inspector.close());
      },
    },
    {
      label: 'OpenTelemetry metrics on',
      lib: now,
      options: () => ({}),
      listen: (server) => void openTelemetryMetrics(server, { name: 'bench', meter }),
    },
    {
      label: 'events$ subscribed, then unsubscribed',
      lib: now,
      options: () => ({}),
      listen: (server) => server.events$.subscribe(() => seen++).unsubscribe(),
    },
  ];
  const n = quick ? 2_000 : 10_000;
  const rounds = quick ? 2 : 15;
  process.stdout.write(
    `\nLifecycle events: cost when off and on (${quick ? 'quick' : 'full'}, ${rounds} rounds, Node ${process.versions.node})\n`,
  );
  const results: { scenario: string; variant: string; medianUs: number; spread: number; ratio: number }[] =
    [];
  for (const scenario of scenarios(n)) {
    const samples = variants.map(() => [] as number[]);
    for (const variant of variants)
      for (let w = 0; w < (quick ? 1 : 3); w++) await scenario.run(variant.lib, variant);
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < variants.length; k++) {
        const i = (k + round) % variants.length;
        const variant = variants[i]!;
        const start = performance.now();
        await scenario.run(variant.lib, variant);
        samples[i]!.push(((performance.now() - start) * 1_000) / scenario.messages);
      }
    }
    const base = median(samples[0]!);
    process.stdout.write(`\n  ${scenario.label} (µs per message, median ± IQR/2, ratio to before)\n`);
    variants.forEach((variant, i) => {
      const m = median(samples[i]!);
      const row = {
        scenario: scenario.label,
        variant: variant.label,
        medianUs: m,
        spread: spread(samples[i]!),
        ratio: m / base,
      };
      results.push(row);
      process.stdout.write(
        `    ${variant.label.padEnd(40)} ${m.toFixed(3).padStart(8)} µs ±${(row.spread * 100).toFixed(0).padStart(2)}%  ${row.ratio.toFixed(2)}×\n`,
      );
    });
  }
  if (seen === 0) throw new Error('events$ subscribers saw nothing: the "on" variant measured nothing');

  // The off path, focused: the tightest loop, "before" and "events off" alternating many times;
  // each adjacent pair gives a ratio, so drift of the machine cancels out.
  const abRuns = quick ? 6 : 60;
  const tightest = scenarios(n)[0]!;
  const pairs: number[] = [];
  for (let r = 0; r < abRuns; r++) {
    const times: number[] = [0, 0];
    for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const variant = variants[i]!;
      const start = performance.now();
      await tightest.run(variant.lib, variant);
      times[i] = performance.now() - start;
    }
    pairs.push(times[1]! / times[0]!);
  }
  const offPath = {
    runs: abRuns,
    scenario: tightest.label,
    median: median(pairs),
    p25: quantile(pairs, 0.25),
    p75: quantile(pairs, 0.75),
  };
  process.stdout.write(
    `\n  off path, ${abRuns} alternating runs of ${tightest.label}: events off / before = ${offPath.median.toFixed(3)}× (interquartile ${offPath.p25.toFixed(3)}–${offPath.p75.toFixed(3)}×)\n`,
  );
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const file = join(root, 'bench', 'results', quick ? 'observability.tmp.json' : 'observability.json');
  writeFileSync(
    file,
    JSON.stringify({ node: process.versions.node, rounds, n, before: BEFORE, results, offPath }, null, 2) +
      '\n',
  );
  process.stdout.write(`\nwrote ${file.slice(root.length + 1)}\n`);
  if (!quick)
    writeDocTable(
      results,
      variants.map((v) => v.label),
      offPath,
    );
}

/** Rewrites the cost table of docs/observability.md between its markers, from this run. */
function writeDocTable(
  rows: readonly { scenario: string; variant: string; medianUs: number; ratio: number }[],
  labels: string[],
  offPath: { runs: number; scenario: string; median: number; p25: number; p75: number },
): void {
  const doc = join(root, 'docs', 'observability.md');
  const start = '<!-- observability-cost:start (written by bench/observability.ts) -->';
  const end = '<!-- observability-cost:end -->';
  const text = readFileSync(doc, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs/observability.md has lost its markers (${start})`);
  const scenarioNames = [...new Set(rows.map((r) => r.scenario))];
  const lines = [
    `| µs per message (ratio) | ${scenarioNames.join(' | ')} |`,
    `| --- | ${scenarioNames.map(() => '---:').join(' | ')} |`,
    ...labels.map((label) => {
      const cells = scenarioNames.map((scenario) => {
        const row = rows.find((r) => r.scenario === scenario && r.variant === label);
        return row === undefined ? '–' : `${row.medianUs.toFixed(2)} (${row.ratio.toFixed(2)}×)`;
      });
      return `| ${label} | ${cells.join(' | ')} |`;
    }),
    '',
    `Off path, focused: ${offPath.runs} alternating runs of ${offPath.scenario}, "events off" / "before" per ` +
      `pair: median ${offPath.median.toFixed(2)}× (interquartile ${offPath.p25.toFixed(2)}–${offPath.p75.toFixed(2)}×).`,
  ];
  writeFileSync(doc, `${text.slice(0, from + start.length)}\n\n${lines.join('\n')}\n\n${text.slice(to)}`);
  // The page is checked by prettier in `npm test`: align the table as it would.
  const prettier = join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
  execFileSync(process.execPath, [prettier, '--write', doc], { stdio: 'ignore' });
  process.stdout.write('rewrote the cost table of docs/observability.md\n');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `observability bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
