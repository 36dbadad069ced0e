// The module server's public face: its counters, streams, drain and stop, over the loop's state.
// The loop (lib/module-server.ts) extends it and keeps only the data path; everything here is
// read by users and tools, never once per message.
import { Observable, Subject, type SchedulerLike } from 'rxjs';

import type { DeadLetter } from '../../dead-letter.js';
import type { ModuleChannel } from '../../module-channel.js';
import type { ModuleEvent } from '../../module-event.js';
import type {
  DrainReport,
  ModuleError,
  ModuleServer,
  ModuleServerLogger,
  ModuleServerStats,
} from '../../module-server-types.js';
import type { ChannelPort } from '../channel/channel-port.js';
import { drain } from './drain.js';
import type { Job } from './job.js';
import { Lifecycle } from './lifecycle.js';
import type { ServerArguments } from './read-arguments.js';
import { monotonicScheduler } from '../time/clock.js';
import { isGivenUp } from '../signal/cancellable-wrapper.js';
import { failRunning, lateReply, settledEvent } from './reports.js';
import { isNoRoute } from './shape.js';
import { StatsStream } from './stats.js';
import { watchStopTriggers } from './stop-triggers.js';
import { SupervisionHook } from './supervision-hook.js';

/**
 * What every module server has beside its loop: the `ModuleServer` surface (stats, `stats$`,
 * `events$`, `deadLetters$`, `errors$`, drain, stop) and the counters and hooks the loop updates.
 * The hook fields are set only while their feature is in use, so the loop reads one field for each.
 */
export abstract class ServerSurface<M, E> implements ModuleServer<M, E> {
  readonly errors$: Observable<ModuleError<M, E>>;
  readonly stopped: Promise<void>;

  protected readonly channel: ModuleChannel<M, unknown, unknown, E>;
  protected readonly port: ChannelPort;
  protected readonly scheduler: SchedulerLike | undefined;
  protected readonly lifecycle: Lifecycle;
  protected readonly errors = new Subject<ModuleError<M, E>>();
  /** Hook: the lifecycle, while anyone observes (events$ or an instrument). */
  protected trace: Lifecycle | undefined;
  /** Hook: stats$, from its first subscription. */
  protected statsStream: StatsStream | undefined;
  protected resolveStopped!: () => void;
  protected isStopped = false;
  protected running = 0;
  protected handled = 0;
  protected failed = 0;
  /** Jobs a stop cut off, running or queued (the drain report's `abandoned`). */
  protected abandoned = 0;
  /** Hook: a supervised handler (`supervise`). */
  protected readonly supervision: SupervisionHook | undefined;
  readonly #logger: ModuleServerLogger;
  #triggers: Pick<ServerArguments<M>, 'token' | 'signal'> | undefined; // until watchTriggers
  #unwatch: (() => void) | undefined;

  constructor(channel: ModuleChannel<M, unknown, unknown, E>, port: ChannelPort, args: ServerArguments<M>) {
    this.channel = channel;
    this.port = port;
    this.scheduler = args.scheduler;
    this.#logger = args.logger;
    this.lifecycle = new Lifecycle(args.instrument, args.scheduler, (level, ...rest) =>
      this.log(level, ...rest),
    );
    this.errors$ = this.errors.asObservable();
    this.stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));
    this.supervision =
      args.supervisor &&
      new SupervisionHook(
        args.supervisor,
        this.lifecycle,
        (level, ...rest) => this.log(level, ...rest),
        (reason, cause, dead) => this.halt(reason, cause, dead),
      );
    this.#triggers = args;
  }

  /** Listens to the `token` and `signal` options, once the loop runs: either may stop it at once. */
  protected watchTriggers(): void {
    const triggers = this.#triggers as Pick<ServerArguments<M>, 'token' | 'signal'>;
    this.#triggers = undefined;
    this.#unwatch = watchStopTriggers(
      triggers,
      () => this.stop(),
      (reason, cause) => this.halt(reason, cause),
    );
    if (this.isStopped) this.unwatchTriggers(); // halted before watchStopTriggers returned
  }

  protected unwatchTriggers(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
  }

  /**
   * The loop lets go of its stream and of the batch in hand (what is left of it is still queued:
   * the channel fails it with the rest); returns the jobs still running, for the stop to fail.
   */
  protected abstract letGo(): Iterable<Job>;

  /** Stops the server now (see {@link ModuleServer.stop}); every stop ends here. */
  protected halt(reason: string, cause?: unknown, deadReason: 'dropped' | 'policy' = 'dropped'): void {
    if (this.isStopped) return;
    this.isStopped = true;
    const running = [...this.letGo()];
    this.unwatchTriggers();
    this.settleStop(running, reason, cause, deadReason);
  }

  get isRunning(): boolean {
    return !this.isStopped;
  }

  stop(): void {
    this.halt('the module server was stopped');
  }

  stats(): ModuleServerStats {
    return {
      queued: this.channel.size,
      running: this.running,
      handled: this.handled,
      failed: this.failed,
    };
  }

  get stats$(): Observable<ModuleServerStats> {
    return new Observable<ModuleServerStats>((subscriber) =>
      (this.statsStream ??= new StatsStream(
        () => this.stats(),
        () => this.isStopped,
      )).subscribe(subscriber),
    );
  }

  drain(deadlineMs: number): Promise<DrainReport> {
    return drain(
      {
        port: this.port,
        scheduler: this.scheduler,
        stopped: this.stopped,
        state: () => ({
          isClosed: this.channel.isClosed,
          isStopped: this.isStopped,
          handled: this.handled,
          failed: this.failed,
          abandoned: this.abandoned,
        }),
        halt: (reason) => this.halt(reason),
      },
      deadlineMs,
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain(Infinity);
  }

  get events$(): Observable<ModuleEvent<M>> {
    return new Observable<ModuleEvent<M>>((subscriber) => {
      if (this.isStopped) return subscriber.complete();
      const subscription = (this.lifecycle.subject as Subject<ModuleEvent<M>>).subscribe(subscriber);
      this.retrace();
      return () => {
        subscription.unsubscribe();
        this.retrace();
      };
    });
  }

  get deadLetters$(): Observable<DeadLetter<M>> {
    return this.port.deadLetters() as Observable<DeadLetter<M>>;
  }

  /** Someone started or stopped observing: the server and its channel check one field per message. */
  protected retrace(): void {
    const trace = this.lifecycle.active ? this.lifecycle : undefined;
    this.trace = trace;
    this.port.setTrace(trace);
  }

  /**
   * Everything a settled job reports besides its reply: counted, on `stats$`, a failure on
   * `errors$` and in the log, its `settled` event, a late reply's dead letter. `cutOff`: the
   * caller gave up and the handler's observable was dropped (no reply came).
   */
  protected account(job: Job, ok: boolean, value: unknown, cutOff: boolean): void {
    this.statsStream?.settled();
    this.handled++;
    const wrapper = job.wrapper;
    // Whether the caller gave up matters only to a failure, an event, or a dead-letter watcher:
    // an answered request nobody watches skips the check.
    const gaveUp =
      wrapper !== undefined && (!ok || job.record !== undefined || this.port.watched()) && isGivenUp(wrapper);
    // A request its caller gave up on that then fails (typically by honouring context.signal)
    // was cancelled, not broken: it is not reported as a handler failure.
    if (!ok && !gaveUp) this.reportFailure(job, value);
    if (job.record !== undefined) settledEvent(this.lifecycle, job, gaveUp, ok, value);
    if (gaveUp && !cutOff) lateReply(this.port, job, ok, value);
  }

  /** Runs `work` on the module's clock (virtual time sees it at this frame). */
  protected scheduleOnClock(work: () => void): void {
    try {
      (this.scheduler ?? monotonicScheduler).schedule(work);
    } catch {
      // A user scheduler that throws: the microtask scheduled with it still goes on.
    }
  }

  /** A handler failed (not a request its caller gave up on): counted, on `errors$`, logged. */
  protected reportFailure(job: Job, error: unknown): void {
    this.failed++;
    this.errors.next({ kind: job.kind, message: job.message as M, error: error as E });
    if (job.kind === 'command') this.log('error', 'spark-channel: handleCommand failed:', error, job.message);
    if (isNoRoute(error)) this.port.deadLetter('no-route', job.source as never, error);
  }

  /** A Shutdown reached the loop: its token is cancelled, then the server stops. */
  protected shutdown(token: unknown): void {
    try {
      (token as { cancel(): void }).cancel();
    } catch (error: unknown) {
      this.log('warn', 'spark-channel: the Shutdown token threw from cancel():', error);
    }
    this.halt('the module server shut down');
  }

  /**
   * The end of every stop, once the loop has let go: the jobs still running are failed, the
   * channel fails what is queued, and `errors$`, `events$` and `stopped` end.
   */
  protected settleStop(
    running: readonly Job[],
    reason: string,
    cause: unknown,
    deadReason: 'dropped' | 'policy',
  ): void {
    const lifecycle = this.lifecycle;
    this.abandoned = running.length;
    failRunning(running, reason, cause, lifecycle);
    this.running = 0;
    const dropped = this.port.close(reason, cause, deadReason);
    this.abandoned += dropped.requests + dropped.commands;
    if (dropped.commands > 0) {
      // Queued commands have no caller to reject: say so rather than lose them silently.
      this.log('warn', `spark-channel: ${reason}; ${dropped.commands} queued command(s) were not handled`);
    }
    this.errors.complete();
    const stoppedEvent = { type: 'stopped' as const, at: lifecycle.now(), reason };
    lifecycle.emit(cause === undefined ? stoppedEvent : { ...stoppedEvent, error: cause });
    lifecycle.complete();
    this.statsStream?.stopped();
    this.resolveStopped();
  }

  protected log(level: 'error' | 'warn', ...args: unknown[]): void {
    try {
      const logger = this.#logger;
      if (level === 'warn' && typeof logger.warn === 'function') logger.warn(...args);
      else logger.error(...args);
    } catch {
      // A throwing logger must not take the server loop down.
    }
  }
}
