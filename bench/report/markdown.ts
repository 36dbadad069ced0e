/** Regenerates docs/benchmarks.md (and the chart) from one run's report. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { SparkSource } from '../build.js';
import type { Config } from '../config.js';
import type { Machine } from '../machine.js';
import type { FanoutPeer } from '../fanout/peer.js';
import { FANOUT_PEERS } from '../fanout/peers/index.js';
import { MINIMAL_DESIGN, FLOOR, type Peer, SPARK, SPARK_TIMEOUT } from '../peers/index.js';
import type { Cell, ScenarioResult } from '../runner.js';
import { isFanoutGroup, pairedRatio, type TargetResult } from '../targets.js';
import { cellStatus, formatRatio, formatSpread, formatValue } from './format.js';
import { median } from '../stats.js';
import { chart } from './svg.js';

export interface Report {
  readonly config: Omit<Config, 'iterations'>;
  readonly machine: Machine;
  /** Which spark-channel was measured: the dist/cjs build, lib/ compiled by tsc, or lib/ through tsx. */
  readonly source: SparkSource;
  readonly spark?: { readonly description: string; readonly hash: string; readonly warning?: string };
  /** `os.loadavg()` (1, 5, 15 minutes) when the run started and when it ended. */
  readonly loadAverage?: {
    readonly before: readonly number[];
    readonly after: readonly number[];
    /** The 1-minute load average sampled every 15 s during the run. */
    readonly during?: readonly number[];
  };
  readonly seconds: number;
  readonly headline: string;
  readonly results: readonly ScenarioResult[];
  readonly targets: readonly TargetResult[];
  readonly fatal: readonly string[];
}

const escape = (text: string): string => text.replace(/\|/g, '\\|');

function label(peers: readonly Peer[], id: string): string {
  return peers.find((p) => p.id === id)?.label ?? id;
}

function figure(cell: Cell | undefined, unit: string): [string, string, string] {
  if (cell === undefined) return ['—', '', ''];
  if (cell.median === undefined) return [escape(cellStatus(cell)), '', ''];
  const value = formatValue(cell.median, unit);
  const failed = cell.status === 'failed' ? ` (${escape(cellStatus(cell))})` : '';
  return [`${value}${failed}`, formatSpread(cell.spread), formatRatio(cell.ratio)];
}

function scenarioTable(results: readonly ScenarioResult[], peers: readonly Peer[]): string {
  const sync = results.find((r) => r.kind === 'sync');
  const async = results.find((r) => r.kind === 'async');
  const lines = [
    '| implementation | sync handler | spread | × floor | async handler | spread | × floor |',
    '|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const peer of peers) {
    const s = figure(
      sync?.cells.find((c) => c.peer === peer.id),
      sync?.unit ?? '',
    );
    const a = figure(
      async?.cells.find((c) => c.peer === peer.id),
      async?.unit ?? '',
    );
    const name = peer.id === SPARK || peer.id === FLOOR ? `**${peer.label}**` : peer.label;
    lines.push(`| ${name} | ${s.join(' | ')} | ${async === undefined ? '| |' : a.join(' | ')} |`);
  }
  return lines.join('\n');
}

function heapTable(result: ScenarioResult, peers: readonly Peer[]): string {
  const lines = [
    '| implementation | bytes per pending request | spread | × floor | note |',
    '|---|--:|--:|--:|---|',
  ];
  for (const cell of result.cells) {
    const note = cell.status === 'ok' ? '' : escape(cellStatus(cell));
    const value = cell.median === undefined ? '—' : formatValue(cell.median, result.unit);
    lines.push(
      `| ${label(peers, cell.peer)} | ${value} | ${formatSpread(cell.spread)} | ${formatRatio(cell.ratio)} | ${note} |`,
    );
  }
  return lines.join('\n');
}

function guaranteesTable(peers: readonly Peer[]): string {
  const lines = [
    '| implementation | wiring in the bench | ordering | typed replies | backpressure | cancellation | failure isolation |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const p of peers) {
    const g = p.guarantees;
    lines.push(
      `| ${p.label} | ${escape(p.wiring)} | ${escape(g.ordering)} | ${escape(g.typedReplies)} | ${escape(g.backpressure)} | ${escape(g.cancellation)} | ${escape(g.isolation)} |`,
    );
  }
  return lines.join('\n');
}

function find(report: Report, id: string, kind: 'sync' | 'async', peer: string): Cell | undefined {
  return report.results.find((r) => r.id === id && r.kind === kind)?.cells.find((c) => c.peer === peer);
}

function headlineText(report: Report): string {
  const parts: string[] = [];
  const seq = find(report, 'sequential', 'sync', SPARK);
  const pipe = find(report, report.headline, 'sync', SPARK);
  const awaited = find(report, 'commands-awaited', 'sync', SPARK);
  const fire = find(report, 'commands-fire-and-forget', 'sync', SPARK);
  const heap = find(report, 'heap', 'sync', SPARK);
  if (seq?.median !== undefined)
    parts.push(
      `a sequential round trip costs ${formatValue(seq.median, 'µs')} (${formatRatio(seq.ratio)} the floor)`,
    );
  if (pipe?.median !== undefined)
    parts.push(`a pipelined request ${formatValue(pipe.median, 'µs')} (${formatRatio(pipe.ratio)})`);
  if (awaited?.median !== undefined)
    parts.push(`an awaited command ${formatValue(awaited.median, 'µs')} (${formatRatio(awaited.ratio)})`);
  if (fire?.median !== undefined)
    parts.push(`a fire-and-forget command ${formatValue(fire.median, 'µs')} (${formatRatio(fire.ratio)})`);
  if (heap?.median !== undefined)
    parts.push(`a pending request holds ${formatValue(heap.median, 'bytes')} (${formatRatio(heap.ratio)})`);
  return `With a synchronous handler, ${parts.join('; ')}.`;
}

/** The columns of the at-a-glance table: the scenarios a reader compares first. */
function glanceColumns(report: Report): [string, string][] {
  return [
    ['sequential', 'sequential request'],
    [
      report.headline,
      `${(report.results.find((r) => r.id === report.headline)?.messages ?? 0).toLocaleString('en-US')} requests at once`,
    ],
    ['commands-awaited', 'command, send awaited'],
    ['commands-fire-and-forget', 'command, fire-and-forget'],
    ['clients-8', '8 client loops'],
    ['heap', 'heap per pending request'],
  ];
}

function glanceCell(cell: Cell | undefined, unit: string, floor: boolean): string {
  if (cell === undefined || cell.status === 'n/a') return '—';
  if (cell.median === undefined) return cell.status === 'failed' ? 'failed' : '—';
  const value = unit.startsWith('bytes') ? formatValue(cell.median, unit) : formatValue(cell.median, 'µs');
  const failed = cell.status === 'failed' ? ', failed' : '';
  return floor ? `${value}${failed}` : `${value} (${formatRatio(cell.ratio)}${failed})`;
}

/** Every implementation measured, in one table: the median per message and the ratio to the floor. */
function glanceTable(report: Report, peers: readonly Peer[], kind: 'sync' | 'async'): string {
  const columns = glanceColumns(report);
  const lines = [
    `| implementation | ${columns.map(([, title]) => title).join(' | ')} |`,
    `|---|${columns.map(() => '--:').join('|')}|`,
  ];
  for (const peer of peers) {
    const cells = columns.map(([id]) => {
      const result = report.results.find((r) => r.id === id && r.kind === (id === 'heap' ? 'sync' : kind));
      return glanceCell(
        result?.cells.find((c) => c.peer === peer.id),
        result?.unit ?? '',
        peer.id === FLOOR,
      );
    });
    const name = peer.id === SPARK || peer.id === FLOOR ? `**${peer.label}**` : peer.label;
    lines.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** What `timeoutMs` + `signal` on every request costs: its time over the default's, paired by round. */
function timeoutCost(report: Report): string {
  return pairedCost(report, SPARK_TIMEOUT, SPARK, (r) => r.group !== 'commands');
}

/** spark-channel over the minimal implementation of its design, paired by round. */
function designCost(report: Report): string {
  return pairedCost(report, SPARK, MINIMAL_DESIGN, (r) => r.id !== 'heap');
}

function pairedCost(
  report: Report,
  peer: string,
  base: string,
  include: (r: ScenarioResult) => boolean,
): string {
  const rows: string[] = [];
  for (const r of report.results) {
    if (!include(r)) continue;
    const ratio = pairedRatio(
      r.cells.find((c) => c.peer === peer),
      r.cells.find((c) => c.peer === base),
    );
    if (ratio !== undefined)
      rows.push(`${r.id === 'heap' ? 'heap' : `${r.id} (${r.kind})`} ${formatRatio(ratio)}`);
  }
  return rows.join(', ');
}

function targetTable(targets: readonly TargetResult[]): string {
  const lines = ['| target | handler | measured | limit | result |', '|---|---|---|---|---|'];
  for (const t of targets) {
    const verdict = t.met === undefined ? '❔ no figure' : t.met ? '✅ met' : '❌ missed';
    const detail = t.detail === '' ? '' : ` — ${escape(t.detail)}`;
    lines.push(
      `| ${escape(t.target)} | ${t.kind} | ${escape(t.measured)} | ${t.limit} | ${verdict}${detail} |`,
    );
  }
  return lines.join('\n');
}

/** bench/targets.md: the project's internal targets, for developers (not in the user docs). */
export function writeTargets(root: string, report: Report): void {
  const met = report.targets.filter((t) => t.met === true).length;
  const doc = `# Internal performance targets

<!-- Generated by \`npm run bench\` (bench/report/markdown.ts, bench/targets.ts) from bench/results/latest.json. -->

For developers of spark-channel: the performance targets set in the project's issues, checked
against the latest full run (${report.machine.date}, ${report.seconds} s, ${report.config.rounds} rounds, one
child process per measurement; see [docs/benchmarks.md](../docs/benchmarks.md) for the method
and the tables). They are working goals, not promises to users, which is why they live here and
not in the docs. Ratios are to floor-queue unless said otherwise, paired round by round.

**${met} of ${report.targets.length} targets met** in that run.

${targetTable(report.targets)}

\`npm run bench -- --report\` re-renders this file and the docs from bench/results/latest.json.
`;
  const file = join(root, 'bench', 'targets.md');
  writeFileSync(file, doc);
  // bench/ is checked by prettier in `npm test`: align the table as it would.
  const prettier = join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
  execFileSync(process.execPath, [prettier, '--write', file], { stdio: 'ignore' });
}

function loadText(report: Report): string {
  const load = report.loadAverage;
  if (load === undefined) return 'not recorded';
  const f = (l: readonly number[]): string => l.map((v) => v.toFixed(2)).join(' / ');
  const during =
    load.during === undefined || load.during.length === 0
      ? ''
      : `; the 1-minute figure during the run: median ${median(load.during).toFixed(2)}, ` +
        `${Math.min(...load.during).toFixed(2)}–${Math.max(...load.during).toFixed(2)} (${load.during.length} readings)`;
  return `${f(load.before)} at the start, ${f(load.after)} at the end (1 / 5 / 15 min, ${report.machine.cpus} CPUs)${during}`;
}

/** A sentence for the top of the page when the machine was busy. */
function busyText(report: Report): string {
  const load = report.loadAverage;
  if (load === undefined) return '';
  const readings = [load.before[0], load.after[0], ...(load.during ?? [])].filter(
    (v): v is number => v !== undefined,
  );
  const typical = median(readings);
  if (typical < report.machine.cpus * 0.75) return '';
  return (
    ` **The machine was busy during this run** (a load average around ${typical.toFixed(1)} on ` +
    `${report.machine.cpus} CPUs: other work ran beside the bench), so the spreads are wide; the ` +
    'paired ratios are the figures to compare.'
  );
}

function fanoutCell(cell: Cell | undefined, unit: string): string {
  if (cell === undefined || cell.status === 'n/a') return '—';
  if (cell.median === undefined) return escape(cellStatus(cell));
  const failed = cell.status === 'failed' ? `, ${escape(cellStatus(cell))}` : '';
  const ratio = cell.peer === FLOOR ? '' : ` (${formatRatio(cell.ratio)}${failed})`;
  return `${formatValue(cell.median, unit)} ${formatSpread(cell.spread)}${ratio}`;
}

/**
 * The event bus's fan-out tables (bench/fanout/): per-publish cost by subscriber count, for
 * observers and for module subscribers, then the heap per pending event. Also what
 * docs/events.md quotes. Empty when the run had no fan-out figures.
 */
export function fanoutTables(
  results: readonly ScenarioResult[],
  peers: readonly FanoutPeer[] = FANOUT_PEERS,
): string {
  const parts: string[] = [];
  for (const [group, title] of [
    ['fanout-observers', 'RxJS observers only (`bus.on(type)`), publishes fire-and-forget, then drain'],
    [
      'fanout-modules',
      'Module subscribers (`bus.subscribe(type, dispatcher)`), each publish awaited, then drain',
    ],
    ['fanout-modules-fire-and-forget', 'Module subscribers, publishes fire-and-forget (a burst), then drain'],
  ] as const) {
    const sizes = results
      .filter((r) => r.group === group)
      .sort((a, b) => subscribersOf(a) - subscribersOf(b));
    if (sizes.length === 0) continue;
    const lines = [
      `| implementation | ${sizes.map((r) => `${subscribersOf(r)} subscriber${subscribersOf(r) === 1 ? '' : 's'}`).join(' | ')} |`,
      `|---|${sizes.map(() => '--:').join('|')}|`,
    ];
    for (const peer of peers) {
      const name = peer.id === SPARK || peer.id === FLOOR ? `**${peer.label}**` : peer.label;
      const cells = sizes.map((r) =>
        fanoutCell(
          r.cells.find((c) => c.peer === peer.id),
          r.unit,
        ),
      );
      lines.push(`| ${name} | ${cells.join(' | ')} |`);
    }
    const events = sizes.map((r) => r.messages.toLocaleString('en-US')).join(' / ');
    parts.push(
      `**${title}**: µs per event published (all its deliveries), the spread, and in brackets the ratio to the floor; ${events} events per sample.\n\n${lines.join('\n')}`,
    );
  }
  const heaps = results.filter((r) => r.group === 'event-heap');
  if (heaps.length > 0) {
    const lines = [
      `| implementation | ${heaps.map((r) => escape(r.title)).join(' | ')} |`,
      `|---|${heaps.map(() => '--:').join('|')}|`,
    ];
    for (const peer of peers.filter((p) => p.mailbox)) {
      const cells = heaps.map((r) => {
        const cell = r.cells.find((c) => c.peer === peer.id);
        return cell?.median === undefined
          ? escape(cell === undefined ? '—' : cellStatus(cell))
          : `${formatValue(cell.median, r.unit)} ${formatSpread(cell.spread)}`;
      });
      lines.push(`| ${peer.label} | ${cells.join(' | ')} |`);
    }
    parts.push(
      `**Heap**, one child process per sample under \`--expose-gc\` (bytes; the emitters have no mailbox, nothing of theirs queues):\n\n${lines.join('\n')}`,
    );
  }
  return parts.join('\n\n');
}

const subscribersOf = (r: ScenarioResult): number => Number(/-(\d+)$/.exec(r.id)?.[1] ?? 0);

function fanoutWiring(peers: readonly FanoutPeer[]): string {
  const lines = [
    '| implementation | observers | module subscribers | what a subscriber gets |',
    '|---|---|---|---|',
  ];
  for (const p of peers) {
    lines.push(
      `| ${p.label} | ${escape(p.wiring.observers)} | ${escape(p.wiring.modules)} | ${escape(p.delivers)} |`,
    );
  }
  return lines.join('\n');
}

function fanoutSection(report: Report): string {
  const tables = fanoutTables(report.results);
  const body =
    tables === ''
      ? '_No fan-out figures in this run (`npm run bench` runs them; `npm run bench -- --scenario=fanout` runs them alone)._'
      : tables;
  return `### Event bus fan-out

One event type published to 1, 10 and 100 subscribers, against mitt, eventemitter3, emittery
and @nestjs/cqrs's EventBus (bench/fanout/). Every sample publishes about ${report.config.fanoutDeliveries?.toLocaleString('en-US') ?? '100,000'} deliveries (events ×
subscribers), sync listeners; after every sample each subscriber must have seen every event,
once, in publish order, or the run fails. The floor is a loop over the listeners (observers) or
over one floor-queue per subscriber (modules). Each child warms up for at least
${(report.config.fanoutWarmupEvents ?? 50_000).toLocaleString('en-US')} events as well as the usual deliveries (at most ${(report.config.warmupMs ?? 1_500).toLocaleString('en-US')} ms): with 100
subscribers the publish path tiers up by its own calls, not by the deliveries. The emitters have no module subscribers: in the
module table they run the same listeners as in the observer table, with no mailbox, so that
row is what a mailbox per subscriber (order, backpressure, isolation) is compared to.
Observers: publishes are fire-and-forget (nothing done with what \`publish\` returns), then one
drain. Modules, two ways: each publish awaited before the next (spark-channel's resolves once
every mailbox accepted the event, which is how a publisher honours backpressure; emittery's once
every listener finished; mitt, eventemitter3 and Nest return nothing, so one microtask turn), or
fire-and-forget (a burst: spark-channel's modules then take what is queued in batches); then one
drain until every module handled every event. A pending event per module subscriber is weighed
with ${report.config.heapSubscribers ?? 10} blocked modules; a pending command, with one (each command its own \`{ type, seq }\`
object, where a publish shares its event with its subscribers).

${body}

${fanoutWiring(FANOUT_PEERS)}
`;
}

export function writeDocs(root: string, report: Report, all: readonly Peer[]): void {
  const { machine: m, config } = report;
  // Only the implementations this run measured: a report re-rendered after a peer was added
  // has no row for it, rather than a row of dashes.
  const peers = all.filter((p) => report.results.some((r) => r.cells.some((c) => c.peer === p.id)));
  writeFileSync(join(root, 'docs', 'benchmarks.svg'), chart(report.results, peers, report.headline));
  const groups: [string, ScenarioResult[]][] = [];
  for (const r of report.results) {
    if (r.group === 'heap' || isFanoutGroup(r.group)) continue;
    const entry = groups.find(([id]) => id === r.id);
    if (entry) entry[1].push(r);
    else groups.push([r.id, [r]]);
  }
  const heap = report.results.find((r) => r.group === 'heap');
  const read = (file: string): string => {
    const path = join(root, 'bench', file);
    return existsSync(path) ? readFileSync(path, 'utf8').trim() : '';
  };
  const notes = read('notes.md');
  const harness = read('harness.md');
  const sizes = config.pipelined.map((n) => n.toLocaleString('en-US')).join(' / ');
  const n = (v: number): string => v.toLocaleString('en-US');
  const measured =
    report.spark?.description ??
    {
      dist: 'dist/cjs',
      build: 'lib/ compiled by tsc as the package build does (CommonJS)',
      tsx: 'lib/ through tsx',
    }[report.source];

  const doc = `# Benchmarks

<!-- Generated by \`npm run bench\` (bench/report/markdown.ts); edit bench/notes.md (profile analysis) or bench/harness.md (how the harness changed), not this file. -->

spark-channel side by side with a hand-written floor and the usual alternatives, on one machine.
Every implementation runs alone, in a child process of its own, once per round (${config.rounds} rounds, the
order rotated each round); every ratio is to **floor-queue**, taken within each round and then
the median over the rounds. ${headlineText(report)}${busyText(report)}

![Cost relative to floor-queue, log scale](benchmarks.svg)

## At a glance

Median cost per message, and in brackets the ratio to floor-queue (lower is better for both),
with a synchronous handler:

${glanceTable(report, peers, 'sync')}

With an asynchronous handler (an \`async\` function):

${glanceTable(report, peers, 'async')}

The faster rows (eventemitter3 with correlation ids, @nestjs/cqrs, the direct call) give no
mailbox: an asynchronous handler's messages overlap, nothing queues, nothing waits for room,
nothing can be cancelled (see [what each implementation guarantees](#what-each-implementation-guarantees)).
A timeout and an \`AbortSignal\` on every request cost, against spark-channel's default options
(paired by round): ${timeoutCost(report)}.

**The design's own cost.** The row "the design, minimal" is the design spark-channel is held to,
written plainly and with nothing else (bench/peers/minimal-design.ts): a \`Subject\` of batches,
\`concatMap\` handling each batch in order, an \`AsyncSubject\` reply per request,
spark-channel's start policy, and no options, cancellation, backpressure, stop or validation.
What it costs over floor-queue is the design's: a lone message (a sequential request) is one
emission and one \`concatMap\` inner whatever the implementation. spark-channel against it,
paired by round: ${designCost(report) || 'not measured in this run'}.

## What changed in the harness, and why

${harness === '' ? '_No notes on the harness (bench/harness.md) yet._' : harness}

## Results

Medians per message over every sample of every round, the spread (half the interquartile range,
relative to the median) and the ratio to floor-queue (the median of the round-by-round ratios).
“n/a” rows do not apply to that implementation; “failed” rows lost messages or crashed (the run
records them and goes on).

${groups
  .map(([, rs]) => {
    const first = rs[0]!;
    return `### ${first.title}\n\n${first.unit}.\n\n${scenarioTable(rs, peers)}`;
  })
  .join('\n\n')}
${
  heap === undefined
    ? ''
    : `
### ${heap.title}

Measured in a child process under \`--expose-gc\`, one per sample: full GCs, heap used, ${n(heap.messages)} requests sent while the handler is
blocked on an earlier one, full GCs, heap used again; then the handler is released and every
request must be answered (in order, with the right answer) or the implementation fails.
Implementations without a mailbox run each request at once, so nothing queues.

${heapTable(heap, peers)}
`
}
${fanoutSection(report)}
## Where the time goes

${notes === '' ? '_No profile notes (bench/notes.md) yet._' : notes}

## Machine

| | |
|---|---|
| date | ${m.date} |
| CPU | ${m.cpus} × ${escape(m.cpuModel)} |
| memory | ${m.memoryGiB} GiB |
| OS | ${m.os} |
| Node | ${m.node} (V8 ${m.v8}) |
| spark-channel | ${m.versions['spark-channel']}, commit ${m.commit}; measured: ${escape(measured)}${report.spark === undefined ? '' : `, sha256 ${report.spark.hash}`}${report.spark?.warning === undefined ? '' : ` (${escape(report.spark.warning)})`} |
| versions | ${Object.entries(m.versions)
    .filter(([k]) => k !== 'spark-channel')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')} |
| load average | ${loadText(report)} |
| run time | ${report.seconds} s |

The machine is shared: other work (other engineers' test runs) may run beside the bench, and
the load average above says how much. Read the spreads, and compare ratios, which are paired
within a round so a noisy moment hits every implementation of that round alike.

## How it is measured

- **One process per measurement.** \`npm run bench\` (bench/index.ts) only orchestrates: for each
  scenario, handler kind and round it starts one child process per implementation
  (\`node .tmp/bench-js/child.js --peer=… --scenario=… --kind=…\`), which loads that
  implementation's module and nothing else, warms it up, takes its samples and reports them as one
  line of JSON. No implementation shares an engine, an inline cache, a heap or a GC history with
  another. The harness is bench/ transpiled by TypeScript to plain CommonJS (no tsx loader in the
  measured process); spark-channel is ${escape(measured)}.
- **Rounds, rotated and paired.** ${config.rounds} rounds; each round runs every implementation once, the
  order rotated by one each round, so a slow drift of a shared machine hits all of them. The
  ratio to floor-queue is taken within each round (this round's median over floor-queue's median
  in the same round), and the median of those per-round ratios is reported; the tables also give
  the medians of the raw times.
- **Warm-up in every process.** Each child runs ${n(config.warmupMessages)} untimed messages (at most ${n(config.warmupMs)} ms of
  them, for the slow implementations) before its samples: in a fresh process the cost per message
  only settles after 75,000 (floor-queue) to 150,000 (spark-channel) messages.
- **Samples are batches.** One sample is ${n(config.sequential)} sequential round trips, or one pipelined batch
  (${sizes} requests issued at once, then \`Promise.all\`), or ${n(config.commands)} commands (each send awaited,
  or fire-and-forget) then one drain, or ${n(config.perClient)} sequential requests in each of 8 concurrent client
  loops. The tables divide by the batch size, so timer resolution and per-sample harness overhead
  vanish; tinybench runs the samples, each timing itself (\`overriddenDuration\`) so the answer checks
  stay out of the timing. Inside a sample the harness adds only what every implementation pays
  alike: the next message number, one call through the bench's \`Bus\` wrapper, the answer check.
- **Two command scenarios.** *Each send awaited*: \`await bus.command(m)\` before the next, awaiting
  what the implementation's send returns (spark-channel's \`sendCommand\` resolves once the channel
  accepted the command; p-queue's \`add\`, emittery's \`emit\` and Nest's \`execute\` only once the
  handler finished; floor-queue, eventemitter3 and the textbook server return nothing, so that
  is one microtask turn). *Fire-and-forget*: the sends are not awaited and nothing is done with
  what they return; one drain at the end waits until every command was handled.
- **No forced GC between samples.** A full GC deoptimises optimised code that embeds an object the
  GC frees (V8's “weak objects” deopt), which hits RxJS-heavy paths hard: forcing one before each
  sample measured re-warm-up, not steady state. GC the samples cause themselves is part of their
  cost. Only the heap scenario forces GCs.
- **Every answer checked.** A message is \`seq × 8 + client\`; the handler checks each client's
  messages arrive in send order, every request must answer \`message + 1\`, and after each sample
  the count handled must equal the count sent. A wrong answer, a lost or reordered message fails
  the run (exit code 1), as does any failure of spark-channel or the floor. A peer that stalls
  (no message handled for a while with some still unanswered) or whose process crashes is
  recorded as failed and not run again in that scenario: that is how the textbook RxJS server's
  stack overflow shows up.
- **Handlers.** The sync handler returns \`message + 1\`; the async one is an \`async\` function
  returning it (so its completion is a resolved promise). Both do the same checks.

## What each implementation guarantees

${guaranteesTable(peers)}

## Reproduce

\`\`\`sh
npm run build                 # the bench measures dist/cjs, the build users get (without one: lib/ compiled by tsc)
npm run bench                 # the full run: tables on stdout, bench/results/latest.json, bench/targets.md, this file and docs/benchmarks.svg
npm run bench -- --quick      # small sizes, 2 rounds: proves every implementation answers right and in order (CI)
npm run bench -- --only=spark-channel,p-queue --scenario=sequential --kind=sync   # a subset; does not touch the docs
npm run bench -- --profile    # CPU and allocation profiles of spark-channel, one child process each
npm run bench -- --help       # every flag
\`\`\`

CI runs only \`--quick\` and checks that it completes: no thresholds there, shared CI machines are
too noisy. The project's internal performance targets are checked against each full run in
[bench/targets.md](../bench/targets.md), for developers.
`;
  writeFileSync(join(root, 'docs', 'benchmarks.md'), doc);
}
