/** Regenerates docs/benchmarks.md (and the chart) from one run's report. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Config } from '../config.js';
import type { Machine } from '../machine.js';
import { FLOOR, type Peer, SPARK } from '../peers/index.js';
import type { Cell, ScenarioResult } from '../runner.js';
import type { TargetResult } from '../targets.js';
import { cellStatus, formatRatio, formatSpread, formatValue } from './format.js';
import { chart } from './svg.js';

export interface Report {
  readonly config: Omit<Config, 'iterations'>;
  readonly machine: Machine;
  /** Where spark-channel was loaded from: lib/ through tsx, or the built dist/cjs. */
  readonly source: 'build' | 'tsx' | 'dist';
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

function headlineText(report: Report): string {
  const spark = (id: string, kind: 'sync' | 'async'): Cell | undefined =>
    report.results.find((r) => r.id === id && r.kind === kind)?.cells.find((c) => c.peer === SPARK);
  const parts: string[] = [];
  const seq = spark('sequential', 'sync');
  const pipe = spark(report.headline, 'sync');
  const cmd = spark('commands', 'sync');
  const heap = spark('heap', 'sync');
  if (seq?.median !== undefined)
    parts.push(
      `a sequential round trip costs ${formatValue(seq.median, 'µs')} (${formatRatio(seq.ratio)} the floor)`,
    );
  if (pipe?.median !== undefined)
    parts.push(`a pipelined request ${formatValue(pipe.median, 'µs')} (${formatRatio(pipe.ratio)})`);
  if (cmd?.median !== undefined)
    parts.push(`a command ${formatValue(cmd.median, 'µs')} (${formatRatio(cmd.ratio)})`);
  if (heap?.median !== undefined)
    parts.push(`a pending request holds ${formatValue(heap.median, 'bytes')} (${formatRatio(heap.ratio)})`);
  const met = report.targets.filter((t) => t.met === true).length;
  return `With a synchronous handler, ${parts.join('; ')}. **${met} of ${report.targets.length} targets met** in this run.`;
}

export function writeDocs(root: string, report: Report, peers: readonly Peer[]): void {
  const { machine: m, config } = report;
  writeFileSync(join(root, 'docs', 'benchmarks.svg'), chart(report.results, peers, report.headline));
  const groups: [string, ScenarioResult[]][] = [];
  for (const r of report.results) {
    if (r.group === 'heap') continue;
    const entry = groups.find(([id]) => id === r.id);
    if (entry) entry[1].push(r);
    else groups.push([r.id, [r]]);
  }
  const heap = report.results.find((r) => r.group === 'heap');
  const notesFile = join(root, 'bench', 'notes.md');
  const notes = existsSync(notesFile) ? readFileSync(notesFile, 'utf8').trim() : '';
  const sizes = config.pipelined.map((n) => n.toLocaleString('en-US')).join(' / ');

  const doc = `# Benchmarks

<!-- Generated by \`npm run bench\` (bench/report/markdown.ts); edit bench/notes.md for the analysis, not this file. -->

spark-channel side by side with a hand-written floor and the usual alternatives, measured in one
run on one machine. Every ratio is to **floor-queue** in the same run. ${headlineText(report)}

![Cost relative to floor-queue, log scale](benchmarks.svg)

## Targets

Computed from this run by bench/targets.ts (the issue's targets, ratios to floor-queue unless said otherwise).

${targetTable(report.targets)}

## Results

Medians per message, the spread (half the interquartile range, relative to the median) and the
ratio to floor-queue (the median of the round-by-round ratios). “n/a” rows do not apply to that
implementation; “failed” rows lost messages or crashed (the run records them and goes on).

${groups
  .map(([, rs]) => {
    const first = rs[0]!;
    const title = first.title.replace(/^Pipelined: /, 'Pipelined: ');
    return `### ${title}\n\n${first.unit}.\n\n${scenarioTable(rs, peers)}`;
  })
  .join('\n\n')}
${
  heap === undefined
    ? ''
    : `
### ${heap.title}

Measured with \`--expose-gc\`: full GCs, heap used, ${heap.messages.toLocaleString('en-US')} requests sent while the handler is
blocked on an earlier one, full GCs, heap used again; then the handler is released and every
request must be answered (in order, with the right answer) or the implementation fails.
Implementations without a mailbox run each request at once, so nothing queues.

${heapTable(heap, peers)}
`
}
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
| spark-channel | ${m.versions['spark-channel']}, commit ${m.commit}, measured from ${{ build: 'lib/ compiled by tsc as the package build does (CommonJS)', tsx: 'lib/ through tsx', dist: 'dist/cjs' }[report.source]} |
| versions | ${Object.entries(m.versions)
    .filter(([k]) => k !== 'spark-channel')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')} |
| run time | ${report.seconds} s |

The machine is shared (other work may run beside the bench): read the spreads, and compare
ratios, which are taken round by round so a noisy moment hits every implementation alike.

## Method

- **Harness: tinybench.** Chosen over mitata because every sample here is an asynchronous batch
  (thousands of awaited requests) that has to be checked and timed precisely: tinybench runs
  async tasks natively with \`beforeEach\`/warm-up hooks, lets a task report its own duration
  (\`overriddenDuration\`, so answer checks stay out of the timing) and hands back the raw
  samples, which the bench needs to interleave implementations and pair their rounds. mitata
  shines at nanosecond-scale synchronous loops and prints its own report; neither is needed here.
- **Samples are batches.** One sample is ${config.sequential.toLocaleString('en-US')} sequential round trips, or one pipelined batch
  (${sizes} requests issued at once, then \`Promise.all\`), or ${config.commands.toLocaleString('en-US')} commands then a drain,
  or ${config.perClient.toLocaleString('en-US')} sequential requests in each of 8 concurrent client loops. The tables divide by the
  batch size, so timer resolution and harness overhead vanish.
- **Interleaved rounds.** ${config.rounds} rounds; each round runs every implementation, in an order
  rotated per round, so slow drifts of a shared machine hit all of them. Ratios to floor-queue
  are taken within each round, then the median is reported.
- **Warm-up.** ${config.warmupMessages.first.toLocaleString('en-US')} untimed messages per implementation before its first round, ${config.warmupMessages.later.toLocaleString('en-US')} before
  each later one: V8 needs tens of thousands of messages to optimise an RxJS-based path, and a
  major GC caused by another implementation can deoptimise it again (see below).
- **No forced GC between samples.** A full GC deoptimises any optimised code that embeds an
  object the GC frees (V8's “weak objects” deopt), which hits RxJS-heavy paths hard: forcing one
  before each sample measured re-warm-up, not steady state. GC the samples cause themselves is
  part of their cost. Only the heap scenario forces GCs.
- **Every answer checked.** A message is \`seq × 8 + client\`; the handler checks each client's
  messages arrive in send order, every request must answer \`message + 1\`, and after each sample
  the count handled must equal the count sent. A wrong answer, a lost or reordered message fails
  the run (exit code 1), as does any failure of spark-channel or the floor. A peer that stalls
  (no message handled for a while with some still unanswered) is recorded as failed and dropped
  from that scenario: that is how the textbook RxJS server's stack overflow shows up.
- **Handlers.** The sync handler returns \`message + 1\`; the async one is an \`async\` function
  returning it (so its completion is a resolved promise). Both do the same checks.

## What each implementation guarantees

${guaranteesTable(peers)}

## Reproduce

\`\`\`sh
npm run bench                 # the full run: tables on stdout, bench/results/latest.json, this file and docs/benchmarks.svg
npm run bench -- --quick      # small sizes, few samples: proves the bench works (CI); writes bench/results/quick.tmp.json
npm run bench -- --only=spark-channel,p-queue   # floor-queue plus a subset; does not touch the docs
npm run bench -- --profile    # CPU profile of spark-channel's sequential and pipelined runs (see below)
\`\`\`

The bench re-runs itself under \`node --expose-gc\` (the heap scenario needs it). CI runs only
\`--quick\` and checks that it completes: no thresholds there, shared CI machines are too noisy.
`;
  writeFileSync(join(root, 'docs', 'benchmarks.md'), doc);
}
