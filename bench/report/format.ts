import type { Cell } from '../runner.js';

export function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  if (unit.startsWith('bytes')) return `${Math.round(value).toLocaleString('en-US')} B`;
  if (value >= 100) return `${value.toFixed(0)} µs`;
  if (value >= 10) return `${value.toFixed(1)} µs`;
  return `${value.toFixed(3)} µs`;
}

export const formatRatio = (ratio: number | undefined): string =>
  ratio === undefined || !Number.isFinite(ratio) ? '—' : `${ratio.toFixed(2)}×`;

export const formatSpread = (spread: number | undefined): string =>
  spread === undefined ? '' : `±${(spread * 100).toFixed(0)}%`;

/** A short status for a cell that has no clean figure. */
export function cellStatus(cell: Cell): string {
  if (cell.status === 'ok') return '';
  if (cell.status === 'n/a') return `n/a (${cell.note ?? ''})`;
  return cell.note ?? 'failed';
}
