import type { CallbackWrapper } from '../callback-wrapper.js';
import type { Result } from '../result.js';

/**
 * Sends `result` on a request's oneshot and completes it. A raw caller's observer that throws is
 * RxJS's to report; it must never unwind into the server loop.
 */
export function reply<V, E>(wrapper: CallbackWrapper<unknown, Result<V, E>>, result: Result<V, E>): void {
  try {
    wrapper.sender.next(result);
    wrapper.sender.complete();
  } catch {
    // A sender that is not a well-behaved AsyncSubject cannot take the loop down with it.
  }
}

/** A settled promise, shared: a send accepted at once returns it (callers may compare by identity). */
export const RESOLVED: Promise<void> = Promise.resolve();
