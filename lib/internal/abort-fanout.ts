/**
 * One `abort` listener per signal, however many requests share it: a page-wide AbortController
 * passed to thousands of requests would otherwise collect thousands of listeners (and Node's
 * MaxListenersExceededWarning past ten). The listener goes away with the last request.
 */
interface Fanout {
  readonly callbacks: Set<() => void>;
  readonly listener: () => void;
}

const fanouts = new WeakMap<AbortSignal, Fanout>();

/** Calls `callback` when `signal` aborts; returns the function that stops listening. */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let fanout = fanouts.get(signal);
  if (fanout === undefined) {
    const callbacks = new Set<() => void>();
    const listener = (): void => {
      fanouts.delete(signal);
      for (const cb of callbacks) cb();
    };
    fanout = { callbacks, listener };
    fanouts.set(signal, fanout);
    signal.addEventListener('abort', listener, { once: true });
  }
  const { callbacks, listener } = fanout;
  callbacks.add(callback);
  return () => {
    if (!callbacks.delete(callback) || callbacks.size > 0) return;
    if (fanouts.get(signal) === fanout) fanouts.delete(signal);
    signal.removeEventListener('abort', listener);
  };
}
