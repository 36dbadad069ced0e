import type { Observable } from 'rxjs';

import type { SparkChannelCancellationToken } from './cancellation-token.js';
import type { ClockOptions } from './clock-options.js';
import type { DeadLetter } from './dead-letter.js';
import type { ModuleEvent } from './module-event.js';
import type { ModuleInstrumentation } from './module-instrumentation.js';

// `Symbol.asyncDispose` for consumers whose TypeScript `lib` lacks `esnext.disposable`. Node 20
// has it at run time; a browser without it has no `await using` either. Identical to
// lib.esnext.disposable's declaration, so the two merge, as @types/node's does.
declare global {
  interface SymbolConstructor {
    readonly asyncDispose: unique symbol;
  }
}

/**
 * A handler failure, as `errors$` reports it.
 *
 * @example
 * server.errors$.subscribe(({ kind, message, error }: ModuleError<Msg, Error>) =>
 *   log.error(`${kind} ${message.type} failed: ${error.message}`),
 * );
 */
export interface ModuleError<M, E> {
  readonly kind: 'request' | 'command';
  readonly message: M;
  readonly error: E;
}

/**
 * A snapshot of a server's counters.
 *
 * @example
 * const { queued, running, handled, failed }: ModuleServerStats = server.stats();
 * log.info(`${queued} queued, ${running} running, ${failed} of ${handled} failed`);
 */
export interface ModuleServerStats {
  /** Messages accepted and not yet started (the channel's `size`). */
  readonly queued: number;
  /** Handlers in progress. */
  readonly running: number;
  /** Handlers finished, whether they succeeded or failed. */
  readonly handled: number;
  /** Those of `handled` that failed. */
  readonly failed: number;
}

/**
 * Where command failures are logged.
 *
 * @example
 * const logger: ModuleServerLogger = { error: (...args) => log.error(...args), warn: () => {} };
 * runModuleServer(new MyHandler(), channel, { logger });
 */
export interface ModuleServerLogger {
  /** Gets every command failure (the command's outcome never reaches its sender). */
  error(...args: unknown[]): void;
  /** Gets the library's warnings (dropped commands, a Shutdown token whose `cancel()` threw); `error` when absent. */
  warn?(...args: unknown[]): void;
}

/**
 * Options of {@link runModuleServer}; `M` types the `key` function's message.
 *
 * @example
 * const options: ModuleServerOptions<Msg> = { concurrency: 4, signal: controller.signal, logger: console };
 * const server = runModuleServer(new MyHandler(), channel, options);
 */
export interface ModuleServerOptions<M = never> extends ClockOptions {
  /** Where command failures are logged; `console` by default. */
  logger?: ModuleServerLogger;
  /** Cancelling this token stops the server at once, as `stop()` does. */
  token?: SparkChannelCancellationToken;
  /**
   * Aborting this signal stops the server at once, as `stop()` does (beside `token`: whichever
   * comes first); an already aborted one stops it as soon as it is made. The Node way to tie a
   * module to a lifetime: `spawnModule(handler, { signal: controller.signal })`.
   */
  signal?: AbortSignal;
  /** How many handlers may run at once, started in arrival order; 1 (the default) is strictly one at a time. */
  concurrency?: number;
  /**
   * Keyed ordering: messages with the same key run one at a time and in order, different keys
   * run side by side (up to `concurrency`). A key function that throws refuses that message
   * (`SEND_FAILED`, its error as `cause`).
   *
   * @example
   * runModuleServer(handler, channel, { concurrency: 8, key: (m) => m.accountId });
   */
  // Method syntax on purpose: options typed for one message type stay assignable to another's.
  key?(this: void, message: M): unknown;
  /**
   * Hooks into every message, for tracing or metrics (`openTelemetry()` from `spark-channel/otel`
   * is one). A server without it pays nothing.
   */
  instrument?: ModuleInstrumentation<M>;
}

/**
 * What {@link ModuleServer.drain} reports.
 *
 * @example
 * const { outcome, handled, failed, aborted }: DrainReport = await server.drain(5_000);
 * log.info(`drain ${outcome}: ${handled} handled (${failed} failed), ${aborted} cut off`);
 */
export interface DrainReport {
  /** `drained`: everything finished in time; `deadline`: stopped at the deadline; `stopped`: it had already stopped. */
  readonly outcome: 'drained' | 'deadline' | 'stopped';
  /** Handlers finished during the drain (successes and failures). */
  readonly handled: number;
  /** Of those, the ones that failed. */
  readonly failed: number;
  /** Sends refused with `SEND_FAILED` during the drain (the channel closed when it began). */
  readonly refused: number;
  /** Messages cut off by the deadline: running or queued requests and commands that never finished. */
  readonly aborted: number;
}

/**
 * A running module server: the handle `runModuleServer` returns.
 *
 * @example
 * const server: ModuleServer<Msg, Error> = runModuleServer(new MyHandler(), channel);
 * server.errors$.subscribe(({ kind, error }) => log.error(`${kind} failed`, error));
 * await server.drain(5_000);
 */
export interface ModuleServer<M, E> {
  /** Every handler failure, request and command alike. Completes when the server stops. */
  readonly errors$: Observable<ModuleError<M, E>>;
  /** Resolves once the server has stopped (after a Shutdown, `stop()`, or its `token`). */
  readonly stopped: Promise<void>;
  readonly isRunning: boolean;
  /**
   * Stops at once: aborts the running handler's `context.signal`, rejects every request not yet
   * answered with `RECEIVE_FAILED`, refuses waiting senders with `SEND_FAILED`. Idempotent.
   */
  stop(): void;
  /** The counters now: queued, running, handled and failed messages (see `stats$` to watch them). */
  stats(): ModuleServerStats;
  /**
   * The counters as they change, for a UI to bind to: the current value on subscribe, then at
   * most one value per microtask while anything changed. Completes when the server stops.
   *
   * @example
   * server.stats$.pipe(map((s) => s.queued)).subscribe((n) => (badge.textContent = String(n)));
   */
  readonly stats$: Observable<ModuleServerStats>;
  /**
   * Graceful shutdown with a deadline: closes the channel as a Shutdown would, lets everything
   * already sent finish, and stops at once (as `stop()`) if that takes longer than `deadlineMs`.
   * Resolves with what happened; rejects with a RangeError naming `deadlineMs` when it is not a
   * positive number.
   *
   * @example
   * const report = await server.drain(5_000);
   * if (report.outcome === 'deadline') log.warn(`${report.aborted} messages cut off`);
   */
  drain(deadlineMs: number): Promise<DrainReport>;
  /**
   * `await using server = …`: when the scope ends, drains the server as `drain(Infinity)` does
   * (everything already sent finishes, later sends are refused) and resolves once it has
   * stopped; at once if it already has. To bound the wait, call `drain(deadlineMs)` before the
   * scope ends, or give the server a `signal`.
   *
   * @example
   * await using server = runModuleServer(new MyHandler(), channel);
   * await new SparkGenericModuleDispatcher(channel).request(message);
   * // here the server has drained and stopped
   */
  [Symbol.asyncDispose](): Promise<void>;
  /**
   * Lifecycle events, opt-in: per message `accepted` → `started` → `settled` (with its outcome,
   * queue wait and handling time), per module `restarted` and `stopped`. Hot and synchronous;
   * while nobody subscribes nothing is recorded. Completes after the `stopped` event.
   *
   * @example
   * server.events$
   *   .pipe(filter((e) => e.type === 'settled'))
   *   .subscribe((e) => histogram.record(e.handlingMs ?? 0, { outcome: e.outcome }));
   */
  readonly events$: Observable<ModuleEvent<M>>;
  /**
   * Every message of this module that went nowhere, with the reason (a `DeadLetterReason`):
   * refused sends, messages dropped by a stop, replies that came after their caller gave up,
   * messages no route took, messages dropped by a supervision policy. Hot: only what happens while
   * subscribed is seen. It outlives the server (a closed channel goes on refusing sends) and never
   * completes; nothing is built for it while nobody subscribes.
   *
   * @example
   * server.deadLetters$.subscribe(({ reason, kind, message, error }) =>
   *   log.warn(`dead letter: ${kind} ${reason}`, message, error),
   * );
   */
  readonly deadLetters$: Observable<DeadLetter<M>>;
}
