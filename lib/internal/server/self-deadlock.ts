// The direct self-deadlock: a handler that sends a request to its own module from inside its
// synchronous call, which could never start before that handler returns.
import { failure } from '../validate.js';

// The server whose handler is running synchronously right now.
let current: object | undefined;

/** Marks `server` as running a handler synchronously; returns the outer one to restore. */
export function enter(server: object): object | undefined {
  const outer = current;
  current = server;
  return outer;
}

/** Restores the outer server, before anything is answered (a caller reacting at once is outside). */
export function leave(outer: object | undefined): void {
  current = outer;
}

/**
 * Why a request `message` to `server` must be refused now, if it must: `server` is running the
 * handler of `calling` synchronously and (with concurrency, per key) could not start it.
 */
export function deadlockRefusal(
  server: object,
  calling: { readonly message: unknown } | undefined,
  message: unknown,
  concurrency: number,
  keyOf: ((message: unknown) => unknown) | undefined,
): Error | undefined {
  if (current !== server || calling === undefined) return undefined;
  if (concurrency > 1) {
    if (keyOf === undefined) return undefined;
    try {
      if (!Object.is(keyOf(message), keyOf(calling.message))) return undefined;
    } catch {
      return undefined; // the channel reports the key function's own error
    }
  }
  return failure(
    'SEND_FAILED',
    'Request refused: it would deadlock. A handler sent a request to its own module, which cannot start it ' +
      'until that handler returns; send a command instead, or call the logic directly (see docs/flow-control.md)',
  );
}
