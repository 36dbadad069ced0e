// Handler → reply: one handler call and the settlement of its message, once. The loop
// (lib/module-server.ts) decides which message runs when; this part runs it, follows it when it
// goes asynchronous (follow.ts), answers it and frees its slot, then tells the loop through three
// hook points (track, goOn, goOnLater) so the default and the concurrent loop share it whole.
import type { Observable } from 'rxjs';

import type { SparkGenericModuleHandler } from '../../handler.js';
import type { ModuleChannel } from '../../module-channel.js';
import type { SparkGenericModuleMessage } from '../../module-message.js';
import type { ChannelPort } from '../channel/channel-port.js';
import { reply } from '../reply.js';
import { failure } from '../validate.js';
import { AwaitSlot, followJob, type Settler } from './follow.js';
import { Job, type JobSource } from './job.js';
import { givenUpOutcome, type Lifecycle } from './lifecycle.js';
import type { ServerArguments } from './read-arguments.js';
import { lateReply } from './reports.js';
import { deadlockRefusal, enter, leave } from './self-deadlock.js';
import { ServerSurface } from './server-surface.js';
import { Shape, shapeOf, swallow } from './shape.js';

export type AnyMessage = SparkGenericModuleMessage<unknown, unknown, unknown, unknown>;

/** Runs handlers and settles their messages; a loop says which message runs next. */
export abstract class HandlerInvocation<M, R, E> extends ServerSurface<M, E> {
  protected readonly concurrency: number;
  protected readonly keyOf: ((message: unknown) => unknown) | undefined;
  /** The jobs running asynchronously beyond the paused one: a stop fails them (concurrent-server.ts). */
  protected readonly active = new Set<Job>();
  readonly #handler: SparkGenericModuleHandler<M, R, E>;
  readonly #settler: Settler;
  readonly #awaiting: AwaitSlot;
  // What runs synchronously now (self-deadlock, a stop from inside a handler): its channel
  // message, not its Job, unless the Job is kept anyway (traced). See Job.standIn.
  #calling: AnyMessage | Job | undefined;

  constructor(
    handler: SparkGenericModuleHandler<M, R, E>,
    channel: ModuleChannel<M, R, unknown, E>,
    port: ChannelPort,
    args: ServerArguments<M>, // checked by readArguments
  ) {
    super(channel as ModuleChannel<M, unknown, unknown, E>, port, args);
    this.keyOf = args.key as ((message: unknown) => unknown) | undefined;
    this.concurrency = args.concurrency;
    this.#handler = handler;
    this.#settler = {
      finish: (job, ok, value) => this.#finish(job, ok, value),
      cutOff: (job) => this.#cutOff(job),
      run: (job, subscribe) => this.lifecycle.run(job.record as NonNullable<Job['record']>, subscribe),
      log: (level, ...rest) => this.log(level, ...rest),
    };
    this.#awaiting = new AwaitSlot(this.#settler);
  }

  /** The channel asks before it queues a request whose caller is this module's running handler. */
  refusal(message: unknown): Error | undefined {
    const calling = this.#calling;
    return deadlockRefusal(
      this,
      calling === undefined ? undefined : calling instanceof Job ? calling : userMessage(calling),
      message,
      this.concurrency,
      this.keyOf,
    );
  }

  /**
   * The job whose handler is on the stack now (a handler that stops its own server), for a stop
   * to fail: the Job itself when it is kept, else a stand-in the running Job takes over from.
   */
  protected takeCalling(): Job | undefined {
    const calling = this.#calling;
    if (calling === undefined || calling instanceof Job) return calling;
    return Job.standIn(calling as JobSource);
  }

  /** Hook: an asynchronous job is followed from now on (set before following it). */
  protected abstract track(job: Job): void;
  /** Hook: an asynchronous job settled; the loop goes on with the next message. */
  protected abstract goOn(job: Job): void;
  /** Hook: as goOn, but after the caller's give-up that settled it has returned. */
  protected abstract goOnLater(job: Job): void;

  /**
   * Runs one handler. Returns its job when the handler went asynchronous and is still running
   * (followed from now on); `undefined` when it is settled: answered, failed, or stopped.
   *
   * Kept small on purpose, the rare paths in methods of their own: V8 then inlines the handler
   * call and the settlement into it (measured: a third of a pipelined request's instructions).
   */
  protected handle(message: AnyMessage): Job | undefined {
    const job = Job.of(message as JobSource);
    this.statsStream?.started();
    const outer = enter(this);
    const outerCalling = this.#calling;
    // The message, not the job: nothing stores the job while its handler runs (see Job.standIn).
    this.#calling = message;
    let result: unknown;
    try {
      result = this.trace === undefined ? this.#call(job) : this.#callTraced(job, message);
    } catch (error: unknown) {
      // Restored before anything is answered: a caller that reacts synchronously is no longer
      // "inside" this handler (no false self-deadlock).
      leave(outer);
      this.#calling = outerCalling;
      if (this.isStopped) job.takeOver(); // stopped from inside the handler
      return this.#settleNow(job, false, error);
    }
    leave(outer);
    this.#calling = outerCalling;
    if (this.isStopped) job.takeOver();
    if (!job.settled && (typeof result !== 'object' || result === null) && typeof result !== 'function')
      return this.#settleNow(job, true, result);
    return this.#follow(job, result);
  }

  /** The handler call, inside the lifecycle's `run` (someone observes the server). */
  #callTraced(job: Job, message: AnyMessage): unknown {
    this.#calling = job; // kept anyway, by the lifecycle's record and run: the stop fails it itself
    const lifecycle = this.trace as Lifecycle;
    const record = (job.record = lifecycle.started(message as Parameters<Lifecycle['started']>[0]));
    return lifecycle.run(record, () => this.#call(job));
  }

  /** What an object or function result means: a value, a promise or an observable to follow. */
  #follow(job: Job, result: unknown): Job | undefined {
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
    this.track(job);
    const teardown =
      shape === Shape.Observable
        ? followJob(this.#settler, job, result as Observable<unknown>)
        : this.#awaiting.adopt(job, result as PromiseLike<unknown>);
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
    this.goOn(job);
  }

  /** The caller gave up while the job's observable ran: it is dropped, no reply comes. */
  #cutOff(job: Job): void {
    const error = failure(
      'CANCELLED',
      'Request cancelled while its handler ran',
      givenUpOutcome(job.wrapper as NonNullable<Job['wrapper']>).error,
    );
    this.#settle(job, false, error, true);
    this.#release();
    job.unfollow();
    this.goOnLater(job);
  }

  /** Frees the handler slot (a stop has already zeroed the count). */
  #release(): void {
    if (!this.isStopped) this.running--;
  }

  /** Once per message. `cutOff`: the caller gave up and the handler's observable was dropped. */
  #settle(job: Job, ok: boolean, value: unknown, cutOff = false): void {
    if (job.settled) return;
    job.settled = true;
    job.release();
    if (this.keyOf !== undefined) this.port.release(job.source as AnyMessage);
    this.account(job, ok, value, cutOff);
    if (job.wrapper !== undefined) reply(job.wrapper, ok ? { ok: true, value } : { ok: false, error: value });
    if (!ok && this.supervision !== undefined && !this.isStopped) this.supervision.failed(job, value);
  }
}

/** The payload of a channel message: what a handler is called with. */
function userMessage(message: AnyMessage): { readonly message: unknown } {
  return message.type === 'Request' ? message.wrapper : (message as { readonly message: unknown });
}
