// Queued or waiting requests that can be given up on, so they can leave the channel at once.
// Requests from a dispatcher (trusted) are withdrawn by an explicit call and hold their place on
// their own wrapper (`held`): nothing per request. Others are watched with an `abort` listener on
// their signal (one costs microseconds in Node, far more than the rest of a request): one Map
// entry and its record each.
import type { SparkGenericModuleMessage } from '../../module-message.js';
import { onAbort as listen } from '../signal/abort-fanout.js';
import { CancellableWrapper, canGiveUp } from '../signal/cancellable-wrapper.js';

type RequestMessage = Extract<
  SparkGenericModuleMessage<unknown, unknown, unknown, unknown>,
  { type: 'Request' }
>;

export class WatchedRequests {
  readonly #watched = new Map<object, { readonly onAbort: () => void; readonly unlisten?: () => void }>();

  /** @param withdrawQueued - what the channel does for a queued request given up on. */
  constructor(readonly withdrawQueued: (message: RequestMessage) => void) {}

  /**
   * Calls `onAbort` (`withdrawQueued` when it is `undefined`: the request is queued) when the
   * request is given up on. Returns the TypeError of a raw request whose signal cannot be
   * listened to: Node's own `addEventListener` reads the signal's `constructor`, which may be an
   * own getter that throws.
   */
  watch(message: RequestMessage, onAbort: (() => void) | undefined, trusted: boolean): TypeError | undefined {
    const wrapper = message.wrapper;
    if (wrapper instanceof CancellableWrapper) {
      // The dispatcher's own: it withdraws the request by a call when its caller gives up.
      wrapper.held = onAbort ?? true;
      return undefined;
    }
    // A raw request is watched on its signal (one that passed checkSignal when it was adopted).
    const signal = trusted ? undefined : wrapper.signal;
    const onGiveUp = onAbort ?? ((): void => this.withdrawQueued(message));
    let unlisten: (() => void) | undefined;
    if (signal !== undefined) {
      try {
        unlisten = listen(signal, onGiveUp);
      } catch (error: unknown) {
        return new TypeError(
          'Expected `message.wrapper.signal` to be an AbortSignal, but listening to it threw',
          { cause: error },
        );
      }
    }
    this.#watched.set(
      message,
      unlisten === undefined ? { onAbort: onGiveUp } : { onAbort: onGiveUp, unlisten },
    );
    return undefined;
  }

  /** A dispatcher's request was cancelled: takes it out, if the channel still holds it. */
  withdraw(message: object): void {
    const wrapper = (message as Partial<RequestMessage>).wrapper;
    if (wrapper instanceof CancellableWrapper) {
      const held = wrapper.held;
      wrapper.held = undefined;
      if (held === true) this.withdrawQueued(message as RequestMessage);
      else held?.();
      return;
    }
    this.#watched.get(message)?.onAbort();
  }

  /** The request left (given up on): forget it. */
  forget(message: RequestMessage): void {
    const wrapper = message.wrapper;
    if (wrapper instanceof CancellableWrapper) wrapper.held = undefined;
    else this.#watched.delete(message);
  }

  /** The request got in or started: stop watching it. */
  unwatch(message: RequestMessage): void {
    const wrapper = message.wrapper;
    if (wrapper instanceof CancellableWrapper) {
      wrapper.held = undefined;
      return;
    }
    if (!canGiveUp(wrapper)) return;
    const watch = this.#watched.get(message);
    if (watch === undefined) return;
    this.#watched.delete(message);
    watch.unlisten?.();
  }
}
