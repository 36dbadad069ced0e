// A dispatcher request with options: reply oneshot, deadline entry and abort fan-out member in
// one object, so a timed or cancellable request makes no closure of its own.
import { CallbackWrapper } from '../../callback-wrapper.js';
import { SparkGenericModuleMessage } from '../../module-message.js';
import { err, type Result } from '../../result.js';
import type { ChannelPort } from '../channel/channel-port.js';
import { checkGuard, type GuardCheck } from '../guard.js';
import type { Deadlines, Timed } from '../time/deadlines.js';
import { failure } from '../validate.js';
import { type AbortFanout, type AbortMember, join, leave } from './abort-fanout.js';
import { abortFailure } from './abort-reason.js';
import { CancellableWrapper } from './cancellable-wrapper.js';
import { SettlingOneshot } from './oneshot.js';

export type Settle<T> = (result: Result<T, unknown>) => void;
export type Reject = (error: unknown) => void;
/** A request that can be given up on; typed apart from its message, so the dispatcher stays covariant in M. */
export interface GivingUp {
  giveUp(error: unknown): void;
}

/** Settles a request that failed before it was made, as {@link RequestOneshot} would have. */
export function deliver<T>(
  settle: Settle<T> | ((value: T) => void),
  reject: Reject | undefined,
  result: Result<T, unknown>,
): void {
  if (reject === undefined) (settle as Settle<T>)(result);
  else if (result.ok) (settle as (value: T) => void)(result.value);
  else reject(result.error);
}

/**
 * A dispatcher request with options: its reply oneshot (a real `AsyncSubject`, to which the
 * server replies and anyone may subscribe), its deadline entry and its signal's fan-out member
 * in one object, so a request makes no closure of its own to be timed, cancelled or settled.
 */
export class RequestOneshot<M, R, E, T extends R>
  extends SettlingOneshot<Result<R, E>>
  implements Timed, AbortMember
{
  // Declared and assigned in the constructor, not class fields or `#` (one per request): V8
  // runs field initialisers and installs a private brand as extra work per construction.
  declare dueAt: number;
  declare timedBy: Deadlines | undefined;
  declare readonly wrapper: CallbackWrapper<M, Result<R, E>>;
  declare readonly request: SparkGenericModuleMessage<M, R, unknown, E>;
  declare private readonly port: ChannelPort;
  declare private readonly timeoutMs: number;
  declare private readonly guard: GuardCheck<R, T> | undefined;
  declare private readonly settle: Settle<T> | ((value: T) => void);
  declare private readonly reject: Reject | undefined;
  declare abortFanout: AbortFanout | undefined;
  declare abortPrev: AbortMember | undefined;
  declare abortNext: AbortMember | undefined;
  declare private leaveLine: (() => void) | undefined;
  declare private done: boolean;

  constructor(
    port: ChannelPort,
    message: M,
    canGiveUp: boolean,
    timeoutMs: number,
    guard: GuardCheck<R, T> | undefined,
    settle: Settle<T> | ((value: T) => void),
    reject: Reject | undefined,
  ) {
    super();
    this.dueAt = 0;
    this.timedBy = undefined;
    this.port = port;
    this.timeoutMs = timeoutMs;
    this.guard = guard;
    this.settle = settle;
    this.reject = reject;
    this.abortFanout = undefined;
    this.abortPrev = undefined;
    this.abortNext = undefined;
    this.leaveLine = undefined;
    this.done = false;
    this.wrapper = canGiveUp
      ? new CancellableWrapper<M, Result<R, E>>(message, this)
      : new CallbackWrapper<M, Result<R, E>>(message, this);
    this.request = SparkGenericModuleMessage.Request<M, R, E>(this.wrapper);
  }

  /** Whether the caller has not been answered yet. */
  get pending(): boolean {
    return !this.done;
  }

  /** Whether it waits in the channel's queue (sent, not started, not waiting for room). */
  get queued(): boolean {
    return this.wrapper instanceof CancellableWrapper && this.wrapper.held === true;
  }

  send(): void {
    // With room and nothing in the way, queued at once, held by its wrapper (to be withdrawn);
    // else offered with no callback: a refusal is answered on this oneshot, as the server's
    // answer would be.
    // Never sent once done (a request given up on leaves the rate-limit line first); were it, offer
    // would answer it as too late instead of queueing a request nobody waits for.
    if (
      /* istanbul ignore next -- unreachable: see above */ this.done ||
      !this.port.pushRequest(this.request, this.wrapper instanceof CancellableWrapper)
    )
      this.port.offer(this.request, undefined, undefined, true);
  }

  /** Settles the caller with `error` (the request was never sent). */
  fail(error: unknown): void {
    this.finish(err(error));
  }

  /** The request waits for the rate limit; `leave` takes it out of the line. */
  waitInLine(leave: () => void): void {
    this.leaveLine = leave;
  }

  /**
   * Hears of `signal`'s abort from now on.
   *
   * @throws whatever the native `addEventListener` throws for it.
   */
  listen(signal: AbortSignal): void {
    join(signal, this);
  }

  onDeadline(): void {
    this.giveUp(failure('TIMEOUT', `Request timed out after ${this.timeoutMs} ms`));
  }

  onAbort(reason: unknown): void {
    this.giveUp(abortFailure(reason, 'by its signal'));
  }

  /**
   * Settles the caller with `error` first, then aborts (the running handler's `context.signal`
   * sees it) and withdraws (a queued request never starts; a waiting one leaves the line).
   */
  giveUp(error: unknown): void {
    if (this.done) return;
    this.finish(err(error));
    if (this.wrapper instanceof CancellableWrapper) this.wrapper.giveUp(error);
    this.port.withdraw(this.request);
  }

  protected settled(hasValue: boolean, result: Result<R, E> | undefined, error?: unknown): void {
    if (this.done) return;
    /* istanbul ignore if -- the server always answers with a value; only a foreign completer could do this */
    if (!hasValue || result === undefined) {
      this.finish(err(failure('RECEIVE_FAILED', 'The reply oneshot completed without an answer', error)));
    } else if (!result.ok || this.guard === undefined) {
      this.finish(result as Result<T, unknown>);
    } else {
      this.finish(checkGuard(this.guard, result.value));
    }
  }

  private finish(result: Result<T, unknown>): void {
    if (this.done) return;
    this.done = true;
    this.timedBy?.cancel(this);
    if (this.abortFanout !== undefined) leave(this);
    this.leaveLine?.();
    deliver(this.settle, this.reject, result);
  }
}
