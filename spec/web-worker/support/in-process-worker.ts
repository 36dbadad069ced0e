// A stand-in for the browser's `Worker`, for the unit specs of spark-channel/web-worker: the main
// thread's end is one port of a real MessageChannel, the worker's end the other, so every message
// is structured-cloned and delivered asynchronously, in order, as between a page and its worker.
// What a browser does on its own is modelled as it specifies it:
// - the worker's script runs after `new Worker()` returns, and messages posted before it listens
//   wait in the port's queue;
// - a script that throws at its top level, and an uncaught error later (`crash()`), fire an
//   `error` event on the Worker object, whose `preventDefault()` claims it;
// - `terminate()` stops delivery both ways at once;
// - `messageerror` fires when a message cannot be deserialized (`failDeserialize()`).
// The real thing runs in Chromium: scripts/e2e-angular.mjs (the "hash in a worker" checks).
import { MessageChannel, type MessagePort } from 'node:worker_threads';

import type { WebWorkerEvent, WebWorkerLike, WorkerScopeLike } from '../../../lib/web-worker/index.js';

type Listener = (event: WebWorkerEvent) => void;
type Kind = 'message' | 'messageerror' | 'error';

export class InProcessWorker implements WebWorkerLike {
  /** Every stand-in made, oldest first, so specs can count replacements. */
  static readonly made: InProcessWorker[] = [];

  readonly #main: MessagePort;
  /** The worker's end, handed to its script as its global scope. */
  readonly scope: MessagePort & WorkerScopeLike;
  readonly #listeners = new Map<Kind, Listener[]>();
  terminated = false;
  /** Error events nobody claimed (a browser would report them on the page). */
  readonly unclaimed: unknown[] = [];

  constructor(script: (scope: WorkerScopeLike, worker: InProcessWorker) => void) {
    InProcessWorker.made.push(this);
    const { port1, port2 } = new MessageChannel();
    this.#main = port1;
    this.scope = port2 as MessagePort & WorkerScopeLike;
    port1.addEventListener('message', (event) =>
      this.#emit('message', { data: (event as MessageEvent).data }),
    );
    port1.start();
    setTimeout(() => {
      if (this.terminated) return;
      try {
        script(this.scope, this);
      } catch (error: unknown) {
        this.crash(error);
      }
    }, 0);
  }

  postMessage(message: unknown): void {
    if (!this.terminated) this.#main.postMessage(message);
  }

  addEventListener(type: Kind, listener: Listener): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  terminate(): void {
    this.terminated = true;
    // Closing one end closes both: nothing more crosses, as after a browser's terminate().
    this.#main.close();
  }

  /** An uncaught error inside the worker, as the browser reports it to the page. */
  crash(error: unknown): void {
    let claimed = false;
    this.#emit('error', {
      message: `Uncaught ${String(error)}`,
      error,
      preventDefault: () => {
        claimed = true;
      },
    });
    if (!claimed) this.unclaimed.push(error);
  }

  /** A message from the worker that the page could not deserialize. */
  failDeserialize(): void {
    this.#emit('messageerror', { data: null });
  }

  /** A message from the page that the worker could not deserialize. */
  failDeserializeInWorker(): void {
    this.scope.dispatchEvent(new Event('messageerror'));
  }

  /** Fires an event on the Worker object, as the browser would (specs pass odd ones). */
  emit(type: Kind, event: WebWorkerEvent): void {
    this.#emit(type, event);
  }

  #emit(type: Kind, event: WebWorkerEvent): void {
    if (this.terminated) return;
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }
}
