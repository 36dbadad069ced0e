import type { SchedulerLike } from 'rxjs';

import { SparkChannelError, type SparkChannelErrorCode } from '../spark-channel-error.js';
import { checkSignal } from './signal/abort-fanout.js';

/** Renders a bad argument for an error message without dumping it. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') {
    try {
      return `an object (${Object.prototype.toString.call(value)})`;
    } catch {
      return 'an object'; // a revoked Proxy, or one whose Symbol.toStringTag trap throws
    }
  }
  if (typeof value === 'string') return JSON.stringify(value);
  // Objects and functions were handled above: what is left stringifies meaningfully.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return String(value);
}

/** `capacity`-like options: a positive integer, or `Infinity` for "no bound". */
export function checkPositiveIntegerOrInfinity(name: string, value: unknown): number {
  if (value === Infinity || (typeof value === 'number' && Number.isInteger(value) && value > 0)) return value;
  throw new RangeError(`Expected \`${name}\` to be a positive integer or Infinity, got ${describe(value)}`);
}

/** `concurrency`, `limit`: a positive integer. */
export function checkPositiveInteger(name: string, value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  throw new RangeError(`Expected \`${name}\` to be a positive integer, got ${describe(value)}`);
}

/** `timeoutMs`, `intervalMs`: a positive number (`Infinity` allowed where it means "none"). */
export function checkPositiveNumber(name: string, value: unknown, allowInfinity: boolean): number {
  if (typeof value === 'number' && value > 0 && (allowInfinity || Number.isFinite(value))) return value;
  const what = allowInfinity ? 'a positive number or Infinity' : 'a positive finite number';
  throw new RangeError(`Expected \`${name}\` to be ${what}, got ${describe(value)}`);
}

/** Options bags: `undefined` or a plain object. */
export function checkOptions(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new TypeError(`Expected \`${name}\` to be an object, got ${describe(value)}`);
  }
}

/** `scheduler`: the module's clock, anything RxJS accepts as a scheduler. */
export function checkScheduler(value: unknown): SchedulerLike {
  const s = value as Partial<SchedulerLike> | null | undefined;
  if (typeof s?.now === 'function' && typeof s.schedule === 'function') return s as SchedulerLike;
  throw new TypeError(
    `Expected \`scheduler\` to be an RxJS scheduler (now() and schedule()), got ${describe(value)}`,
  );
}

/** `signal` options: a real AbortSignal, checked as the dispatcher checks it (native getters). */
export function checkAbortSignal(name: string, value: unknown): AbortSignal {
  checkSignal(name, value);
  return value as AbortSignal;
}

/**
 * Runs `read` on an argument the caller passed: its own TypeError or RangeError passes through,
 * anything else thrown while reading (a Proxy trap, a throwing getter) becomes a TypeError
 * naming `name`, with the thrown value as its cause.
 */
export function readable<T>(name: string, read: () => T): T {
  try {
    return read();
  } catch (error: unknown) {
    if (isArgumentError(error)) throw error;
    throw new TypeError(`Expected \`${name}\` to be readable, but reading it threw`, { cause: error });
  }
}

/** A TypeError or RangeError; `instanceof` itself may throw on a Proxy (its getPrototypeOf trap). */
function isArgumentError(error: unknown): boolean {
  try {
    return error instanceof TypeError || error instanceof RangeError;
  } catch {
    return false;
  }
}

/** Shorthand for the library's own failures. */
export function failure(code: SparkChannelErrorCode, message: string, cause?: unknown): SparkChannelError {
  return cause === undefined
    ? new SparkChannelError(code, message)
    : new SparkChannelError(code, message, { cause });
}
