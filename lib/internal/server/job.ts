import type { Subscriber } from 'rxjs';

import type { CallbackWrapper } from '../../callback-wrapper.js';
import { checkSignal, onAbort, reasonOf } from '../signal/abort-fanout.js';
import type { HandlerContext } from '../../handler.js';
import type { Result } from '../../result.js';
import type { MessageRecord } from './lifecycle.js';

/**
 * Jobs by their channel message, for a stop from inside a running handler (see
 * {@link Job.standIn}): a job registers here when its handler reads `signal`, a stand-in when a
 * stop finds the job unregistered.
 */
const bySource = new WeakMap<object, Job>();

/** A channel message a job can be made of. */
export type JobSource =
  | { readonly type: 'Request'; readonly wrapper: NonNullable<Job['wrapper']> }
  | { readonly type: 'Command'; readonly message: unknown };

/**
 * One message being handled: the handler's context, and the server's bookkeeping for it. The
 * context's AbortController is made only when the handler reads `signal`, so a handler that never
 * looks pays nothing for it.
 */
export class Job implements HandlerContext {
  // Declared and assigned in the constructor, not initialised as class fields: one Job is made
  // per message, and V8 runs field initialisers as a separate function call per construction
  // (measured: 7.7% of a fire-and-forget command's time).
  /** Set once the message's outcome is decided (answered, failed, or abandoned by a stop). */
  declare settled: boolean;
  /** Its lifecycle record, when someone observed the server as it started. */
  declare record: MessageRecord | undefined;
  /** An asynchronous job under `concurrency`: the inner subscription it holds a slot with. */
  declare inner: Subscriber<never> | undefined;
  /** An asynchronous job: stops following its observable (and its caller's signal). */
  declare teardown: (() => void) | undefined;
  declare readonly kind: 'request' | 'command';
  declare readonly message: unknown;
  declare readonly wrapper: CallbackWrapper<unknown, Result<unknown, unknown>> | undefined;
  /** The channel message it came in, by identity (keyed ordering releases its key with it). */
  declare readonly source: unknown;
  declare private controller: AbortController | undefined;
  declare private abortReason: unknown;
  declare private aborted: boolean;
  declare private unlink: (() => void) | undefined;

  constructor(
    kind: 'request' | 'command',
    message: unknown,
    wrapper: CallbackWrapper<unknown, Result<unknown, unknown>> | undefined,
    source: unknown = undefined,
  ) {
    this.kind = kind;
    this.message = message;
    this.wrapper = wrapper;
    this.source = source;
    this.settled = false;
    this.record = undefined;
    this.inner = undefined;
    this.teardown = undefined;
    this.controller = undefined;
    this.abortReason = undefined;
    this.aborted = false;
    this.unlink = undefined;
  }

  get signal(): AbortSignal {
    return (this.controller ??= this.createController()).signal;
  }

  /**
   * The job of `source`, whose handler is running synchronously right now, for a stop from
   * inside that handler to fail: the job itself if its handler read `signal`, else a stand-in
   * (the caller is answered through the same wrapper) whose state the running job takes over
   * when its handler returns, or as soon as it reads `signal`. Why: the server never stores a
   * synchronously running job anywhere, so V8 can leave a job its handler does not keep
   * unallocated (escape analysis; measured: a third of a pipelined request's instructions).
   */
  static standIn(source: JobSource): Job {
    let job = bySource.get(source);
    if (job === undefined) bySource.set(source, (job = Job.of(source)));
    return job;
  }

  /** The job of a Request or Command channel message. */
  static of(source: JobSource): Job {
    return source.type === 'Request'
      ? new Job('request', source.wrapper.message, source.wrapper, source)
      : new Job('command', source.message, undefined, source);
  }

  /** Takes over what a stop did to this job's stand-in, if it made one: settled, aborted. */
  takeOver(): void {
    const source = this.source;
    if (typeof source !== 'object' || source === null) return;
    const standIn = bySource.get(source);
    if (standIn === undefined || standIn === this) return;
    bySource.delete(source);
    if (standIn.settled) this.settled = true;
    if (standIn.aborted) this.abort(standIn.abortReason);
  }

  /** The work is no longer wanted: the server stopped. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    this.unlink?.();
    this.unlink = undefined;
    this.controller?.abort(reason);
  }

  /** Stops following the job's observable (and its caller's signal), once. */
  unfollow(): void {
    const teardown = this.teardown;
    this.teardown = undefined;
    teardown?.();
  }

  /** The work is over: stop listening to the caller. */
  release(): void {
    this.unlink?.();
    this.unlink = undefined;
  }

  private createController(): AbortController {
    // A stop from inside the handler finds this job from now on (see standIn); one that came
    // before is taken over.
    this.takeOver();
    if (typeof this.source === 'object' && this.source !== null) bySource.set(this.source, this);
    const controller = new AbortController();
    if (this.aborted) {
      controller.abort(this.abortReason);
      return controller;
    }
    const callerSignal = this.wrapper?.signal;
    if (callerSignal !== undefined && !this.settled) {
      // Read with the native getters: the channel admitted only real signals, but their own
      // properties could still lie.
      if (checkSignal('signal', callerSignal)) controller.abort(reasonOf(callerSignal));
      else this.unlink = onAbort(callerSignal, (reason) => controller.abort(reason));
    }
    return controller;
  }
}
