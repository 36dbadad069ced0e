// What a caller's aborted signal means for its request: `AbortSignal.timeout(ms)` aborts with a
// `TimeoutError`, which is a timeout (`TIMEOUT`), not a cancellation (`CANCELLED`).
import type { SparkChannelError } from '../../spark-channel-error.js';
import { failure } from '../validate.js';

/** Whether `reason` says its signal timed out: an error named `TimeoutError`, read inside a `try`. */
export function isTimeoutReason(reason: unknown): boolean {
  if (typeof reason !== 'object' || reason === null) return false;
  try {
    return (reason as { name?: unknown }).name === 'TimeoutError';
  } catch {
    return false; // a Proxy, a throwing getter: not something we can call a timeout
  }
}

/**
 * The error of a request whose caller's signal aborted `when` ('by its signal', 'before it was
 * sent'…): `TIMEOUT` for a signal that timed out, `CANCELLED` otherwise; the reason is its cause.
 */
export function abortFailure(reason: unknown, when: string): SparkChannelError {
  return isTimeoutReason(reason)
    ? failure('TIMEOUT', `Request timed out ${when}`, reason)
    : failure('CANCELLED', `Request cancelled ${when}`, reason);
}
