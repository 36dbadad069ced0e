// internal/signal: abort signals, cancellable wrappers and one-shot replies (how a caller gives up).
// Per request with a signal: one Set entry (the request's callback); per signal, one listener.
import { describe } from '../validate.js';

/**
 * One `abort` listener per signal, however many requests share it: a page-wide AbortController
 * passed to thousands of requests would otherwise collect thousands of listeners (and Node's
 * MaxListenersExceededWarning past ten). The listener goes away with the last request.
 *
 * A signal is a foreign object: its `aborted`, `reason`, `addEventListener` and
 * `removeEventListener` may be own properties that lie or throw, and `instanceof AbortSignal`
 * passes for `Object.create(AbortSignal.prototype)`, whose every getter throws. So the native
 * getters and methods are taken here, at load, and always called on the signal: a real signal
 * answers them truthfully, anything else fails {@link checkSignal}.
 */
interface Fanout {
  readonly callbacks: Set<(reason: unknown) => void>;
  readonly listener: () => void;
}

type Getter = (this: AbortSignal) => unknown;
type Listen = (this: AbortSignal, type: 'abort', listener: () => void, options?: { once: true }) => void;

// Every supported runtime has both; without them no value could pass checkSignal anyway.
const signalPrototype: object | undefined =
  typeof AbortSignal === 'undefined' ? /* istanbul ignore next */ undefined : AbortSignal.prototype;
const nativeAborted = nativeGetter('aborted');
const nativeReason = nativeGetter('reason');
const addListener = nativeMethod('addEventListener');
const removeListener = nativeMethod('removeEventListener');

const fanouts = new WeakMap<AbortSignal, Fanout>();

function nativeGetter(name: string): Getter | undefined {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- always called with .call(signal)
  const getter = signalPrototype && Object.getOwnPropertyDescriptor(signalPrototype, name)?.get;
  return getter as Getter | undefined;
}

function nativeMethod(name: string): Listen | undefined {
  const target =
    typeof EventTarget === 'undefined' ? /* istanbul ignore next */ undefined : EventTarget.prototype;
  return (target && Object.getOwnPropertyDescriptor(target, name)?.value) as Listen | undefined;
}

/**
 * Checks that `value` is a real AbortSignal (its native `aborted` getter accepts it) and returns
 * whether it has aborted. Reads nothing the signal could override.
 *
 * @throws TypeError naming `name` otherwise (the getter's own error as its cause).
 */
export function checkSignal(name: string, value: unknown): boolean {
  let aborted: unknown;
  let refusal: unknown;
  let inherits = false;
  try {
    inherits = signalPrototype !== undefined && value instanceof AbortSignal;
    if (inherits) aborted = (nativeAborted as Getter).call(value as AbortSignal);
  } catch (error: unknown) {
    refusal = error;
  }
  if (!inherits || refusal !== undefined) {
    const got = inherits ? 'an object that only inherits from AbortSignal.prototype' : describe(value);
    const options = refusal === undefined ? undefined : { cause: refusal };
    throw new TypeError(`Expected \`${name}\` to be an AbortSignal, got ${got}`, options);
  }
  return aborted === true;
}

/** The `reason` of a signal that passed {@link checkSignal}, read with the native getter. */
export function reasonOf(signal: AbortSignal): unknown {
  try {
    return (nativeReason as Getter).call(signal);
  } catch {
    /* istanbul ignore next -- a checked signal's native getter does not throw */
    return undefined;
  }
}

/**
 * Calls `callback` with the signal's reason when `signal` (one that passed {@link checkSignal})
 * aborts; returns the function that stops listening.
 *
 * @throws whatever the native `addEventListener` throws for it (nothing is left registered then).
 */
export function onAbort(signal: AbortSignal, callback: (reason: unknown) => void): () => void {
  let fanout = fanouts.get(signal);
  if (fanout === undefined) {
    const callbacks = new Set<(reason: unknown) => void>();
    const listener = (): void => {
      fanouts.delete(signal);
      const reason = reasonOf(signal);
      for (const cb of callbacks) cb(reason);
    };
    // Registered before it is recorded: if this throws, no later request joins a dead fanout.
    (addListener as Listen).call(signal, 'abort', listener, { once: true });
    fanout = { callbacks, listener };
    fanouts.set(signal, fanout);
  }
  const { callbacks, listener } = fanout;
  callbacks.add(callback);
  return () => {
    if (!callbacks.delete(callback) || callbacks.size > 0) return;
    if (fanouts.get(signal) === fanout) fanouts.delete(signal);
    try {
      (removeListener as Listen).call(signal, 'abort', listener);
    } catch {
      /* istanbul ignore next -- the native method does not throw for a checked signal */
    }
  };
}
