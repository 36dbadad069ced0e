/**
 * docs/benchmarks.svg, drawn here with no dependency: one panel per headline scenario and handler
 * kind, one bar per implementation, the cost relative to floor-queue on a log scale.
 */
import { FLOOR, type Peer } from '../peers/index.js';
import type { ScenarioResult } from '../runner.js';
import { formatRatio } from './format.js';

const PANEL_W = 470;
const LABEL_W = 196;
const BAR_W = 206;
const ROW_H = 17;
const TITLE_H = 26;
const AXIS_H = 22;
const GAP = 18;
const MIN = 0.1;

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function color(peer: Peer): string {
  if (peer.ours && peer.id !== FLOOR) return '#d9480f';
  if (peer.id === FLOOR) return '#343a40';
  if (peer.id === 'direct-call') return '#adb5bd';
  return '#4dabf7';
}

export function chart(results: readonly ScenarioResult[], peers: readonly Peer[], headline: string): string {
  const panels = ['sequential', headline, 'commands-awaited', 'commands-fire-and-forget', 'clients-8']
    .flatMap((id) =>
      (['sync', 'async'] as const).map((kind) => results.find((r) => r.id === id && r.kind === kind)),
    )
    .concat(results.find((r) => r.group === 'heap'))
    .filter((r): r is ScenarioResult => r !== undefined);
  const ratios = panels.flatMap((r) => r.cells.map((c) => c.ratio ?? 1));
  const max = 10 ** Math.max(2, Math.ceil(Math.log10(Math.max(...ratios, 1))));
  const decades = Math.log10(max / MIN);
  const x = (ratio: number): number => (Math.log10(Math.max(ratio, MIN) / MIN) / decades) * BAR_W;
  const panelH = TITLE_H + peers.length * ROW_H + AXIS_H;
  const rows = Math.ceil(panels.length / 2);
  const width = PANEL_W * 2 + GAP * 3;
  const height = 50 + rows * (panelH + GAP);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${GAP}" y="24" font-size="15" font-weight="600">Cost relative to floor-queue (log scale; lower is better)</text>`,
    `<text x="${GAP}" y="40" fill="#495057">median of per-round ratios, one process per measurement; orange: spark-channel, dark: floor-queue, blue: peers, grey: direct call</text>`,
  ];
  panels.forEach((result, i) => {
    const px = GAP + (i % 2) * (PANEL_W + GAP);
    const py = 50 + Math.floor(i / 2) * (panelH + GAP);
    const title =
      result.group === 'heap' ? 'heap per pending request' : `${result.id}, ${result.kind} handler`;
    out.push(`<g transform="translate(${px},${py})">`);
    out.push(`<rect width="${PANEL_W}" height="${panelH}" fill="#f8f9fa" rx="4"/>`);
    out.push(`<text x="8" y="17" font-weight="600">${escape(title)}</text>`);
    const top = TITLE_H;
    for (let d = MIN; d <= max; d *= 10) {
      const gx = LABEL_W + x(d);
      out.push(
        `<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${top + peers.length * ROW_H}" stroke="${d === 1 ? '#868e96' : '#dee2e6'}"${d === 1 ? '' : ' stroke-dasharray="2,2"'}/>`,
      );
      out.push(
        `<text x="${gx}" y="${top + peers.length * ROW_H + 14}" text-anchor="middle" fill="#868e96">${d >= 1 ? d.toFixed(0) : d.toFixed(1)}×</text>`,
      );
    }
    peers.forEach((peer, row) => {
      const cell = result.cells.find((c) => c.peer === peer.id);
      const y = top + row * ROW_H;
      out.push(`<text x="${LABEL_W - 6}" y="${y + 12}" text-anchor="end">${escape(peer.label)}</text>`);
      if (cell?.ratio === undefined) {
        const note = cell?.status === 'failed' ? 'failed' : 'n/a';
        out.push(
          `<text x="${LABEL_W + 4}" y="${y + 12}" fill="${note === 'failed' ? '#c92a2a' : '#adb5bd'}">${note}</text>`,
        );
        return;
      }
      const w = Math.max(1, x(cell.ratio));
      out.push(
        `<rect x="${LABEL_W}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW_H - 5}" fill="${color(peer)}" rx="2"/>`,
      );
      const failed = cell.status === 'failed' ? ' (failed)' : '';
      out.push(
        `<text x="${LABEL_W + w + 4}" y="${y + 12}" fill="${failed ? '#c92a2a' : '#212529'}">${formatRatio(cell.ratio)}${failed}</text>`,
      );
    });
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
