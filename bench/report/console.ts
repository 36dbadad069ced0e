/** The per-scenario tables printed to stdout. */
import type { ScenarioResult } from '../runner.js';
import type { TargetResult } from '../targets.js';
import { cellStatus, formatRatio, formatSpread, formatValue } from './format.js';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r, n) => {
      const line = r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
      return n === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

/** One scenario's table; `peers` name the rows (the request/command family's, or the fan-out one's). */
export function printScenario(
  result: ScenarioResult,
  peers: readonly { readonly id: string; readonly label: string }[],
): void {
  const rows = [['implementation', 'median', 'spread', 'vs floor', 'note']];
  for (const cell of result.cells) {
    const label = peers.find((p) => p.id === cell.peer)?.label ?? cell.peer;
    if (cell.median === undefined) {
      rows.push([label, '—', '', '', cellStatus(cell)]);
      continue;
    }
    rows.push([
      label,
      formatValue(cell.median, result.unit),
      formatSpread(cell.spread),
      formatRatio(cell.ratio),
      cellStatus(cell),
    ]);
  }
  const kind =
    result.group === 'heap' || result.group === 'event-heap' || result.group.startsWith('fanout')
      ? ''
      : `, ${result.kind} handler`;
  process.stdout.write(`\n${result.title}${kind} (${result.unit})\n${table(rows)}\n`);
}

export function printTargets(targets: readonly TargetResult[]): void {
  const rows = [['target', 'handler', 'measured', 'limit', 'result']];
  for (const t of targets) {
    const verdict = t.met === undefined ? 'unknown' : t.met ? 'met' : 'MISSED';
    rows.push([t.target, t.kind, t.measured, t.limit, `${verdict}${t.detail ? ` — ${t.detail}` : ''}`]);
  }
  process.stdout.write(`\nTargets (computed from this run)\n${table(rows)}\n`);
}
