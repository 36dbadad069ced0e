// The server loop, top to bottom: channel → emission → handler → reply. The handler call and the
// settlement it ends in are internal/server/invoke.ts; the public face (stats, stats$, events$,
// deadLetters$, drain, stop) is internal/server/server-surface.ts; every feature that watches or
// steers the loop (stats$, supervision, self-deadlock, lifecycle events, dead letters) lives in
// lib/internal/server/ and meets it at a named point. This is the default loop, one message at a
// time; `concurrency` and `key` override its feed and project (internal/server/concurrent-server.ts);
// runModuleServer (run-module-server.ts) picks one.
// Per message: one Job. Per emission (a batch, or a lone message): one concatMap inner, and an
// Observable for it only if a handler of the batch goes asynchronous (internal/server/follow.ts).
import {
  concatMap,
  EMPTY,
  Observable,
  type OperatorFunction,
  Subject,
  type Subscriber,
  type Subscription,
  takeUntil,
} from 'rxjs';

import type { SparkGenericModuleHandler } from './handler.js';
import { type ChannelConsumer, portOf } from './internal/channel/channel-port.js';
import { RESOLVED } from './internal/reply.js';
import { type AnyMessage, HandlerInvocation } from './internal/server/invoke.js';
import type { Job } from './internal/server/job.js';
import { MessageStream } from './internal/server/message-stream.js';
import type { ServerArguments } from './internal/server/read-arguments.js';
import { isVirtualTime } from './internal/time/clock.js';
import type { ModuleChannel } from './module-channel.js';

// The server types, for the files that import them with the loop.
export type {
  DrainReport,
  ModuleError,
  ModuleServer,
  ModuleServerLogger,
  ModuleServerOptions,
  ModuleServerStats,
} from './module-server-types.js';

export type { AnyMessage } from './internal/server/invoke.js';
/** What the loop's Subject carries: a batch (the run of messages queued at that moment), or one alone. */
export type Emission = AnyMessage | readonly AnyMessage[];

/** The most messages one emission carries: a bigger batch saves nothing measurable, a smaller one costs inners. */
const MAX_BATCH = 1024;

/** A module server's loop: `Subject → concatMap(handle the emission) → takeUntil(stop)`. */
export class ModuleServerLoop<M, R, E> extends HandlerInvocation<M, R, E> implements ChannelConsumer {
  protected readonly incoming = new MessageStream<Emission>();
  readonly #stop$ = new Subject<void>();
  #loop: Subscription | undefined;
  #pumping = false;
  // The batch in hand:
  #emission: Emission | undefined; // until its last message settles
  #index = 0; // its next message
  #paused: Job | undefined; // its job whose handler went asynchronous
  #inner: Subscriber<never> | undefined; // its concatMap inner, while paused
  #driving = false; // #drive is on the stack: a job settling now lets it go on
  #burst = false; // a message ran at once this turn: the rest of the burst waits for #flush
  // The inner of a paused batch: one per server (one batch at a time), with no teardown to
  // register: a stop tears the paused job down itself.
  readonly #pausedBatch = new Observable<never>((subscriber) => {
    this.#inner = subscriber;
  });
  readonly #flush = (): void => {
    if (!this.#burst) return;
    this.#burst = false;
    this.feed();
  };

  constructor(
    handler: SparkGenericModuleHandler<M, R, E>,
    channel: ModuleChannel<M, R, unknown, E>,
    args: ServerArguments<M>, // checked by readArguments
  ) {
    super(handler, channel, portOf(channel), args);
  }

  /**
   * Subscribes the loop and binds it to the channel (after construction: a subclass's fields
   * exist by then). The feed only emits what the loop can start now, so concatMap never
   * buffers: no recursive drain, no stack overflow however long the backlog. takeUntil comes
   * last, so the running handler is torn down too.
   */
  start(): this {
    if (this.#loop !== undefined) return this; // not on the public type, but callable: once only
    this.#loop = this.incoming
      .pipe(this.project(), takeUntil(this.#stop$))
      /* istanbul ignore next -- see #crash */
      .subscribe({ error: (error: unknown) => this.#crash(error) });
    this.port.attach(this, this.keyOf);
    this.retrace();
    this.watchTriggers();
    this.feed();
    return this;
  }

  // ── The channel side (ChannelConsumer) ────────────────────────────────────────────────────

  /**
   * The channel has a message for us (or its counters changed). The start policy: the first
   * message of a burst runs at once, on the sender's stack (a lone request is answered with no
   * hop); the rest of a synchronous burst waits one microtask and is handed over as one batch,
   * or as soon as it fills one (what waits survives young-generation GCs: a 100,000-message
   * burst held whole cost twice as much).
   */
  wake(): void {
    this.statsStream?.woke();
    if (this.#emission !== undefined || this.isStopped) return;
    if (this.#burst) {
      if (this.channel.size < MAX_BATCH) return;
    } else {
      this.#burst = true;
      void RESOLVED.then(this.#flush);
      // On the module's clock too, so virtual time that never yields to microtasks sees it.
      if (this.scheduler !== undefined || isVirtualTime()) this.scheduleOnClock(this.#flush);
    }
    this.feed();
  }

  // ── The loop: channel → emission → handler → reply ────────────────────────────────────────

  /** Emits the next batch, when the loop is idle; takes a Shutdown that reached the head. */
  protected feed(): void {
    if (this.#pumping || this.isStopped) return;
    this.#pumping = true;
    try {
      while (this.#emission === undefined && !this.isStopped) {
        const emission = this.port.batch(MAX_BATCH);
        if (emission === undefined) {
          const shutdown = this.port.take(true); // it waited for everything before it
          if (shutdown !== undefined) this.shutdown((shutdown as { token: unknown }).token);
          break;
        }
        this.#emission = emission;
        this.incoming.next(emission);
      }
    } finally {
      this.#pumping = false;
    }
  }

  protected project(): OperatorFunction<Emission, never> {
    return concatMap((emission) => this.#runBatch(emission));
  }

  /** Handles one emission in order; its inner completes at once unless a handler went asynchronous. */
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
        this.#paused = this.handle(message); // undefined once settled (set early by track)
        if (this.#paused !== undefined) return false;
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
    this.feed();
  }

  /** An asynchronous job is settled: the loop goes on with the next message. */
  protected goOn(job: Job): void {
    // Settled while #drive is on the stack (inside handle): the batch goes on from there.
    if (!this.#driving && this.#paused === job) this.#resume();
  }

  /**
   * As {@link goOn}, but later, not inside the caller's give-up: a pipeline torn down withdraws
   * everything queued behind it in that same call. On the module's clock, so virtual time sees
   * it at this frame; and in a microtask, so a clock that never runs its actions cannot stall
   * the module. Whichever comes first goes on; the other finds it done.
   */
  protected goOnLater(job: Job): void {
    const goOn = (): void => {
      if (this.#paused === job) this.#resume();
    };
    this.scheduleOnClock(goOn);
    void RESOLVED.then(goOn);
  }

  /**
   * An asynchronous job is followed from now on: it pauses the batch. Set before following, so
   * a stop from inside its observable's subscribe fails it too.
   */
  protected track(job: Job): void {
    this.#paused = job;
  }

  // ── Stopping ──────────────────────────────────────────────────────────────────────────────

  protected letGo(): Iterable<Job> {
    const paused = this.#paused;
    this.#paused = undefined;
    this.#stop$.next(); // takeUntil tears down the running inners
    paused?.unfollow(); // and the paused batch's job
    this.#stop$.complete();
    // The running jobs: the asynchronous ones, and the one whose handler is stopping us right now.
    const calling = this.takeCalling();
    if (calling !== undefined && !calling.settled) this.active.add(calling);
    if (paused !== undefined && !paused.settled) this.active.add(paused);
    this.#loop?.unsubscribe();
    this.incoming.complete();
    const running = [...this.active];
    this.active.clear();
    return running;
  }

  /** Only a bug in the library itself gets here: fail safe, never leave callers hanging. */
  /* istanbul ignore next -- unreachable unless the library has a bug */
  #crash(error: unknown): void {
    this.log('error', 'spark-channel: module server loop failed, stopping:', error);
    this.halt('the module server loop failed');
  }
}
