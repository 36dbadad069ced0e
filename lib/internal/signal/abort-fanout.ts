// internal/signal: abort signals, cancellable wrappers and one-shot replies (how a caller gives up).
// Per request with a signal: nothing (the request is its own list node); per signal, one listener.
import { describe } from '../validate.js';

/**
 * One `abort` listener per signal, however many requests share it: a page-wide AbortController
 * passed to thousands of requests would otherwise collect thousands of listeners (and Node's
 * MaxListenersExceededWarning past ten). The listener goes away with the last request: at once
 * for {@link onAbort}'s callbacks, at most one macrotask later for {@link join}'s members, so a
 * loop of requests sharing one signal does not pay the native add and remove (microseconds
 * each) on every request.
 *
 * A signal is a foreign object: its `aborted`, `reason`, `addEventListener` and
 * `removeEventListener` may be own properties that lie or throw, and `instanceof AbortSignal`
 * passes for `Object.create(AbortSignal.prototype)`, whose every getter throws. So the native
 * getters and methods are taken here, at load, and always called on the signal: a real signal
 * answers them truthfully, anything else fails {@link checkSignal}.
 */
export interface AbortFanout {
  readonly signal: AbortSignal;
  readonly listener: () => void;
  // The members, a doubly linked list through them: joining and leaving allocate nothing (a Set
  // that goes 0 → 1 → 0 on every request reallocates its table each time).
  head: AbortMember | undefined;
  tail: AbortMember | undefined;
  /** Waiting in {@link emptied} for the sweep. */
  queued: boolean;
}

/**
 * A member of a signal's fan-out: told once, with the signal's reason, when it aborts. The
 * links are the fan-out's: {@link join} and {@link leave} set them.
 */
export interface AbortMember {
  onAbort(reason: unknown): void;
  /** The fan-out it is in; `undefined` once it left or was told. */
  abortFanout: AbortFanout | undefined;
  abortPrev: AbortMember | undefined;
  abortNext: AbortMember | undefined;
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

const fanouts = new WeakMap<AbortSignal, AbortFanout>();

function nativeGetter(name: string): Getter | undefined {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- always called with .call(signal)
  const getter = signalPrototype && Object.getOwnPropertyDescriptor(signalPrototype, name)?.get;
  return getter as Getter | undefined;
}

function nativeMethod(name: string): Listen | undefined {
  // Up AbortSignal's own prototype chain, not from the global EventTarget: a test DOM (jsdom
  // under vitest, as Angular's unit-test builder runs it) replaces the global EventTarget but
  // keeps Node's AbortSignal, whose signals jsdom's addEventListener refuses.
  for (
    let target: object | null | undefined = signalPrototype;
    target;
    target = Object.getPrototypeOf(target) as object | null
  ) {
    const method: unknown = Object.getOwnPropertyDescriptor(target, name)?.value;
    if (typeof method === 'function') return method as Listen;
  }
  /* istanbul ignore next -- every supported runtime's AbortSignal is an EventTarget */
  return undefined;
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
 * Makes `member` hear of `signal`'s abort (a signal that passed {@link checkSignal}); returns
 * the fan-out to {@link leave} later. A member is told at most once.
 *
 * @throws whatever the native `addEventListener` throws for it (nothing is left registered then).
 */
export function join(signal: AbortSignal, member: AbortMember): AbortFanout {
  // Callers mostly pass one signal to a run of requests: the last fan-out is tried first. The
  // listener is made elsewhere: a closure here would give every call a context of its own
  // (the variables it captures), 80 B per request measured, even when the fan-out exists.
  const fanout = (recent?.signal === signal ? recent : fanouts.get(signal)) ?? fanoutOf(signal);
  recent = fanout;
  member.abortFanout = fanout;
  member.abortNext = undefined;
  member.abortPrev = fanout.tail;
  if (fanout.tail === undefined) fanout.head = member;
  else fanout.tail.abortNext = member;
  fanout.tail = member;
  return fanout;
}

/** A new fan-out for `signal`, its native listener registered (first, so a throw leaves none). */
function fanoutOf(signal: AbortSignal): AbortFanout {
  const listener = (): void => {
    fanouts.delete(signal);
    if (recent === created) recent = undefined;
    const reason = reasonOf(signal);
    // Each is unlinked before it is told: one that leaves meanwhile is not told, and one told
    // leaves nothing to sweep.
    for (let m = created.head; m !== undefined; m = created.head) {
      unlink(created, m);
      m.onAbort(reason);
    }
  };
  // Registered before it is recorded: if this throws, no later request joins a dead fanout.
  (addListener as Listen).call(signal, 'abort', listener, { once: true });
  const created: AbortFanout = { signal, listener, head: undefined, tail: undefined, queued: false };
  fanouts.set(signal, created);
  return created;
}

function unlink(fanout: AbortFanout, member: AbortMember): void {
  const { abortPrev: prev, abortNext: next } = member;
  if (prev === undefined) fanout.head = next;
  else prev.abortNext = next;
  if (next === undefined) fanout.tail = prev;
  else next.abortPrev = prev;
  member.abortFanout = member.abortPrev = member.abortNext = undefined;
}

/**
 * `member` no longer listens. When it was the last, the native listener goes at the next sweep
 * (at most one macrotask later) unless a member joins meanwhile.
 */
export function leave(member: AbortMember): void {
  const fanout = member.abortFanout;
  if (fanout === undefined) return;
  unlink(fanout, member);
  if (fanout.head !== undefined) return;
  if (!fanout.queued) {
    fanout.queued = true;
    emptied.push(fanout);
  }
  // Compared by identity, so a sweep left pending on fake timers that were since uninstalled (or
  // on real ones, since faked) cannot strand the emptied fan-outs: the current timers get one too.
  const setTimer = globalThis.setTimeout;
  if (sweepTimer === setTimer) return;
  /* istanbul ignore if -- every supported runtime has setTimeout; without it, remove at once */
  if (typeof setTimer !== 'function') return sweep();
  sweepTimer = setTimer;
  // One timer per sweep, for every fan-out that emptied since the last; unref'd, so it keeps
  // no process alive.
  (setTimer(sweep, 0) as { unref?: () => void }).unref?.();
}

/** The fan-out {@link join} found or made last, while it is still the one of its signal. */
let recent: AbortFanout | undefined;
/** The fan-outs whose last member left since the last sweep. */
let emptied: AbortFanout[] = [];
/** The `setTimeout` the pending sweep was scheduled with; `undefined` when none is pending. */
let sweepTimer: unknown;

function sweep(): void {
  sweepTimer = undefined;
  const swept = emptied;
  emptied = [];
  for (const fanout of swept) {
    fanout.queued = false;
    if (fanout.head === undefined) dissolve(fanout);
  }
}

/** Removes the native listener of `fanout`, unless it fired (or was replaced) already. */
function dissolve(fanout: AbortFanout): void {
  const { signal } = fanout;
  if (fanouts.get(signal) !== fanout) return;
  fanouts.delete(signal);
  if (recent === fanout) recent = undefined;
  try {
    (removeListener as Listen).call(signal, 'abort', fanout.listener);
  } catch {
    /* istanbul ignore next -- the native method does not throw for a checked signal */
  }
}

/**
 * Calls `callback` with the signal's reason when `signal` (one that passed {@link checkSignal})
 * aborts; returns the function that stops listening. The native listener goes as soon as no one
 * listens: these are the server's listeners, on signals of one request each.
 *
 * @throws whatever the native `addEventListener` throws for it (nothing is left registered then).
 */
export function onAbort(signal: AbortSignal, callback: (reason: unknown) => void): () => void {
  const member: AbortMember = {
    onAbort: callback,
    abortFanout: undefined,
    abortPrev: undefined,
    abortNext: undefined,
  };
  const fanout = join(signal, member);
  return () => {
    if (member.abortFanout !== fanout) return;
    unlink(fanout, member);
    if (fanout.head === undefined) dissolve(fanout); // a sweep it may be queued for finds it gone
  };
}
