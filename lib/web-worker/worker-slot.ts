import { openEnvelope, packReason, revive } from '../internal/wire/envelope.js';
import { failure } from '../internal/validate.js';
import type { FromWorker, ToWorker } from './protocol.js';

/**
 * What {@link spawnWebWorkerModule} needs of a `Worker`: the browser's `Worker` has it, and so
 * does any stand-in (the specs use one built on a `MessageChannel`).
 *
 * @example
 * const factory = (): WebWorkerLike => new Worker(new URL('./hash.worker', import.meta.url), { type: 'module' });
 */
export interface WebWorkerLike {
  /** Sends a task or an abort notice to the worker (structured clone; throws `DataCloneError`). */
  postMessage(message: unknown): void;
  /** Where the worker's answers (`message`) and failures (`error`, `messageerror`) arrive. */
  addEventListener(
    type: 'message' | 'messageerror' | 'error',
    listener: (event: WebWorkerEvent) => void,
  ): void;
  /** Stops the worker at once: called when it failed, and when the module stops. */
  terminate(): void;
}

/**
 * The fields of a `Worker`'s events that {@link spawnWebWorkerModule} reads: `data` of a
 * `MessageEvent`, `message` and `error` of an `ErrorEvent`.
 *
 * @example
 * worker.addEventListener('error', (event: WebWorkerEvent) => console.warn(event.message));
 */
export interface WebWorkerEvent {
  readonly data?: unknown;
  readonly message?: unknown;
  readonly error?: unknown;
  /** Claims an `error` event, so that the page does not also report it as uncaught. */
  preventDefault?(): void;
}

interface Pending {
  readonly kind: 'request' | 'command';
  resolve(value: unknown): void;
  reject(error: unknown): void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

/**
 * One Web Worker of a pool and the messages it is running. It fails those messages with
 * `RECEIVE_FAILED` when the worker can no longer answer them: an uncaught error in the worker
 * (which a browser reports as an `error` event, leaving the worker's state unknown), a message it
 * could not deserialize (`messageerror`), a worker that closed itself, or the pool closing. Then
 * it terminates the worker and tells the pool, which replaces it.
 */
export class WorkerSlot {
  readonly #worker: WebWorkerLike;
  readonly #tasks = new Map<number, Pending>();
  readonly #onDeath: (slot: WorkerSlot, cause: unknown, idle: boolean) => void;
  #ready = false;
  #dead = false;

  constructor(worker: WebWorkerLike, onDeath: (slot: WorkerSlot, cause: unknown, idle: boolean) => void) {
    this.#worker = worker;
    this.#onDeath = onDeath;
    worker.addEventListener('message', (event) => this.#receive(event));
    worker.addEventListener('error', (event) => {
      // Claimed: the failure reaches the callers and errors$ (or the logger), not window.onerror.
      try {
        event.preventDefault?.();
      } catch {
        // A stand-in's preventDefault may be anything.
      }
      this.#die(errorOf(event));
    });
    worker.addEventListener('messageerror', () => {
      this.#die(
        new DOMException('A message from the Web Worker could not be deserialized', 'DataCloneError'),
      );
    });
  }

  /** Messages this worker is running. */
  get load(): number {
    return this.#tasks.size;
  }

  /** Posts one message to the worker and settles with its answer. */
  run(id: number, kind: Pending['kind'], message: unknown, signal: AbortSignal): Promise<unknown> {
    return new Promise((resolve, reject) => {
      try {
        this.#worker.postMessage({ spark: 'task', id, kind, message } satisfies ToWorker);
      } catch (error: unknown) {
        // Structured clone refused it (a function, a class's methods): this message fails alone.
        reject(
          new DOMException(
            `The ${kind} could not be sent to the Web Worker: ${text(error)}`,
            'DataCloneError',
          ),
        );
        return;
      }
      const onAbort = (): void => {
        try {
          this.#worker.postMessage({
            spark: 'abort',
            id,
            reason: packReason(signal.reason),
          } satisfies ToWorker);
        } catch {
          // packReason's output always clones; a worker that is gone has nothing left to abort.
        }
      };
      this.#tasks.set(id, { kind, resolve, reject, signal, onAbort });
      /* istanbul ignore if -- the server never starts a handler whose signal has aborted */
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Terminates the worker; what it was running fails with `RECEIVE_FAILED`, the pool is not told. */
  close(): void {
    this.#dead = true;
    this.#terminate();
    this.#failAll(new Error('The module stopped'));
  }

  #receive(event: WebWorkerEvent): void {
    const data = event.data as Partial<Record<string, unknown>> | null | undefined;
    if (typeof data !== 'object' || data === null) return;
    const notice = data as FromWorker;
    if (notice.spark === 'ready') this.#ready = true;
    else if (notice.spark === 'fatal') this.#die(revive(notice.error));
    else if (notice.spark === 'reply' && typeof notice.id === 'number')
      this.#settle(notice.id, notice.envelope);
  }

  #settle(id: number, envelope: unknown): void {
    const task = this.#take(id);
    if (task === undefined) return;
    const answer = openEnvelope(envelope);
    if (answer.ok) task.resolve(answer.value);
    else if (answer.load) {
      task.reject(
        failure(
          'RECEIVE_FAILED',
          `The Web Worker could not load its handler: ${text(answer.error)}`,
          answer.error,
        ),
      );
    } else task.reject(answer.error);
  }

  #take(id: number): Pending | undefined {
    const task = this.#tasks.get(id);
    if (task === undefined) return undefined;
    this.#tasks.delete(id);
    task.signal.removeEventListener('abort', task.onAbort);
    return task;
  }

  #die(cause: unknown): void {
    if (this.#dead) return;
    this.#dead = true;
    const idle = this.#tasks.size === 0;
    this.#terminate();
    this.#failAll(cause);
    this.#onDeath(this, cause, idle);
  }

  #failAll(cause: unknown): void {
    const what = this.#ready ? 'failed before answering' : 'could not start (its script failed to load)';
    for (const id of [...this.#tasks.keys()]) {
      const task = this.#take(id);
      task?.reject(
        failure('RECEIVE_FAILED', `The Web Worker running this ${task.kind} ${what}: ${text(cause)}`, cause),
      );
    }
  }

  #terminate(): void {
    try {
      this.#worker.terminate();
    } catch {
      // Gone already, or a stand-in that throws: either way nothing more will come from it.
    }
  }
}

/** The error a Worker's `error` event carries: its `error` when it has one, else its `message`. */
function errorOf(event: WebWorkerEvent): unknown {
  try {
    if (event.error !== undefined && event.error !== null) return event.error;
    const message = typeof event.message === 'string' ? event.message : 'an error event with no message';
    return new Error(`The Web Worker reported: ${message}`);
  } catch (error: unknown) {
    return error;
  }
}

/** A value's text for an error message; it may be anything, `{ toString: 1 }` included. */
export function text(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}
