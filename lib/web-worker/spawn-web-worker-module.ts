import type { SparkChannelCancellationToken } from '../cancellation-token.js';
import type { HandlerContext, SparkGenericModuleHandler } from '../handler.js';
import { checkOptions, checkPositiveInteger, describe, failure } from '../internal/validate.js';
import type { ModuleServerLogger } from '../module-server.js';
import { spawnModule, type SpawnedModule, type SpawnModuleOptions } from '../spawn-module.js';
import { text, type WebWorkerLike, WorkerSlot } from './worker-slot.js';

/**
 * Options of {@link spawnWebWorkerModule}: those of `spawnModule`, plus the pool's size.
 *
 * @example
 * const options: WebWorkerModuleOptions = { workers: 2, concurrency: 2, timeoutMs: 10_000 };
 */
export interface WebWorkerModuleOptions extends SpawnModuleOptions {
  /**
   * Web Workers in the pool; defaults to `concurrency` (itself 1 by default). With fewer workers
   * than `concurrency`, each runs up to `ceil(concurrency / workers)` messages at once (useful
   * only for handlers that await).
   */
  workers?: number;
}

/**
 * What {@link spawnWebWorkerModule} returns: a module as `spawnModule` gives, and when its
 * workers are gone.
 *
 * @example
 * const { dispatcher, closed } = spawnWebWorkerModule<HashRequest, string>(() => new Worker(url, { type: 'module' }));
 * await dispatcher.shutdown();
 * await closed; // every worker has been terminated
 */
export interface SpawnedWebWorkerModule<M, R, C, E> extends SpawnedModule<M, R, C, E> {
  /** Resolves once the server has stopped and every worker has been terminated. Never rejects. */
  readonly closed: Promise<void>;
}

/**
 * Runs a module whose handler lives in a browser Web Worker (or a small pool of them) and returns
 * the same dispatcher and server as {@link spawnModule}: `request`, `request$`, `requestResult`,
 * `sendCommand`, `shutdown`, timeouts, `signal`, `concurrency`, the error codes and `errors$`
 * all behave as on the main thread, and as in `spark-channel/worker`.
 *
 * `factory` makes one worker: write `new Worker(new URL('./x.worker', import.meta.url), { type:
 * 'module' })` in it literally, so that the bundler (Angular's builder, Vite, webpack) sees the
 * pattern and builds the worker file. The worker file calls {@link serveInWorker} with the
 * handler. Workers are made at once (`workers` of them), and again to replace one that failed.
 *
 * Failure cases: a message or response that cannot be cloned fails that message with a
 * `DataCloneError`; an uncaught error in a worker (an `error` event), a message it cannot
 * deserialize, or a handler that closes its worker fails the messages that worker was running with
 * `RECEIVE_FAILED` (the worker's error as `cause`), terminates it, and the next message gets a
 * fresh worker from `factory`; a worker whose script does not load fails its messages with
 * `RECEIVE_FAILED` the same way; a handler given to `serveInWorker` with no method fails every
 * message with `RECEIVE_FAILED`. An abort (timeout, `signal`, unsubscribe, `server.stop()`)
 * reaches the handler's `context.signal` inside the worker.
 *
 * @throws TypeError naming `factory` when it is not a function, or returns no Worker; what the
 *   factory itself throws, as it is, for the first workers.
 * @throws TypeError / RangeError naming a bad option, as `spawnModule`; `workers` must be a positive integer.
 *
 * @example
 * const { dispatcher } = spawnWebWorkerModule<HashRequest, HashResult>(
 *   () => new Worker(new URL('./hash.worker', import.meta.url), { type: 'module' }),
 *   { timeoutMs: 30_000 },
 * );
 * const { hex } = await dispatcher.request({ text: 'spark', rounds: 100_000 }, { signal });
 */
export function spawnWebWorkerModule<M, R, C = SparkChannelCancellationToken, E = Error>(
  factory: () => WebWorkerLike,
  options?: WebWorkerModuleOptions,
): SpawnedWebWorkerModule<M, R, C, E> {
  if (typeof factory !== 'function') {
    throw new TypeError(
      `Expected \`factory\` to be a function that returns a Worker, got ${describe(factory)}`,
    );
  }
  checkOptions('options', options);
  const { workers, ...moduleOptions } = options ?? {};
  const concurrency = checkPositiveInteger('concurrency', moduleOptions.concurrency ?? 1);
  const count = workers === undefined ? concurrency : checkPositiveInteger('workers', workers);
  const logger: ModuleServerLogger = moduleOptions.logger ?? console;
  const pool = new WebWorkerPool<M>(factory, count, logger);
  // spawnModule checks its options before anything starts: a bad one leaves no worker behind.
  const spawned = spawnModule<M, R, C, E>(pool as SparkGenericModuleHandler<M, R, E>, moduleOptions);
  try {
    pool.start();
  } catch (error: unknown) {
    spawned.server.stop();
    pool.close();
    throw error;
  }
  const closed = spawned.server.stopped.then(() => pool.close());
  return { ...spawned, closed };
}

/**
 * The main-thread handler: hands each message to the least busy worker and settles with its
 * answer. The server around it gives ordering, concurrency, timeouts and stop, exactly as for any
 * handler, so a worker never runs more than `ceil(concurrency / workers)` messages at once.
 */
class WebWorkerPool<M> {
  readonly #factory: () => WebWorkerLike;
  readonly #logger: ModuleServerLogger;
  /** A slot is `undefined` once its worker died, until a message needs it. */
  readonly #slots: (WorkerSlot | undefined)[];
  #nextId = 0;
  #closed = false;

  constructor(factory: () => WebWorkerLike, count: number, logger: ModuleServerLogger) {
    this.#factory = factory;
    this.#logger = logger;
    this.#slots = new Array<WorkerSlot | undefined>(count).fill(undefined);
  }

  /** Makes the first workers, so that they load while the app starts (as a thread pool's do). */
  start(): void {
    for (let i = 0; i < this.#slots.length; i++) this.#slots[i] = this.#make();
  }

  close(): void {
    this.#closed = true;
    for (const slot of this.#slots.splice(0)) slot?.close();
  }

  handleRequest(message: M, context: HandlerContext): Promise<unknown> {
    return this.#run('request', message, context.signal);
  }

  handleCommand(message: M, context: HandlerContext): Promise<void> {
    return this.#run('command', message, context.signal) as Promise<void>;
  }

  #run(kind: 'request' | 'command', message: M, signal: AbortSignal): Promise<unknown> {
    let slot: WorkerSlot;
    try {
      slot = this.#pick();
    } catch (error: unknown) {
      return Promise.reject(
        failure('RECEIVE_FAILED', `No Web Worker could be made for this ${kind}: ${text(error)}`, error),
      );
    }
    return slot.run(++this.#nextId, kind, message, signal);
  }

  /** The least busy worker; a live one before a slot to refill, then the lowest index. */
  #pick(): WorkerSlot {
    let best = 0;
    let bestLoad = Infinity;
    for (let i = 0; i < this.#slots.length; i++) {
      const slot = this.#slots[i];
      // An empty slot costs a worker's start: a live worker with as much work wins.
      const load = slot === undefined ? 0.5 : slot.load;
      if (load < bestLoad) {
        best = i;
        bestLoad = load;
      }
    }
    return (this.#slots[best] ??= this.#make());
  }

  #make(): WorkerSlot {
    const worker: unknown = this.#factory();
    if (!isWorkerLike(worker)) {
      throw new TypeError(
        `Expected \`factory\` to return a Worker (postMessage, addEventListener, terminate), got ${describe(worker)}`,
      );
    }
    return new WorkerSlot(worker, (slot, cause, idle) => this.#died(slot, cause, idle));
  }

  #died(slot: WorkerSlot, cause: unknown, idle: boolean): void {
    const at = this.#slots.indexOf(slot);
    if (at >= 0) this.#slots[at] = undefined;
    // A worker that fails while running messages is reported through them (errors$, callers).
    if (idle && !this.#closed) {
      (this.#logger.warn ?? this.#logger.error).call(
        this.#logger,
        'spark-channel/web-worker: a Web Worker failed while idle; the next message gets a new one',
        cause,
      );
    }
  }
}

function isWorkerLike(value: unknown): value is WebWorkerLike {
  try {
    const worker = value as Partial<WebWorkerLike> | null | undefined;
    return (
      typeof worker?.postMessage === 'function' &&
      typeof worker.addEventListener === 'function' &&
      typeof worker.terminate === 'function'
    );
  } catch {
    return false;
  }
}
