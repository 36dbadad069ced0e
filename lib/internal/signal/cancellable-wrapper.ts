import { type CallbackSender, CallbackWrapper } from '../../callback-wrapper.js';
import { checkSignal } from './abort-fanout.js';

/**
 * The wrapper of a dispatcher request that can be given up on (timeout, signal, `request$`).
 * Its AbortController — costly to create in Node — exists only once something needs it: the
 * handler reading `context.signal`, or the request being given up on. Until then `givenUp` is
 * answered without one.
 */
export class CancellableWrapper<T, V> extends CallbackWrapper<T, V> {
  /**
   * Where the channel holds it, so a give-up can withdraw it with no lookup: `true` while it is
   * queued, the function that takes it out of the line while it waits for room, `undefined`
   * otherwise (not yet offered, started, or gone). Set by the channel only.
   */
  declare held: (() => void) | true | undefined;
  // Declared, not a class field or `#` (one per request): see CallbackWrapper.
  declare private controller: AbortController | undefined;

  constructor(message: T, sender: CallbackSender<V>) {
    super(message, sender);
    this.held = undefined;
    this.controller = undefined;
  }

  override get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  get givenUp(): boolean {
    return this.controller?.signal.aborted === true;
  }

  giveUp(reason: unknown): void {
    (this.controller ??= new AbortController()).abort(reason);
  }
}

/** Whether the caller has given up on this request, without creating a signal to find out. */
export function isGivenUp<V>(wrapper: CallbackWrapper<unknown, V>): boolean {
  if (wrapper instanceof CancellableWrapper) return wrapper.givenUp;
  const signal = wrapper.signal; // a raw wrapper's was checked when the channel adopted it
  return signal !== undefined && checkSignal('signal', signal);
}

/** Whether the caller can give up on this request at all. */
export function canGiveUp<V>(wrapper: CallbackWrapper<unknown, V>): boolean {
  return wrapper instanceof CancellableWrapper || wrapper.signal !== undefined;
}
