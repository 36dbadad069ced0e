// The worker entry is Node-only: the build compiles lib/ without ambient Node types.
/// <reference types="node" />

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { BroadcastChannel, type ResourceLimits } from 'node:worker_threads';

import { Piscina } from 'piscina';

import type { SparkChannelCancellationToken } from '../cancellation-token.js';
import type { HandlerContext, SparkGenericModuleHandler } from '../handler.js';
import { checkOptions, checkPositiveInteger, describe, failure } from '../internal/validate.js';
import type { ModuleServerLogger } from '../module-server.js';
import { spawnModule, type SpawnedModule, type SpawnModuleOptions } from '../spawn-module.js';
import type { WireTracing } from '../wire-tracing.js';
import { threadFile } from './thread-source.js';
import { openEnvelope, type Packed, packReason } from '../internal/wire/envelope.js';

/**
 * Options of {@link spawnWorkerModule}: those of `spawnModule`, plus the thread pool's.
 *
 * @example
 * const options: WorkerModuleOptions = { threads: 4, concurrency: 8, execArgv: ['--import', 'tsx'] };
 * const file = new URL('./hash.worker.ts', import.meta.url);
 * const { dispatcher } = spawnWorkerModule<HashRequest, string>(file, options);
 */
export interface WorkerModuleOptions extends SpawnModuleOptions {
  /**
   * Worker threads in the pool; defaults to `concurrency` (itself 1 by default). With fewer
   * threads than `concurrency`, each thread runs up to `ceil(concurrency / threads)` messages at
   * once (useful only for handlers that await).
   */
  threads?: number;
  /** Node flags for the threads (e.g. `['--import', 'tsx']` for a `.ts` handler file); default: the parent's. */
  execArgv?: string[];
  /** Heap limits of each thread; a thread that exceeds them dies like a crashed one. */
  resourceLimits?: ResourceLimits;
  /**
   * Carries the trace into the threads: a CLIENT (request) or PRODUCER (command) span per task,
   * whose `traceparent` / `tracestate` travel with it. `openTelemetryWire()` from
   * `spark-channel/otel`. The handler file exports its own as `tracing` for the serving span.
   */
  tracing?: WireTracing;
}

/**
 * What {@link spawnWorkerModule} returns: a module as `spawnModule` gives, and when its threads are gone.
 *
 * @example
 * const file = new URL('./hash.worker.mjs', import.meta.url);
 * const { dispatcher, server, closed } = spawnWorkerModule<HashRequest, string>(file);
 * await dispatcher.shutdown(); // server.stopped has resolved
 * await closed; // and every worker thread has exited
 */
export interface SpawnedWorkerModule<M, R, C, E> extends SpawnedModule<M, R, C, E> {
  /** Resolves once the server has stopped and every worker thread has exited. Never rejects. */
  readonly closed: Promise<void>;
}

interface AbortNotice {
  readonly id: number;
  readonly reason: Packed;
}

interface Task {
  readonly id: number;
  readonly kind: 'request' | 'command';
  readonly message: Uint8Array;
  /** The trace headers, with the option `tracing` only. */
  readonly trace: Record<string, string> | undefined;
}

/**
 * Runs a module whose handler lives in its own file, in a pool of Node worker threads, and returns
 * the same dispatcher and server as {@link spawnModule}: `request`, `request$`, `requestResult`,
 * `sendCommand`, `shutdown`, timeouts, `signal`, `concurrency`, the error codes and `errors$`
 * all behave as on the main thread.
 *
 * The file (an absolute path or a `file:` URL; `.mjs`, `.cjs` or `.js`, or `.ts` with a loader in
 * `execArgv`) exports `handleRequest` / `handleCommand`, or a default object that has them. Each
 * thread loads its own copy, so module-level state is per thread. Messages, responses and errors
 * cross threads by structured clone: errors come back with their `name`, `message`, `stack`,
 * `code`, other own properties, `cause` and (aggregates) `errors`, built-in classes
 * (`AggregateError`, `DOMException`, `TypeError`…) as themselves.
 *
 * Failure cases: a message or response that cannot be cloned fails that message with a
 * `DataCloneError`; a thread that dies (`process.exit`, an uncaught exception, `resourceLimits`)
 * fails the messages it was running with `RECEIVE_FAILED` (the thread's error as `cause`) and is
 * replaced; a handler file that cannot be loaded fails every message with `RECEIVE_FAILED`; an
 * answer the main thread cannot read (it does not deserialize, or is malformed) fails that message
 * with `RECEIVE_FAILED`. Hostile thrown values (Proxies whose traps throw, throwing getters,
 * cycles) are packed without trusting them: the request always settles (docs/workers.md).
 *
 * The threads' bootstrap is written, once per process, to a new private directory (`mkdtemp`,
 * mode 0700) in the OS temp directory, and checked before each pool: nothing another user put
 * there is ever loaded.
 *
 * @throws TypeError naming `file` when it is not an absolute path or `file:` URL of an existing file.
 * @throws TypeError / RangeError naming a bad option, as `spawnModule`; `threads` must be a positive integer.
 *
 * @example
 * // hash.worker.mjs: export function handleRequest({ password, salt }) { return pbkdf2Sync(…).toString('hex'); }
 * const { dispatcher, closed } = spawnWorkerModule<HashRequest, string>(
 *   new URL('./hash.worker.mjs', import.meta.url),
 *   { concurrency: 2, timeoutMs: 5_000 },
 * );
 * const hash = await dispatcher.request({ password: 'hunter2', salt: 'pepper' });
 * await dispatcher.shutdown();
 * await closed; // the threads have exited
 */
export function spawnWorkerModule<M, R, C = SparkChannelCancellationToken, E = Error>(
  file: string | URL,
  options?: WorkerModuleOptions,
): SpawnedWorkerModule<M, R, C, E> {
  const handlerUrl = checkFile(file);
  checkOptions('options', options);
  const { threads, execArgv, resourceLimits, tracing, ...moduleOptions } = options ?? {};
  const concurrency = checkPositiveInteger('concurrency', moduleOptions.concurrency ?? 1);
  const threadCount = threads === undefined ? concurrency : checkPositiveInteger('threads', threads);
  if (execArgv !== undefined && !(Array.isArray(execArgv) && execArgv.every((a) => typeof a === 'string'))) {
    throw new TypeError(`Expected \`execArgv\` to be an array of strings, got ${describe(execArgv)}`);
  }
  checkOptions('resourceLimits', resourceLimits);
  checkTracing(tracing);

  // Written (or checked) before anything starts: if the temp directory refuses it, nothing leaks.
  const bootstrapFile = threadFile();
  const bridge = new WorkerBridge<M>(fileURLToPath(handlerUrl), tracing);
  // spawnModule checks its options before anything starts: a bad one leaves no thread behind.
  const spawned = spawnModule<M, R, C, E>(bridge as SparkGenericModuleHandler<M, R, E>, moduleOptions);
  const logger: ModuleServerLogger = moduleOptions.logger ?? console;

  const abortChannel = `spark-channel-worker:${randomUUID()}`;
  const aborts = new BroadcastChannel(abortChannel);
  aborts.unref();
  const pool = new Piscina<Task, Uint8Array>({
    // No pool-wide file: a thread preloads that one as it starts, and a replacement thread that
    // cannot (a temp cleaner removed it) dies and is replaced forever, every task waiting. Each
    // task names the bootstrap instead (see WorkerBridge.#bootstrap).
    filename: null,
    minThreads: threadCount,
    maxThreads: threadCount,
    idleTimeout: Infinity,
    concurrentTasksPerWorker: Math.ceil(concurrency / threadCount),
    // Between tasks a thread keeps its event loop running (timers, abort notices) instead of
    // blocking in Atomics.wait.
    atomics: 'async',
    recordTiming: false,
    workerData: { handlerUrl: handlerUrl.href, abortChannel, destination: bridge.destination },
    ...(execArgv === undefined ? {} : { execArgv }),
    ...(resourceLimits === undefined ? {} : { resourceLimits }),
  });
  // Piscina reports a thread that dies while idle as an 'error' event; unheard, it would throw.
  pool.on('error', (error: unknown) => {
    (logger.warn ?? logger.error).call(
      logger,
      'spark-channel/worker: a worker thread died while idle',
      error,
    );
  });
  bridge.attach(pool, aborts, bootstrapFile);

  const closed = spawned.server.stopped
    .then(() => pool.destroy())
    .catch(
      /* istanbul ignore next -- piscina's destroy does not reject in practice */
      (error: unknown) => logger.error('spark-channel/worker: the thread pool did not close cleanly', error),
    )
    .finally(() => aborts.close());
  return { ...spawned, closed };
}

/**
 * The main-thread handler: hands each message to the pool and settles with the thread's answer.
 * The server around it gives ordering, concurrency, timeouts and stop, exactly as for any handler.
 */
class WorkerBridge<M> {
  #nextId = 0;
  #pool!: Piscina<Task, Uint8Array>;
  #aborts!: BroadcastChannel;
  #bootstrapFile!: string;
  /** Abort notices of the tasks still in flight, posted again when a new thread says hello. */
  readonly #aborted = new Map<number, AbortNotice>();

  /** The handler file's name: the `messaging.destination.name` of its traced tasks. */
  readonly destination: string;

  constructor(
    readonly file: string,
    readonly tracing: WireTracing | undefined,
  ) {
    this.destination = basename(file);
  }

  attach(pool: Piscina<Task, Uint8Array>, aborts: BroadcastChannel, bootstrapFile: string): void {
    this.#pool = pool;
    this.#aborts = aborts;
    this.#bootstrapFile = bootstrapFile;
    // Threads post only their hello on this channel (a channel never hears its own posts).
    aborts.onmessage = () => {
      for (const notice of this.#aborted.values()) aborts.postMessage(notice);
    };
  }

  handleRequest(message: M, context: HandlerContext): Promise<unknown> {
    return this.#run('request', message, context.signal);
  }

  handleCommand(message: M, context: HandlerContext): Promise<void> {
    return this.#run('command', message, context.signal) as Promise<void>;
  }

  /**
   * The bootstrap file for the next task. Threads that are up have loaded it already, but one that
   * starts later (a replacement, or one that had no task yet) loads it then: if it is gone by then
   * (a temp cleaner, under a long-running pool), a fresh one is written and named instead.
   */
  #bootstrap(): string {
    if (!existsSync(this.#bootstrapFile)) this.#bootstrapFile = threadFile();
    return this.#bootstrapFile;
  }

  #run(kind: Task['kind'], message: M, signal: AbortSignal): Promise<unknown> {
    const id = ++this.#nextId;
    const tracing = this.tracing;
    if (tracing === undefined) return this.#runTask(id, kind, message, signal, undefined);
    const trace: Record<string, string> = {};
    let state: unknown;
    try {
      state = tracing.send(
        { system: 'spark_channel', kind, destination: this.destination, id: String(id) },
        (key, value) => {
          trace[key] = value;
        },
      );
    } catch {
      // a hook that throws: the task goes untraced
    }
    const sent = (ok: boolean, error?: unknown): void => {
      try {
        tracing.sent(state, ok, error);
      } catch {
        // tracing must never change what happens to the task
      }
    };
    return this.#runTask(id, kind, message, signal, trace).then(
      (value) => {
        sent(true);
        return value;
      },
      (error: unknown) => {
        sent(false, error);
        throw error;
      },
    );
  }

  async #runTask(
    id: number,
    kind: Task['kind'],
    message: M,
    signal: AbortSignal,
    trace: Record<string, string> | undefined,
  ): Promise<unknown> {
    // Serialized here, so a message that cannot be cloned fails this message only (DataCloneError).
    let bytes: Uint8Array;
    try {
      bytes = serialize(message);
    } catch (error: unknown) {
      throw new DOMException(
        `The ${kind} could not be sent to the worker thread: ${errorText(error)}`,
        'DataCloneError',
      );
    }
    const task: Task = { id, kind, message: bytes, trace };
    const forwardAbort = (): void => {
      const notice = { id, reason: packReason(signal.reason) };
      this.#aborted.set(id, notice);
      this.#aborts.postMessage(notice);
    };
    let reply: Uint8Array;
    try {
      const pending = this.#pool.run(task, { filename: this.#bootstrap() });
      /* istanbul ignore if -- the server never starts a handler whose signal has aborted */
      if (signal.aborted) forwardAbort();
      else signal.addEventListener('abort', forwardAbort, { once: true });
      reply = await pending;
    } catch (error: unknown) {
      throw failure(
        'RECEIVE_FAILED',
        `The worker thread running this ${kind} died before answering (${this.file}): ${errorText(error)}`,
        error,
      );
    } finally {
      signal.removeEventListener('abort', forwardAbort);
      this.#aborted.delete(id);
    }
    let envelope: unknown;
    try {
      envelope = deserialize(reply);
    } catch (error: unknown) {
      // The thread serialized it, yet v8 cannot read it back (some cyclic graphs of errors).
      throw failure(
        'RECEIVE_FAILED',
        `The worker thread's answer to this ${kind} could not be deserialized (${this.file}): ${errorText(error)}`,
        error,
      );
    }
    const answer = openEnvelope(envelope);
    if (answer.ok) return answer.value;
    if (answer.load) {
      throw failure(
        'RECEIVE_FAILED',
        `The worker thread could not load its handler file ${this.file}: ${errorText(answer.error)}`,
        answer.error,
      );
    }
    throw answer.error;
  }
}

function checkTracing(tracing: unknown): void {
  if (tracing === undefined) return;
  if (
    typeof tracing !== 'object' ||
    tracing === null ||
    typeof (tracing as Partial<WireTracing>).send !== 'function' ||
    typeof (tracing as Partial<WireTracing>).sent !== 'function'
  ) {
    throw new TypeError(`Expected \`tracing\` to be a WireTracing (send, sent, …), got ${describe(tracing)}`);
  }
}

function checkFile(file: unknown): URL {
  let url: URL | undefined;
  if (file instanceof URL) url = file;
  else if (typeof file === 'string' && file.startsWith('file:')) url = new URL(file);
  else if (typeof file === 'string' && isAbsolute(file)) url = pathToFileURL(file);
  if (url?.protocol !== 'file:' || !existsSync(url)) {
    throw new TypeError(
      `Expected \`file\` to be the absolute path or file: URL of an existing handler file, got ${describe(
        file instanceof URL ? file.href : file,
      )}`,
    );
  }
  return url;
}

function errorText(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    // A thrown value may be anything, `{ toString: 1 }` included.
    return Object.prototype.toString.call(error);
  }
}
