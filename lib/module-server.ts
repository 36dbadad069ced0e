// The server loop and settlement, top to bottom: channel → emission → handler → reply. Its public
// face (stats, stats$, events$, deadLetters$, drain, stop) is internal/server/server-surface.ts;
// every feature that watches or steers the loop (stats$, supervision, self-deadlock, lifecycle
// events, dead letters) lives in lib/internal/server/ and meets it at a named ServerHooks point.
// Per message: one Job. Per emission (a batch, or a lone message): one concatMap inner, and an
// Observable for it only if a handler of the batch goes asynchronous (internal/server/follow.ts).
import {
  concatMap,
  EMPTY,
  mergeMap,
  Observable,
  Subject,
  type Subscriber,
  type Subscription,
  takeUntil,
} from 'rxjs';

import { onTokenCancelled } from './cancellation-token.js';
import type { SparkGenericModuleHandler } from './handler.js';
import { type ChannelConsumer, portOf } from './internal/channel/channel-port.js';
import { RESOLVED, reply } from './internal/reply.js';
import { awaitJob, followJob, type Settler } from './internal/server/follow.js';
import { Job } from './internal/server/job.js';
import { givenUpOutcome, type Lifecycle } from './internal/server/lifecycle.js';
import { MessageStream } from './internal/server/message-stream.js';
import { readArguments } from './internal/server/read-arguments.js';
import { failRunning, lateReply, settledEvent } from './internal/server/reports.js';
import { deadlockRefusal, enter, leave } from './internal/server/self-deadlock.js';
import { ServerSurface } from './internal/server/server-surface.js';
import { isNoRoute, Shape, shapeOf, swallow } from './internal/server/shape.js';
import { SupervisionHook } from './internal/server/supervision-hook.js';
import { checkSignal, onAbort, reasonOf } from './internal/signal/abort-fanout.js';
import { isGivenUp } from './internal/signal/cancellable-wrapper.js';
import { isVirtualTime, monotonicScheduler } from './internal/time/clock.js';
import { failure } from './internal/validate.js';
import type { ModuleChannel } from './module-channel.js';
import type { SparkGenericModuleMessage } from './module-message.js';
import type { ModuleServer, ModuleServerOptions } from './module-server-types.js';

export type {
  DrainReport,
  ModuleError,
  ModuleServer,
  ModuleServerLogger,
  ModuleServerOptions,
  ModuleServerStats,
} from './module-server-types.js';

type AnyMessage = SparkGenericModuleMessage<unknown, unknown, unknown, unknown>;
/** What the loop's Subject carries: a batch (the run of messages queued at that moment), or one alone. */
type Emission = AnyMessage | readonly AnyMessage[];

/**
 * The most messages one emission carries. A bigger batch saves nothing measurable and holds a
 * longer array; a smaller one costs an inner subscription more often.
 */
const MAX_BATCH = 1024;

/**
 * Runs a module server: receives messages from `channel` and hands them to `handler`, one at a
 * time and in order (or up to `concurrency` at once, started in order). A port of the Rust
 * crate's `run_module_server`, as an RxJS stream: `Subject → concatMap(handle) → takeUntil(stop)`.
 *
 * No handler failure stops it: a failed request rejects its caller, a failed command goes to
 * `errors$` and the logger, and the next message is handled.
 *
 * @throws TypeError naming `handler`, `channel` or `options` when they are not usable.
 * @throws RangeError naming `concurrency` when it is not a positive integer.
 *
 * @example
 * const channel = new ModuleChannel<MyMessage, MyResponse>(32);
 * const server = runModuleServer(new MyHandler(), channel);
 * server.errors$.subscribe(({ kind, error }) => console.warn(kind, 'failed:', error));
 */
export function runModuleServer<M, R, C, E>(
  handler: SparkGenericModuleHandler<NoInfer<M>, NoInfer<R>, NoInfer<E>>,
  channel: ModuleChannel<M, R, C, E>,
  options?: ModuleServerOptions<NoInfer<M>>,
): ModuleServer<M, E> {
  return new ModuleServerImpl<M, R, E>(handler, channel, options);
}

class ModuleServerImpl<M, R, E> extends ServerSurface<M, E> implements ChannelConsumer {
  readonly #handler: SparkGenericModuleHandler<M, R, E>;
  readonly #concurrency: number;
  readonly #keyOf: ((message: unknown) => unknown) | undefined;
  readonly #supervision: SupervisionHook | undefined; // hook: a supervised handler
  #calling: Job | undefined; // the job whose handler runs synchronously now (self-deadlock)
  readonly #incoming = new MessageStream<Emission>();
  readonly #stop$ = new Subject<void>();
  readonly #active = new Set<Job>(); // the asynchronous jobs under `concurrency` (a batch has #paused)
  readonly #loop: Subscription;
  readonly #settler: Settler;
  #tokenWatch: Subscription | undefined;
  #signalWatch: (() => void) | undefined;
  #pumping = false;
  // One message at a time, unkeyed: the loop emits batches. The state of the one in hand:
  readonly #batching: boolean;
  #emission: Emission | undefined; // the batch being handled, until its last message settles
  #index = 0; // its next message
  #paused: Job | undefined; // its job whose handler went asynchronous
  #inner: Subscriber<never> | undefined; // the concatMap inner of a paused batch
  #driving = false; // #drive is on the stack: a job settling now lets it go on
  #burst = false; // a message ran at once this turn: the rest of the burst waits for #flush
  // The inner of a paused batch: one for the server (one batch at a time), with no teardown to
  // register: a stop tears the paused job down itself.
  readonly #pausedBatch = new Observable<never>((subscriber) => {
    this.#inner = subscriber;
  });
  readonly #flush = (): void => {
    if (!this.#burst) return;
    this.#burst = false;
    this.#pump();
  };

  constructor(
    handler: SparkGenericModuleHandler<M, R, E>,
    channel: ModuleChannel<M, R, unknown, E>,
    options: ModuleServerOptions<M> | undefined,
  ) {
    const args = readArguments(handler, channel, options);
    super(channel as ModuleChannel<M, unknown, unknown, E>, portOf(channel), args);
    this.#keyOf = args.key as ((message: unknown) => unknown) | undefined;
    this.#concurrency = args.concurrency;
    this.#batching = this.#concurrency === 1 && this.#keyOf === undefined;
    const log = (level: 'error' | 'warn', ...rest: unknown[]): void => this.log(level, ...rest);
    this.#supervision =
      args.supervisor &&
      new SupervisionHook(args.supervisor, this.lifecycle, log, (reason, cause, dead) =>
        this.halt(reason, cause, dead),
      );
    this.#handler = handler;
    this.#settler = {
      finish: (job, ok, value) => this.#finish(job, ok, value),
      cutOff: (job) => this.#cutOff(job),
      run: (job, subscribe) => this.lifecycle.run(job.record as NonNullable<Job['record']>, subscribe),
      log,
    };

    // The server loop. The pump below only feeds an emission when the loop can start it, so
    // concatMap/mergeMap never buffer: no recursive drain, hence no stack overflow however long
    // the backlog, and synchronous handlers run in a flat loop. takeUntil comes last, so the
    // running handler is torn down too.
    const project = this.#batching
      ? concatMap((emission: Emission) => this.#runBatch(emission))
      : mergeMap((message: Emission) => this.#start(message as AnyMessage), this.#concurrency);
    this.#loop = this.#incoming
      .pipe(project, takeUntil(this.#stop$))
      /* istanbul ignore next -- see #crash */
      .subscribe({ error: (error: unknown) => this.#crash(error) });

    this.port.attach(this, this.#keyOf);
    this.retrace();
    this.#tokenWatch = args.token === undefined ? undefined : onTokenCancelled(args.token, () => this.stop());
    const signal = args.signal;
    if (signal !== undefined) {
      const stopped = (reason: unknown): void =>
        this.halt('the module server was stopped by its signal', reason);
      if (checkSignal('signal', signal)) {
        stopped(reasonOf(signal)); // aborted already: the server stops as soon as it is made
        return;
      }
      try {
        this.#signalWatch = onAbort(signal, stopped);
      } catch (error: unknown) {
        // Node's addEventListener reads the signal's `constructor`, which may be a throwing getter.
        this.halt('the module server could not listen to its signal', error);
        throw new TypeError('Expected `signal` to be an AbortSignal, but listening to it threw', {
          cause: error,
        });
      }
    }
    this.#pump();
  }

  // ── The channel side (ChannelConsumer) ────────────────────────────────────────────────────

  /**
   * The channel has a message for us (or its counters changed). The start policy: the first
   * message of a burst runs at once, on the sender's stack (a lone request is answered with no
   * hop); the rest of a synchronous burst waits one microtask and is handed over as one batch,
   * or as soon as it fills one.
   */
  wake(): void {
    this.statsStream?.woke();
    if (this.#batching) {
      if (this.#emission !== undefined || this.isStopped) return;
      if (this.#burst) {
        // A burst that has filled a batch is handed over now, on the sender's stack: a long
        // synchronous loop of sends then keeps at most one batch waiting, not all of it (what
        // waits survives young-generation GCs, and a 100,000-message burst cost twice as much).
        if (this.channel.size < MAX_BATCH) return;
      } else {
        this.#burst = true;
        void RESOLVED.then(this.#flush);
        // On the module's clock too, so virtual time that never yields to microtasks sees it.
        if (this.scheduler !== undefined || isVirtualTime()) this.#scheduleOnClock(this.#flush);
      }
    }
    this.#pump();
  }

  refusal(message: unknown): Error | undefined {
    return deadlockRefusal(this, this.#calling, message, this.#concurrency, this.#keyOf);
  }

  // ── The loop: channel → emission → handler → reply ────────────────────────────────────────

  /** Emits what the loop can start now: the next batch, or (under `concurrency`) messages one by one. */
  #pump(): void {
    if (this.#pumping || this.isStopped) return;
    this.#pumping = true;
    try {
      if (this.#batching) {
        while (this.#emission === undefined && !this.isStopped) {
          const emission = this.port.batch(MAX_BATCH);
          if (emission === undefined) {
            // Nothing startable: a Shutdown at the head (it waited for everything before it), or none.
            const shutdown = this.port.take(true);
            if (shutdown !== undefined) this.#shutdown((shutdown as { token: unknown }).token);
            break;
          }
          this.#emission = emission;
          this.#incoming.next(emission);
        }
        return;
      }
      while (this.running < this.#concurrency) {
        // A Shutdown waits until everything sent before it has finished.
        const message = this.port.take(this.running === 0);
        if (message === undefined) break;
        if (message.type === 'Shutdown') {
          this.#shutdown(message.token);
          break;
        }
        this.running++;
        this.#incoming.next(message);
        if (this.isStopped) break;
      }
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * The concatMap project: handles the messages of one emission in order, one at a time. It
   * completes at once when every handler answered synchronously; else its inner waits for the
   * asynchronous one, and the batch goes on from there when it settles.
   */
  #runBatch(emission: Emission): Observable<never> {
    this.#emission = emission;
    this.#index = 0;
    if (this.#drive()) {
      this.#emission = undefined;
      return EMPTY;
    }
    return this.#pausedBatch;
  }

  /** Runs the batch from its next message; false when a handler went asynchronous (paused). */
  #drive(): boolean {
    const emission = this.#emission as Emission;
    const many = Array.isArray(emission);
    const length = many ? emission.length : 1;
    this.#driving = true;
    try {
      while (this.#index < length && !this.isStopped) {
        const expected = many ? (emission[this.#index] as AnyMessage) : (emission as AnyMessage);
        this.#index++;
        const message = this.port.startNext(expected);
        if (message === undefined) continue; // withdrawn since the batch was formed
        this.running = 1;
        const job = this.#handle(message);
        if (job !== undefined) {
          this.#paused = job;
          return false;
        }
      }
      return true;
    } finally {
      this.#driving = false;
    }
  }

  /** The paused job settled: the batch goes on; once it is done, the next emission. */
  #resume(): void {
    this.#paused = undefined;
    if (this.isStopped || !this.#drive()) return;
    const inner = this.#inner;
    this.#emission = undefined;
    this.#inner = undefined;
    inner?.complete(); // concatMap is idle again before anything new is fed to it
    this.#pump();
  }

  /**
   * Under `concurrency`: handles `first` and, while handlers answer synchronously and a slot is
   * free, the messages queued behind it (a run): one inner subscription for the run.
   */
  #start(first: AnyMessage): Observable<never> {
    for (let message: AnyMessage | undefined = first; ;) {
      const job = this.#handle(message);
      if (job !== undefined) {
        return new Observable<never>((subscriber) => {
          job.inner = subscriber;
          if (job.settled) return subscriber.complete(); // a stop came first
          return () => job.unfollow();
        });
      }
      if (this.isStopped || this.running >= this.#concurrency) return EMPTY;
      message = this.port.take(false); // a Shutdown ends the run; #pump takes it
      if (message === undefined) return EMPTY;
      this.running++;
    }
  }

  /**
   * Runs one handler. Returns its job when the handler went asynchronous and is still running
   * (followed from now on); `undefined` when it is settled: answered, failed, or stopped.
   */
  #handle(message: AnyMessage): Job | undefined {
    const job =
      message.type === 'Request'
        ? new Job('request', message.wrapper.message, message.wrapper, message)
        : new Job('command', (message as { message: unknown }).message, undefined, message);
    this.statsStream?.started();
    let result: unknown;
    let thrown = false;
    const outer = enter(this);
    const outerCalling = this.#calling;
    this.#calling = job;
    try {
      const lifecycle = this.trace;
      if (lifecycle !== undefined) {
        const record = (job.record = lifecycle.started(message as Parameters<Lifecycle['started']>[0]));
        result = lifecycle.run(record, () => this.#call(job));
      } else {
        result = this.#call(job);
      }
    } catch (error: unknown) {
      thrown = true;
      result = error;
    } finally {
      // Restored before anything is answered: a caller that reacts synchronously is no longer
      // "inside" this handler (no false self-deadlock).
      leave(outer);
      this.#calling = outerCalling;
    }
    if (thrown) return this.#settleNow(job, false, result);
    if (job.settled) {
      // The handler stopped the server itself: nobody waits for its result, but a promise it
      // returned must not become an unhandled rejection.
      swallow(result);
      return undefined;
    }
    let shape: Shape;
    try {
      shape = shapeOf(result);
    } catch (error: unknown) {
      // Probing the result threw (a Proxy, a throwing `then` getter): as Promise.resolve would,
      // the request fails with what the probe threw.
      return this.#settleNow(job, false, error);
    }
    if (shape === Shape.Value) return this.#settleNow(job, true, result);
    if (!this.#batching) this.#active.add(job);
    const teardown =
      shape === Shape.Observable
        ? followJob(this.#settler, job, result as Observable<unknown>)
        : awaitJob(this.#settler, job, result as PromiseLike<unknown>);
    if (!job.settled) {
      job.teardown = teardown;
      return job;
    }
    teardown?.(); // its observable answered synchronously
    return undefined;
  }

  #call(job: Job): unknown {
    return job.wrapper === undefined
      ? this.#handler.handleCommand(job.message as M, job)
      : this.#handler.handleRequest(job.message as M, job);
  }

  /** A handler that answered synchronously (or threw): settled, its slot freed, the run goes on. */
  #settleNow(job: Job, ok: boolean, value: unknown): undefined {
    this.#settle(job, ok, value);
    this.#release();
    return undefined;
  }

  /** An asynchronous handler is done: answer, free its slot, go on with the next message. */
  #finish(job: Job, ok: boolean, value: unknown): void {
    if (job.settled) {
      // A stop already failed it: the answer comes too late for anyone.
      if (job.wrapper !== undefined) lateReply(this.port, job, ok, value);
      return;
    }
    this.#settle(job, ok, value);
    this.#release();
    job.unfollow();
    if (this.#driving) return; // settled during #handle: the batch goes on from there
    if (this.#batching) return this.#resume();
    job.inner?.complete(); // mergeMap frees the slot before anything new is fed to it
    this.#pump();
  }

  /** The caller gave up while the job's observable ran: it is dropped, no reply comes. */
  #cutOff(job: Job): void {
    const wrapper = job.wrapper as NonNullable<Job['wrapper']>;
    const error = failure(
      'CANCELLED',
      'Request cancelled while its handler ran',
      givenUpOutcome(wrapper).error,
    );
    this.#settle(job, false, error, true);
    this.#release();
    job.unfollow();
    // The next message starts later, not inside the caller's give-up: a pipeline torn down
    // withdraws everything queued behind it in that same call. On the module's clock, so
    // virtual time sees it at this frame; and in a microtask, so a clock that never runs its
    // actions cannot stall the module. Whichever comes first goes on; the other finds it done.
    if (this.#batching) {
      const goOn = (): void => {
        if (this.#paused === job) this.#resume();
      };
      this.#scheduleOnClock(goOn);
      void RESOLVED.then(goOn);
      return;
    }
    job.inner?.complete();
    const pump = (): void => this.#pump();
    this.#scheduleOnClock(pump);
    void RESOLVED.then(pump);
  }

  #scheduleOnClock(work: () => void): void {
    try {
      (this.scheduler ?? monotonicScheduler).schedule(work);
    } catch {
      // A user scheduler that throws: the microtask scheduled with it still goes on.
    }
  }

  /** Frees the handler slot (a stop has already zeroed the count). */
  #release(): void {
    if (!this.isStopped) this.running--;
  }

  // ── Settlement: once per message ──────────────────────────────────────────────────────────

  /** `cutOff`: the caller gave up and the handler's observable was dropped (no reply came). */
  #settle(job: Job, ok: boolean, value: unknown, cutOff = false): void {
    if (job.settled) return;
    job.settled = true;
    job.release();
    if (!this.#batching) this.#active.delete(job);
    if (this.#keyOf !== undefined) this.port.release(job.source as AnyMessage);
    this.statsStream?.settled();
    this.handled++;
    const wrapper = job.wrapper;
    // Whether the caller gave up matters only to a failure, an event, or a dead-letter watcher:
    // an answered request nobody watches skips the check.
    const gaveUp =
      wrapper !== undefined && (!ok || job.record !== undefined || this.port.watched()) && isGivenUp(wrapper);
    // A request its caller gave up on that then fails (typically by honouring context.signal)
    // was cancelled, not broken: it is not reported as a handler failure.
    if (!ok && !gaveUp) {
      this.failed++;
      this.errors.next({ kind: job.kind, message: job.message as M, error: value as E });
      if (job.kind === 'command')
        this.log('error', 'spark-channel: handleCommand failed:', value, job.message);
      if (isNoRoute(value)) this.port.deadLetter('no-route', job.source as AnyMessage, value);
    }
    if (job.record !== undefined) settledEvent(this.lifecycle, job, gaveUp, ok, value);
    if (wrapper !== undefined) {
      if (gaveUp && !cutOff) lateReply(this.port, job, ok, value);
      reply(wrapper, ok ? { ok: true, value } : { ok: false, error: value });
    }
    if (!ok && this.#supervision !== undefined && !this.isStopped) this.#supervision.failed(job, value);
  }

  // ── Stopping ──────────────────────────────────────────────────────────────────────────────

  #shutdown(token: unknown): void {
    try {
      (token as { cancel(): void }).cancel();
    } catch (error: unknown) {
      this.log('warn', 'spark-channel: the Shutdown token threw from cancel():', error);
    }
    this.halt('the module server shut down');
  }

  protected halt(reason: string, cause?: unknown, deadReason: 'dropped' | 'policy' = 'dropped'): void {
    if (this.isStopped) return;
    this.isStopped = true;
    const paused = this.#paused;
    this.#paused = undefined;
    this.#stop$.next(); // takeUntil tears down the running inners
    paused?.unfollow(); // and the paused batch's job
    this.#stop$.complete();
    // The running jobs: the asynchronous ones, and the one whose handler is stopping us right now.
    const calling = this.#calling;
    if (calling !== undefined && !calling.settled) this.#active.add(calling);
    if (paused !== undefined && !paused.settled) this.#active.add(paused);
    this.abandoned = this.#active.size;
    const lifecycle = this.lifecycle;
    failRunning(this.#active, reason, cause, lifecycle);
    this.#active.clear();
    this.running = 0;
    // What is left of the batch in hand is still queued: the channel fails it with the rest.
    const dropped = this.port.close(reason, cause, deadReason);
    this.abandoned += dropped.requests + dropped.commands;
    if (dropped.commands > 0) {
      // Queued commands have no caller to reject: say so rather than lose them silently.
      this.log('warn', `spark-channel: ${reason}; ${dropped.commands} queued command(s) were not handled`);
    }
    this.#tokenWatch?.unsubscribe();
    this.#tokenWatch = undefined;
    this.#signalWatch?.();
    this.#signalWatch = undefined;
    this.#loop.unsubscribe();
    this.#incoming.complete();
    this.errors.complete();
    const stoppedEvent = { type: 'stopped' as const, at: lifecycle.now(), reason };
    lifecycle.emit(cause === undefined ? stoppedEvent : { ...stoppedEvent, error: cause });
    lifecycle.complete();
    this.statsStream?.stopped();
    this.resolveStopped();
  }

  /** Only a bug in the library itself gets here: fail safe, never leave callers hanging. */
  /* istanbul ignore next -- unreachable unless the library has a bug */
  #crash(error: unknown): void {
    this.log('error', 'spark-channel: module server loop failed, stopping:', error);
    this.halt('the module server loop failed');
  }
}
