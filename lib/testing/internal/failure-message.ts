import type { ProbeMessage } from '../probe-message.js';
import { formatValue } from './format-value.js';

/** One message in the probe's log. */
export interface LogEntry<M, R, E> {
  readonly record: ProbeMessage<M, R, E>;
  /** Taken by an `expect*` call, or answered by an auto-reply (then `auto`). */
  consumed: boolean;
  auto: boolean;
}

/** The most log lines a failure lists; longer logs show a window around the message in question. */
const MAX_LINES = 20;

/** `a request`, `a command matching { type: "LogEvent" }`, `a request accepted by isGetUser`… */
export function expectation(
  kind: 'request' | 'command',
  pattern: unknown,
  description: string | undefined,
): string {
  const what = `a ${kind}`;
  if (description !== undefined) return `${what}: ${description}`;
  if (pattern === undefined) return what;
  if (typeof pattern === 'function') {
    return pattern.name === ''
      ? `${what} accepted by an anonymous predicate (pass { description } to name it)`
      : `${what} accepted by ${pattern.name}`;
  }
  return `${what} matching ${formatValue(pattern)}`;
}

/** `a request { type: "GetUser", id: 8 }`. */
export function describeMessage(record: ProbeMessage<unknown, unknown, unknown>): string {
  return `a ${record.kind} ${formatValue(record.message)}`;
}

/**
 * Every message received so far, one a line, those in `marked` flagged with `>`; a long log is cut
 * to a window around the first marked one.
 */
export function receivedList(
  log: readonly LogEntry<unknown, unknown, unknown>[],
  marked: ReadonlySet<number>,
): string {
  if (log.length === 0) return 'Received so far: nothing.';
  const focus = Math.min(...marked, log.length - 1);
  const from =
    log.length <= MAX_LINES ? 0 : Math.max(0, Math.min(focus - MAX_LINES / 2, log.length - MAX_LINES));
  const to = Math.min(log.length, from + MAX_LINES);
  const lines = ['Received so far, in order:'];
  if (from > 0) lines.push(`    … ${from} earlier`);
  for (let i = from; i < to; i++) {
    const entry = log[i] as LogEntry<unknown, unknown, unknown>;
    lines.push(
      `${marked.has(i) ? '  >' : '   '} ${i + 1}. ${entry.record.kind} ${formatValue(entry.record.message)}${status(entry)}`,
    );
  }
  if (to < log.length) lines.push(`    … ${log.length - to} later`);
  return lines.join('\n');
}

function status(entry: LogEntry<unknown, unknown, unknown>): string {
  if (entry.record.kind === 'command') return '';
  return entry.auto ? ` (${entry.record.status} by replyToRequests)` : ` (${entry.record.status})`;
}

/** Why messages sent to the probe have not reached it: they wait behind unanswered requests. */
export function queuedHint(queued: number, running: number, concurrency: number): string {
  if (queued === 0) return '';
  const messages = queued === 1 ? '1 more message waits' : `${queued} more messages wait`;
  const requests = running === 1 ? '1 unanswered request' : `${running} unanswered requests`;
  return (
    `\n\n${messages} in the probe's mailbox behind ${requests}: the probe handles ${concurrency} at a time, ` +
    `as a real module would. Answer ${running === 1 ? 'it' : 'them'} first, or create the probe with a higher \`concurrency\`.`
  );
}
