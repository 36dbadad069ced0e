// Queued or waiting requests that can be given up on, so they can leave the channel at once.
// Requests from a dispatcher (trusted) are withdrawn by an explicit call; others are watched with
// an `abort` listener on their signal (one costs microseconds in Node, far more than the rest of
// a request). Per such request: one Map entry and its record.
import type { SparkGenericModuleMessage } from '../../module-message.js';
import { onAbort as listen } from '../signal/abort-fanout.js';
import { canGiveUp } from '../signal/cancellable-wrapper.js';

type RequestMessage = Extract<
  SparkGenericModuleMessage<unknown, unknown, unknown, unknown>,
  { type: 'Request' }
>;

export class WatchedRequests {
  readonly #watched = new Map<object, { readonly onAbort: () => void; readonly unlisten?: () => void }>();

  /**
   * Calls `onAbort` when the request is given up on. Returns the TypeError of a raw request whose
   * signal cannot be listened to: Node's own `addEventListener` reads the signal's
   * `constructor`, which may be an own getter that throws.
   */
  watch(message: RequestMessage, onAbort: () => void, trusted: boolean): TypeError | undefined {
    // Trusted (dispatcher) requests are withdrawn by a call; others are watched on their signal
    // (one that passed checkSignal when the request was adopted).
    const signal = trusted ? undefined : message.wrapper.signal;
    let unlisten: (() => void) | undefined;
    if (signal !== undefined) {
      try {
        unlisten = listen(signal, onAbort);
      } catch (error: unknown) {
        return new TypeError(
          'Expected `message.wrapper.signal` to be an AbortSignal, but listening to it threw',
          { cause: error },
        );
      }
    }
    this.#watched.set(message, unlisten === undefined ? { onAbort } : { onAbort, unlisten });
    return undefined;
  }

  /** A dispatcher's request was cancelled: runs its `onAbort`, if it is still watched. */
  withdraw(message: object): void {
    this.#watched.get(message)?.onAbort();
  }

  /** The request left (given up on): forget it. */
  forget(message: RequestMessage): void {
    this.#watched.delete(message);
  }

  /** The request got in or started: stop watching it. */
  unwatch(message: RequestMessage): void {
    if (!canGiveUp(message.wrapper)) return;
    const watch = this.#watched.get(message);
    if (watch === undefined) return;
    this.#watched.delete(message);
    watch.unlisten?.();
  }
}
