// Whoever waits for a channel's server to stop: `whenStopped` promises and `onStop` listeners.
import { RESOLVED } from '../reply.js';

export class StopLatch {
  #released = false;
  #when: { promise: Promise<void>; resolve: () => void } | undefined;
  #listeners: (() => void)[] | undefined;

  /** Resolves once released. */
  when(): Promise<void> {
    if (this.#released) return RESOLVED;
    if (this.#when === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#when = { promise, resolve };
    }
    return this.#when.promise;
  }

  /** Calls `listener` synchronously on release (at once if released). */
  onStop(listener: () => void): void {
    if (this.#released) listener();
    else (this.#listeners ??= []).push(listener);
  }

  /** The server stopped: resolves the promise, then calls every listener, once. */
  release(): void {
    this.#released = true;
    this.#when?.resolve();
    const listeners = this.#listeners;
    this.#listeners = undefined;
    listeners?.forEach((listener) => listener());
  }
}
