import {
  concatMap,
  EMPTY,
  EmptyError,
  isObservable,
  mergeMap,
  Observable,
  type SchedulerLike,
  Subject,
  type Observer,
  type Subscriber,
  type Subscription,
  take,
  takeUntil,
  type Unsubscribable,
} from 'rxjs';

import {
  isCancellationToken,
  onTokenCancelled,
  SparkChannelCancellationToken,
} from './cancellation-token.js';
import type { SparkGenericModuleHandler } from './handler.js';
import {
  type ChannelConsumer,
  kAttach,
  kClose,
  kDeadLetter,
  kDeadLetters,
  kTrace,
  kWatched,
  kFailed,
  kNoRoute,
  type Supervised,
  kOffer,
  kRefusedCount,
  kRelease,
  kTake,
} from './internal/channel-internals.js';
import { onAbort } from './internal/signal/abort-fanout.js';
import { longTimer, monotonicScheduler } from './internal/time/clock.js';
import { canGiveUp, isGivenUp } from './internal/signal/cancellable-wrapper.js';
import { givenUpOutcome, Lifecycle } from './internal/server/lifecycle.js';
import { isPromiseLike } from './internal/is-promise-like.js';
import { Job } from './internal/server/job.js';
import { reply } from './internal/reply.js';
import {
  checkOptions,
  checkPositiveInteger,
  checkPositiveNumber,
  checkScheduler,
  describe,
  failure,
  readable,
} from './internal/validate.js';
import { isModuleChannel, type ModuleChannel } from './module-channel.js';
import type { DeadLetter } from './dead-letter.js';
import type { ModuleEvent } from './module-event.js';
import type { ModuleInstrumentation } from './module-instrumentation.js';
import { SparkGenericModuleMessage } from './module-message.js';

/** A handler failure, as `errors$` reports it. */
export interface ModuleError<M, E> {
  readonly kind: 'request' | 'command';
  readonly message: M;
  readonly error: E;
}

/** A snapshot of a server's counters. */
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

/** Where command failures are logged. */
export interface ModuleServerLogger {
  error(...args: unknown[]): void;
  warn?(...args: unknown[]): void;
}

/** Options of {@link runModuleServer}; `M` types the `key` function's message. */
export interface ModuleServerOptions<M = never> {
  /** Where command failures are logged; `console` by default. */
  logger?: ModuleServerLogger;
  /** Cancelling this token stops the server at once, as `stop()` does. */
  token?: SparkChannelCancellationToken;
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
   * The module's clock: drain deadlines and supervision windows run on it, and lifecycle events
   * are stamped with its `now()`. Any RxJS scheduler; by default `asyncScheduler`'s timers on a
   * monotonic clock (`performance.now()`: setting the system clock moves no deadline, and
   * durations are sub-millisecond). Tests pass a `TestScheduler`, or keep the default under
   * jest's or vitest's fake timers.
   */
  scheduler?: SchedulerLike;
  /**
   * Hooks into every message, for tracing or metrics (`openTelemetry()` from `spark-channel/otel`
   * is one). A server without it pays nothing.
   */
  instrument?: ModuleInstrumentation<M>;
}

/** What {@link ModuleServer.drain} reports. */
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

// The server whose handler is running synchronously right now: a request to it from there can
// never start before that handler returns (the direct self-deadlock).
let current: ModuleServerImpl<unknown, unknown, unknown> | undefined;

type AnyMessage = SparkGenericModuleMessage<unknown, unknown, unknown, unknown>;

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

class ModuleServerImpl<M, R, E> implements ModuleServer<M, E>, ChannelConsumer {
  readonly errors$: Observable<ModuleError<M, E>>;
  readonly stopped: Promise<void>;

  readonly #handler: SparkGenericModuleHandler<M, R, E>;
  readonly #channel: ModuleChannel<M, R, unknown, E>;
  readonly #logger: ModuleServerLogger;
  readonly #concurrency: number;
  readonly #keyOf: ((message: M) => unknown) | undefined;
  readonly #scheduler: SchedulerLike | undefined;
  readonly #lifecycle: Lifecycle;
  #trace: Lifecycle | undefined;
  readonly #supervisor: Supervised | undefined;
  #calling: Job | undefined;
  #stats: Subject<ModuleServerStats> | undefined;
  #statsQueued = false;
  #abandoned = 0;
  readonly #incoming = new Subject<AnyMessage>();
  readonly #stop$ = new Subject<void>();
  readonly #errors = new Subject<ModuleError<M, E>>();
  readonly #active = new Set<Job>();
  readonly #loop: Subscription;
  #tokenWatch: Subscription | undefined;
  #resolveStopped!: () => void;
  #running = 0;
  #handled = 0;
  #failed = 0;
  #pumping = false;
  #stopped = false;

  constructor(
    handler: SparkGenericModuleHandler<M, R, E>,
    channel: ModuleChannel<M, R, unknown, E>,
    options: ModuleServerOptions<M> | undefined,
  ) {
    const { logger, token, concurrency, key, scheduler, instrument, supervisor } = readArguments(
      handler,
      channel,
      options,
    );
    this.#keyOf = key;
    this.#concurrency = concurrency;
    this.#scheduler = scheduler;
    this.#lifecycle = new Lifecycle(instrument, this.#scheduler, (level, ...args) =>
      this.#log(level, ...args),
    );
    this.#supervisor = supervisor;
    this.#handler = handler;
    this.#channel = channel;
    this.#logger = logger;
    this.errors$ = this.#errors.asObservable();
    this.stopped = new Promise<void>((resolve) => (this.#resolveStopped = resolve));

    // The server loop. The pump below only feeds a message when a handler slot is free, so
    // concatMap/mergeMap never buffer: no recursive drain, hence no stack overflow however long
    // the backlog, and a synchronous handler runs in a flat loop.
    const handle = (message: AnyMessage): Observable<never> => this.#start(message);
    this.#loop = this.#incoming
      .pipe(
        this.#concurrency === 1 ? concatMap(handle) : mergeMap(handle, this.#concurrency),
        takeUntil(this.#stop$), // last, so the running handler is torn down too
      )
      /* istanbul ignore next -- see #crash */
      .subscribe({ error: (error: unknown) => this.#crash(error) });

    channel[kAttach](this, this.#keyOf as ((message: unknown) => unknown) | undefined);
    this.#retrace();
    this.#tokenWatch = token === undefined ? undefined : onTokenCancelled(token, () => this.stop());
    this.#pump();
  }

  get events$(): Observable<ModuleEvent<M>> {
    return new Observable<ModuleEvent<M>>((subscriber) => {
      if (this.#stopped) return subscriber.complete();
      const subscription = (this.#lifecycle.subject as Subject<ModuleEvent<M>>).subscribe(subscriber);
      this.#retrace();
      return () => {
        subscription.unsubscribe();
        this.#retrace();
      };
    });
  }

  get deadLetters$(): Observable<DeadLetter<M>> {
    return this.#channel[kDeadLetters] as Observable<DeadLetter<M>>;
  }

  /** Someone started or stopped observing: the server and its channel check one field per message. */
  #retrace(): void {
    const trace = this.#lifecycle.active ? this.#lifecycle : undefined;
    this.#trace = trace;
    this.#channel[kTrace] = trace;
  }

  get isRunning(): boolean {
    return !this.#stopped;
  }

  stop(): void {
    this.#halt('the module server was stopped');
  }

  stats(): ModuleServerStats {
    return {
      queued: this.#channel.size,
      running: this.#running,
      handled: this.#handled,
      failed: this.#failed,
    };
  }

  get stats$(): Observable<ModuleServerStats> {
    return new Observable<ModuleServerStats>((subscriber) => {
      subscriber.next(this.stats());
      if (this.#stopped) return subscriber.complete();
      return (this.#stats ??= new Subject()).subscribe(subscriber);
    });
  }

  drain(deadlineMs: number): Promise<DrainReport> {
    try {
      checkPositiveNumber('deadlineMs', deadlineMs, true);
    } catch (error: unknown) {
      return Promise.reject(error);
    }
    const empty = { handled: 0, failed: 0, refused: 0, aborted: 0 };
    if (this.#stopped) return Promise.resolve({ outcome: 'stopped', ...empty });
    const channel = this.#channel;
    const start = { handled: this.#handled, failed: this.#failed, refused: channel[kRefusedCount] };
    let outcome: DrainReport['outcome'] = 'drained';
    let deadline: Subscription | undefined;
    try {
      // Armed before the channel closes: a user clock that throws refuses the drain untouched.
      if (deadlineMs !== Infinity) {
        deadline = longTimer(deadlineMs, this.#scheduler ?? monotonicScheduler, () => {
          outcome = 'deadline';
          this.#halt(`the drain deadline of ${deadlineMs} ms passed`);
        });
      }
    } catch (error: unknown) {
      return Promise.reject(
        new TypeError('Expected `scheduler` to be a working RxJS scheduler, but arming the deadline threw', {
          cause: error,
        }),
      );
    }
    if (!channel.isClosed) {
      channel[kOffer](
        SparkGenericModuleMessage.Shutdown(new SparkChannelCancellationToken()),
        () => undefined,
      );
    }
    return this.stopped.then(() => {
      deadline?.unsubscribe();
      return {
        outcome,
        handled: this.#handled - start.handled,
        failed: this.#failed - start.failed,
        refused: channel[kRefusedCount] - start.refused,
        aborted: outcome === 'deadline' ? this.#abandoned : 0,
      };
    });
  }

  /** The channel has a message for us (or its counters changed). */
  wake(): void {
    this.#pump();
    if (this.#stats !== undefined) this.#statsChanged();
  }

  refusal(message: unknown): Error | undefined {
    const calling = this.#calling;
    if (current !== this || calling === undefined) return undefined;
    if (this.#concurrency > 1) {
      const keyOf = this.#keyOf;
      if (keyOf === undefined) return undefined;
      try {
        if (!Object.is(keyOf(message as M), keyOf(calling.message as M))) return undefined;
      } catch {
        return undefined; // the channel reports the key function's own error
      }
    }
    return failure(
      'SEND_FAILED',
      'Request refused: it would deadlock. A handler sent a request to its own module, which cannot start it ' +
        'until that handler returns; send a command instead, or call the logic directly (see docs/flow-control.md)',
    );
  }

  #statsChanged(): void {
    if (this.#statsQueued || this.#stats?.observed !== true) return;
    this.#statsQueued = true;
    queueMicrotask(() => {
      this.#statsQueued = false;
      if (!this.#stopped) this.#stats?.next(this.stats());
    });
  }

  #pump(): void {
    if (this.#pumping || this.#stopped) return;
    this.#pumping = true;
    try {
      while (this.#running < this.#concurrency) {
        // A Shutdown waits until everything sent before it has finished.
        const message = this.#channel[kTake](this.#running === 0);
        if (message === undefined) break;
        if (message.type === 'Shutdown') {
          this.#shutdown(message.token);
          break;
        }
        this.#running++;
        this.#incoming.next(message);
        if (this.#stopped) break;
      }
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * The concatMap project: handles `first` and, while handlers answer synchronously, the messages
   * queued behind it, in order and one at a time (a run). A backlog of synchronous work then costs
   * one inner subscription instead of one per message. The inner completes when the run's last
   * message does: at once, or when its asynchronous handler settles.
   */
  #start(first: AnyMessage): Observable<never> {
    for (let message: AnyMessage | undefined = first; ;) {
      const pending = this.#handle(message);
      if (pending !== undefined) return pending;
      if (this.#stopped || this.#running >= this.#concurrency) return EMPTY;
      message = this.#channel[kTake](false); // a Shutdown ends the run; #pump takes it
      if (message === undefined) return EMPTY;
      this.#running++;
    }
  }

  /** Runs one handler; returns the observable of its completion when it goes asynchronous. */
  #handle(message: AnyMessage): Observable<never> | undefined {
    const job =
      message.type === 'Request'
        ? new Job('request', message.wrapper.message, message.wrapper, message)
        : new Job('command', (message as { message: unknown }).message, undefined, message);
    if (this.#stats !== undefined) this.#statsChanged();
    let result: unknown;
    let thrown = false;
    const outer = current;
    const outerCalling = this.#calling;
    current = this as ModuleServerImpl<unknown, unknown, unknown>;
    this.#calling = job;
    try {
      const lifecycle = this.#trace;
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
      current = outer;
      this.#calling = outerCalling;
    }
    if (thrown) {
      this.#settle(job, false, result);
      this.#release();
      return undefined;
    }
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
      this.#settle(job, false, error);
      this.#release();
      return undefined;
    }
    if (shape !== Shape.Value) {
      this.#active.add(job);
      return shape === Shape.Observable
        ? this.#follow(job, result as Observable<unknown>)
        : this.#await(job, result as PromiseLike<unknown>);
    }
    this.#settle(job, true, result);
    this.#release();
    return undefined;
  }

  #call(job: Job): unknown {
    return job.wrapper === undefined
      ? this.#handler.handleCommand(job.message as M, job)
      : this.#handler.handleRequest(job.message as M, job);
  }

  #await(job: Job, thenable: PromiseLike<unknown>): Observable<never> {
    return new Observable<never>((subscriber) => {
      let done = false; // a foreign thenable may call back twice, or throw after calling back
      const onValue = (value: unknown): void => {
        if (done) return;
        done = true;
        this.#finish(job, subscriber, true, value);
      };
      const onError = (error: unknown): void => {
        if (done) return;
        done = true;
        this.#finish(job, subscriber, false, error);
      };
      try {
        // Promise.resolve adopts a foreign thenable exactly as `await` would (a throwing `then`
        // rejects, a second callback is ignored) and hands a native promise back as it is.
        Promise.resolve(thenable).then(onValue, onError);
      } catch (error: unknown) {
        onError(error); // a native promise whose own `then` was replaced, and throws
      }
    });
  }

  /**
   * Follows a handler's observable: a request takes its first value and unsubscribes at once
   * (`take(1)`: even a synchronous source is cut off after one value), a command runs to
   * completion. A request whose caller gives up while it runs is cut off too: unsubscribing is
   * how RxJS cancels, so the slot frees without waiting for the source.
   */
  #follow(job: Job, source: Observable<unknown>): Observable<never> {
    return new Observable<never>((subscriber) => {
      const request = job.wrapper !== undefined;
      let answered = false;
      const observer: Partial<Observer<unknown>> = {
        next: (value) => {
          if (!request || answered) return;
          answered = true;
          this.#answer(job, subscriber, value);
        },
        error: (error: unknown) => {
          if (answered) return;
          answered = true;
          this.#finish(job, subscriber, false, error);
        },
        complete: () => {
          if (answered) return;
          answered = true;
          if (request) this.#finish(job, subscriber, false, new EmptyError());
          else this.#finish(job, subscriber, true, undefined);
        },
      };
      const stopWatching = request ? this.#watchCaller(job, subscriber) : undefined;
      let subscription: Unsubscribable | undefined;
      try {
        const followed = request ? take<unknown>(1)(source) : source;
        // Subscribing runs the observable's work: inside the instrumentation's `run` too.
        const record = job.record;
        subscription =
          record === undefined
            ? followed.subscribe(observer)
            : this.#lifecycle.run(record, () => followed.subscribe(observer));
      } catch (error: unknown) {
        observer.error?.(error); // a foreign observable whose lift or subscribe throws
      }
      return () => {
        stopWatching?.();
        try {
          subscription?.unsubscribe();
        } catch (error: unknown) {
          this.#log('error', "spark-channel: a handler's observable threw while unsubscribing:", error);
        }
      };
    });
  }

  /**
   * An observable's first value answers the request, but a thenable is adopted first, as a
   * promise handler's result is: resolving the caller's promise with it would adopt it out of
   * our reach, and one that never settles would leave the caller pending even after a stop.
   */
  #answer(job: Job, subscriber: Subscriber<never>, value: unknown): void {
    let shape: Shape;
    try {
      shape = shapeOf(value);
    } catch (error: unknown) {
      return this.#finish(job, subscriber, false, error);
    }
    if (shape !== Shape.Promise) return this.#finish(job, subscriber, true, value);
    let done = false;
    const settle = (ok: boolean, result: unknown): void => {
      if (done) return;
      done = true;
      this.#finish(job, subscriber, ok, result);
    };
    try {
      Promise.resolve(value as PromiseLike<unknown>).then(
        (result) => settle(true, result),
        (error: unknown) => settle(false, error),
      );
    } catch (error: unknown) {
      settle(false, error);
    }
  }

  /** Cuts the running observable of `job` off when its caller gives up on it. */
  #watchCaller(job: Job, subscriber: Subscriber<never>): (() => void) | undefined {
    const wrapper = job.wrapper as NonNullable<Job['wrapper']>;
    if (!canGiveUp(wrapper)) return undefined;
    const cutOff = (): void => {
      if (job.settled) return;
      const error = failure(
        'CANCELLED',
        'Request cancelled while its handler ran',
        givenUpOutcome(wrapper).error,
      );
      this.#settle(job, false, error, true);
      subscriber.complete();
      this.#release();
      // The next message starts later, not inside the caller's give-up: a pipeline torn down
      // withdraws everything queued behind it in that same call. On the module's clock, so
      // virtual time sees it at this frame; and in a microtask, so a clock that never runs its
      // actions cannot stall the module. Whichever comes first pumps; the other finds it done.
      try {
        (this.#scheduler ?? monotonicScheduler).schedule(() => this.#pump());
      } catch {
        // A user scheduler that throws: the microtask below still pumps.
      }
      void Promise.resolve().then(() => this.#pump());
    };
    try {
      return onAbort(wrapper.signal as AbortSignal, cutOff);
    } catch {
      /* istanbul ignore next -- the channel admits only signals that passed checkSignal */
      return undefined;
    }
  }

  /** An asynchronous handler is done: answer, let concatMap release it, then take the next. */
  #finish(job: Job, subscriber: Subscriber<never>, ok: boolean, value: unknown): void {
    if (job.settled) {
      // A stop already failed it: the answer comes too late for anyone.
      if (job.wrapper !== undefined) this.#lateReply(job, ok, value);
      return;
    }
    this.#settle(job, ok, value);
    subscriber.complete(); // concatMap is idle again before anything new is fed to it
    this.#release();
    this.#pump();
  }

  /** Frees the handler slot (a stop has already zeroed the count). */
  #release(): void {
    if (!this.#stopped) this.#running--;
  }

  /** `cutOff`: the caller gave up and the handler's observable was dropped (no reply came). */
  #settle(job: Job, ok: boolean, value: unknown, cutOff = false): void {
    if (job.settled) return;
    job.settled = true;
    job.release();
    this.#active.delete(job);
    if (this.#keyOf !== undefined) this.#channel[kRelease](job.source as AnyMessage);
    if (this.#stats !== undefined) this.#statsChanged();
    this.#handled++;
    const wrapper = job.wrapper;
    // Whether the caller gave up matters only to a failure, an event, or a dead-letter watcher:
    // an answered request nobody watches skips the check.
    const gaveUp =
      wrapper !== undefined &&
      (!ok || job.record !== undefined || this.#channel[kWatched]) &&
      isGivenUp(wrapper);
    // A request its caller gave up on that then fails (typically by honouring context.signal)
    // was cancelled, not broken: it is not reported as a handler failure.
    if (!ok && !gaveUp) {
      this.#failed++;
      this.#errors.next({ kind: job.kind, message: job.message as M, error: value as E });
      if (job.kind === 'command')
        this.#log('error', 'spark-channel: handleCommand failed:', value, job.message);
      if (isNoRoute(value)) this.#channel[kDeadLetter]('no-route', job.source as AnyMessage, value);
    }
    if (job.record !== undefined) this.#settledEvent(job, gaveUp, ok, value);
    if (wrapper !== undefined) {
      if (gaveUp && !cutOff) this.#lateReply(job, ok, value);
      reply(wrapper, ok ? { ok: true, value } : { ok: false, error: value });
    }
    if (!ok && this.#supervisor !== undefined && !this.#stopped) this.#supervise(value, job.message as M);
  }

  /** The settled event: a request its caller gave up on ends as the caller saw it. */
  #settledEvent(job: Job, gaveUp: boolean, ok: boolean, value: unknown): void {
    const record = job.record as NonNullable<Job['record']>;
    if (gaveUp && job.wrapper !== undefined) {
      const given = givenUpOutcome(job.wrapper);
      this.#lifecycle.settled(record, given.outcome, given.error);
    } else {
      this.#lifecycle.settled(record, ok ? 'ok' : 'error', ok ? undefined : value);
    }
  }

  #lateReply(job: Job, ok: boolean, value: unknown): void {
    this.#channel[kDeadLetter](
      'late-reply',
      job.source as AnyMessage,
      undefined,
      ok ? { ok: true, value } : { ok: false, error: value },
    );
  }

  /** A supervised handler failed: rebuild it, or give up and stop, as its policy says. */
  #supervise(error: unknown, message: M): void {
    const lifecycle = this.#lifecycle;
    const decision = (this.#supervisor as Supervised)[kFailed](error, message, lifecycle.now());
    if (decision.action === 'ignore') return;
    if (decision.action === 'restarted') {
      this.#log(
        'warn',
        `spark-channel: handler rebuilt after a fatal failure (restart ${decision.restarts}):`,
        error,
      );
      lifecycle.emit({ type: 'restarted', at: lifecycle.now(), error, restarts: decision.restarts });
      return;
    }
    this.#log('error', `spark-channel: stopping: ${decision.reason}:`, decision.error);
    this.#halt(decision.reason, decision.error, 'policy');
  }

  #shutdown(token: unknown): void {
    try {
      (token as { cancel(): void }).cancel();
    } catch (error: unknown) {
      this.#log('warn', 'spark-channel: the Shutdown token threw from cancel():', error);
    }
    this.#halt('the module server shut down');
  }

  #halt(reason: string, cause?: unknown, deadReason: 'dropped' | 'policy' = 'dropped'): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stop$.next(); // takeUntil tears down the running inners
    this.#stop$.complete();
    // The running jobs: the asynchronous ones, and the one whose handler is stopping us right now.
    const calling = this.#calling;
    if (calling !== undefined && !calling.settled) this.#active.add(calling);
    this.#abandoned = this.#active.size;
    const lifecycle = this.#lifecycle;
    for (const job of this.#active) {
      const what = job.kind === 'request' ? 'Request not answered' : 'Command not finished';
      const error = failure('RECEIVE_FAILED', `${what}: ${reason}`, cause);
      job.settled = true;
      job.abort(error);
      if (job.record !== undefined)
        this.#settledEvent(job, job.wrapper !== undefined && isGivenUp(job.wrapper), false, error);
      if (job.wrapper !== undefined) reply(job.wrapper, { ok: false, error });
    }
    this.#active.clear();
    this.#running = 0;
    const dropped = this.#channel[kClose](reason, cause, deadReason);
    this.#abandoned += dropped.requests + dropped.commands;
    if (dropped.commands > 0) {
      // Queued commands have no caller to reject: say so rather than lose them silently.
      this.#log('warn', `spark-channel: ${reason}; ${dropped.commands} queued command(s) were not handled`);
    }
    this.#tokenWatch?.unsubscribe();
    this.#tokenWatch = undefined;
    this.#loop.unsubscribe();
    this.#incoming.complete();
    this.#errors.complete();
    const stoppedEvent = { type: 'stopped' as const, at: lifecycle.now(), reason };
    lifecycle.emit(cause === undefined ? stoppedEvent : { ...stoppedEvent, error: cause });
    lifecycle.complete();
    if (this.#stats !== undefined) {
      this.#stats.next(this.stats());
      this.#stats.complete();
    }
    this.#resolveStopped();
  }

  /** Only a bug in the library itself gets here: fail safe, never leave callers hanging. */
  /* istanbul ignore next -- unreachable unless the library has a bug */
  #crash(error: unknown): void {
    this.#log('error', 'spark-channel: module server loop failed, stopping:', error);
    this.#halt('the module server loop failed');
  }

  #log(level: 'error' | 'warn', ...args: unknown[]): void {
    try {
      const logger = this.#logger;
      if (level === 'warn' && typeof logger.warn === 'function') logger.warn(...args);
      else logger.error(...args);
    } catch {
      // A throwing logger must not take the server loop down.
    }
  }
}

/** What a handler returned, as the loop treats it. */
type Shape = 0 | 1 | 2;
const Shape = { Value: 0, Promise: 1, Observable: 2 } as const;

/** Throws what probing a foreign result throws (a Proxy trap, a `then` getter). */
function shapeOf(result: unknown): Shape {
  if (typeof result !== 'object' && typeof result !== 'function') return Shape.Value;
  if (result === null) return Shape.Value;
  if (isObservable(result)) return Shape.Observable;
  return isPromiseLike(result) ? Shape.Promise : Shape.Value;
}

/** Attaches a no-op rejection handler to a result nobody will wait for, if it is a thenable. */
function swallow(result: unknown): void {
  try {
    if (shapeOf(result) === Shape.Promise)
      Promise.resolve(result as PromiseLike<unknown>).catch(() => undefined);
  } catch {
    // Probing it threw: it is no thenable of any use to anyone.
  }
}

/** Whether a handler failure is a router's NoRouteError; a thrown value may throw when read. */
function isNoRoute(value: unknown): boolean {
  try {
    return (value as { [kNoRoute]?: unknown } | null)?.[kNoRoute] === true;
  } catch {
    return false;
  }
}

/** The server's arguments, each read once: any of them may be a Proxy or have throwing getters. */
function readArguments<M>(handler: unknown, channel: unknown, options: ModuleServerOptions<M> | undefined) {
  readable('handler', () => checkHandler(handler));
  if (!isModuleChannel(channel)) {
    throw new TypeError(`Expected \`channel\` to be a ModuleChannel, got ${describe(channel)}`);
  }
  checkOptions('options', options);
  // Read once, through getters and prototypes as destructuring does, then never again.
  const {
    logger = console,
    token,
    concurrency = 1,
    key,
    scheduler,
    instrument,
  } = readable('options', (): ModuleServerOptions<M> => {
    const { logger, token, concurrency, key, scheduler, instrument } = options ?? {};
    return { logger, token, concurrency, key, scheduler, instrument } as ModuleServerOptions<M>;
  });
  if (key !== undefined && typeof key !== 'function') {
    throw new TypeError(`Expected \`key\` to be a function, got ${describe(key)}`);
  }
  if (readable('logger', () => typeof (logger as Partial<ModuleServerLogger> | null)?.error !== 'function')) {
    throw new TypeError(`Expected \`logger\` to have an error() method, got ${describe(logger)}`);
  }
  if (token !== undefined && !isCancellationToken(token)) {
    throw new TypeError(`Expected \`token\` to be a SparkChannelCancellationToken, got ${describe(token)}`);
  }
  const supervised = readable(
    'handler',
    () => typeof (handler as Partial<Supervised>)[kFailed] === 'function',
  );
  return {
    logger,
    token,
    key,
    concurrency: checkPositiveInteger('concurrency', concurrency),
    scheduler: scheduler === undefined ? undefined : readable('scheduler', () => checkScheduler(scheduler)),
    instrument:
      instrument === undefined ? undefined : readable('instrument', () => snapshotInstrument(instrument)),
    supervisor: supervised ? (handler as Supervised) : undefined,
  };
}

/**
 * The hooks of `instrument`, read once: a getter read per message could throw in the loop. Each
 * is still called on the instrument itself.
 */
function snapshotInstrument<M>(instrument: ModuleInstrumentation<M>): ModuleInstrumentation<M> {
  if (typeof instrument !== 'object' || instrument === null) {
    throw new TypeError(`Expected \`instrument\` to be an object of hooks, got ${describe(instrument)}`);
  }
  const snapshot: Record<string, unknown> = {};
  for (const hook of ['sent', 'run', 'settled'] as const) {
    const value = (instrument as Record<string, unknown>)[hook];
    if (value === undefined) continue;
    if (typeof value !== 'function') {
      throw new TypeError(`Expected \`instrument.${hook}\` to be a function, got ${describe(value)}`);
    }
    snapshot[hook] = (...args: unknown[]): unknown => Reflect.apply(value, instrument, args) as unknown;
  }
  return snapshot;
}

function checkHandler(handler: unknown): void {
  if (typeof handler !== 'object' || handler === null) {
    throw new TypeError(
      `Expected \`handler\` to be an object with handleRequest and handleCommand, got ${describe(handler)}`,
    );
  }
  for (const method of ['handleRequest', 'handleCommand'] as const) {
    if (typeof (handler as Record<string, unknown>)[method] !== 'function') {
      throw new TypeError(
        `Expected \`handler.${method}\` to be a function, got ${describe((handler as Record<string, unknown>)[method])}`,
      );
    }
  }
}
