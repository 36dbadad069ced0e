// Per request on the hot path (no options, no default timeout, no rate limit): the promise, a
// CallbackWrapper, a PromiseOneshot and the Request message. With options: the promise, a
// RequestOneshot (which is also its deadline entry and its fan-out member), a wrapper, the
// Request message and the channel's refusal callback; a request still pending after its send
// adds a push to its timeout bucket and a Set entry in its signal's fanout, a wait for the rate
// limit a Ticket and a closure. No timer and no native listener per request.
import { Observable, type SchedulerLike } from 'rxjs';

import { CallbackWrapper } from './callback-wrapper.js';
import type { ClockOptions } from './clock-options.js';
import { SparkChannelCancellationToken } from './cancellation-token.js';
import { type GuardCheck, isClass, nameOf } from './internal/guard.js';
import { type ChannelPort, portOf } from './internal/channel/channel-port.js';
import { RESOLVED } from './internal/reply.js';
import { checkSignal, reasonOf } from './internal/signal/abort-fanout.js';
import { abortFailure } from './internal/signal/abort-reason.js';
import { DeadlineBuckets } from './internal/time/deadline-buckets.js';
import { kDeadlineBuckets } from './internal/time/deadlines.js';
import { readDispatcherOptions } from './internal/read-dispatcher-options.js';
import { PromiseOneshot } from './internal/signal/oneshot.js';
import {
  deliver,
  type GivingUp,
  type Reject,
  RequestOneshot,
  type Settle,
} from './internal/signal/request-oneshot.js';
import type { RateLimiter } from './internal/time/rate-limiter.js';
import { checkOptions, checkPositiveNumber, describe, failure } from './internal/validate.js';
import { isModuleChannel, type ModuleChannel } from './module-channel.js';
import { SparkGenericModuleMessage } from './module-message.js';
import { err, type Result } from './result.js';
import type { SparkChannelError } from './spark-channel-error.js';

/**
 * How a request's response is checked — the Rust crate's downcast. A class (anything whose own
 * `prototype` is non-writable: `class` syntax, `Date`, `Map`…) is checked with `instanceof`; any
 * other function is called as a type predicate.
 *
 * @example
 * const isUser: ResponseGuard<Response, User> = (r): r is User => r.kind === 'user';
 * const user = await dispatcher.request({ type: 'GetUser', id: 7 }, { guard: isUser });
 */
export type ResponseGuard<R, T extends R> =
  ((response: R) => response is T) | (abstract new (...args: never[]) => T); // `never[]`: any constructor's parameters fit

/**
 * Per-request options.
 *
 * @example
 * const options: RequestOptions<Response, User> = { guard: isUser, timeoutMs: 500, signal: controller.signal };
 * const user = await dispatcher.request({ type: 'GetUser', id: 7 }, options);
 */
export interface RequestOptions<R, T extends R> {
  /** Checks the response; a mismatch rejects with `INVALID_RESPONSE_TYPE`. */
  guard?: ResponseGuard<R, T>;
  /**
   * Rejects with `TIMEOUT` after this many milliseconds; `Infinity` for none. Counted from the
   * send (never earlier than the call); a handler that answers on the caller's stack is never
   * timed, and one that starts there and then goes asynchronous is timed from that moment.
   */
  timeoutMs?: number;
  /**
   * Aborting it rejects with `CANCELLED` (`TIMEOUT` when it timed out: `AbortSignal.timeout(ms)`);
   * an already aborted signal sends nothing.
   */
  signal?: AbortSignal;
}

/**
 * Dispatcher-wide options; `scheduler` is the clock of its timeouts and rate-limit windows.
 *
 * @example
 * const options: DispatcherOptions = { timeoutMs: 1_000, rateLimit: { limit: 100, intervalMs: 1_000 } };
 * const dispatcher = new SparkGenericModuleDispatcher(channel, options);
 */
export interface DispatcherOptions extends ClockOptions {
  /** The default `timeoutMs` of every request; `Infinity` (the default) for none. */
  timeoutMs?: number;
  /** At most `limit` sends in any `intervalMs` window; sends beyond it wait in order. */
  rateLimit?: { limit: number; intervalMs: number };
}

// The functions of the promise being made: one shared executor (no closure per request) leaves
// them here, and the caller takes them at once (an executor runs synchronously).
let resolveNext: (value: never) => void = noop;
let rejectNext: Reject = noop;
function capture<T>(resolve: (value: T) => void, reject: Reject): void {
  resolveNext = resolve;
  rejectNext = reject;
}

function noop(): void {}

/**
 * The client side of a module, as the Rust crate's `SparkGenericModuleDispatcher`: sends
 * Requests (and awaits their typed responses), Commands (fire-and-forget) and Shutdown.
 *
 * Calls made one after another reach the channel in call order: no method defers its send.
 *
 * @example
 * const dispatcher = new SparkGenericModuleDispatcher(channel, { timeoutMs: 1_000 });
 * const data = await dispatcher.request({ type: 'GetData', key: 'user123' });
 * await dispatcher.sendCommand({ type: 'LogEvent', event: 'User logged in' });
 * await dispatcher.shutdown();
 */
export class SparkGenericModuleDispatcher<M, R, C = SparkChannelCancellationToken, E = Error> {
  /** The channel this dispatcher sends on. */
  readonly sender: ModuleChannel<M, R, C, E>;
  readonly #port: ChannelPort;
  readonly #timeoutMs: number;
  readonly #limiter: RateLimiter | undefined;
  readonly #scheduler: SchedulerLike;
  #deadlines: DeadlineBuckets | undefined; // made by the first timed request
  #flushOnStop = false;

  /**
   * @throws TypeError naming `sender` when it is not a ModuleChannel, or `options`,
   * `rateLimit` or `scheduler` when they are not objects or reading them throws (a getter, a
   * Proxy trap: its error is the cause).
   * @throws RangeError naming `timeoutMs`, `rateLimit.limit` or `rateLimit.intervalMs` when bad.
   */
  constructor(sender: ModuleChannel<M, R, C, E>, options?: DispatcherOptions) {
    // A brand check: a Proxy of a channel would pass `instanceof`, then throw on every send.
    if (!isModuleChannel(sender)) {
      throw new TypeError(`Expected \`sender\` to be a ModuleChannel, got ${describe(sender)}`);
    }
    const args = readDispatcherOptions(options);
    this.sender = sender;
    this.#port = portOf(sender);
    this.#scheduler = args.scheduler;
    this.#timeoutMs = args.timeoutMs;
    this.#limiter = args.limiter;
  }

  /** @internal How many per-request timeout buckets are held (the tests' window on them). */
  get [kDeadlineBuckets](): number {
    return this.#deadlines?.size ?? 0;
  }

  /**
   * Sends `message` as a Request and resolves with the handler's response.
   *
   * Rejects with the handler's own error, unchanged; with `TIMEOUT` / `CANCELLED` when
   * `timeoutMs` / `signal` fires first; with `INVALID_RESPONSE_TYPE` when `guard` refuses the
   * response; with `SEND_FAILED` when the channel is closed and `RECEIVE_FAILED` when the server
   * stops before answering; with a `RangeError`/`TypeError` for bad options (nothing is sent).
   *
   * @example
   * const data = await dispatcher.request({ type: 'GetData', key: 'user123' }, { timeoutMs: 500 });
   * const date = await dispatcher.request(msg, { guard: Date }); // typed Date, checked at run time
   */
  request<T extends R = R>(message: M, options?: RequestOptions<R, T>): Promise<T> {
    const promise = new Promise<T>(capture);
    const resolve = resolveNext as (value: T) => void;
    const reject = rejectNext;
    resolveNext = rejectNext = noop; // holding them would keep the caller's promise alive
    if (options === undefined && this.#timeoutMs === Infinity && this.#limiter === undefined) {
      // The hot path: nothing to time, cancel, check or throttle.
      const wrapper = new CallbackWrapper<M, Result<R, E>>(
        message,
        new PromiseOneshot<R, E>(resolve as (value: R) => void, reject),
      );
      const envelope = SparkGenericModuleMessage.Request(wrapper);
      if (!this.#port.pushRequest(envelope)) this.#port.offer(envelope, reject, undefined, true);
    } else {
      try {
        this.#call<T>(message, options, false, resolve, reject);
      } catch (error: unknown) {
        /* istanbul ignore next -- #call settles every failure it can meet; a promise-returning method never throws */
        reject(error);
      }
    }
    return promise;
  }

  /**
   * The cold twin of {@link request}: sends on subscribe, emits the response and completes.
   * Unsubscribing before the response withdraws the request: it never starts if queued, and a
   * running handler sees `context.signal` abort.
   *
   * @example
   * clicks$.pipe(switchMap(() => dispatcher.request$({ type: 'GetData', key }))).subscribe(render);
   */
  request$<T extends R = R>(message: M, options?: RequestOptions<R, T>): Observable<T> {
    return new Observable<T>((subscriber) => {
      const call = this.#call<T>(message, options, true, (result: Result<T, unknown>) => {
        if (!result.ok) return subscriber.error(result.error);
        subscriber.next(result.value);
        subscriber.complete();
      });
      return call === undefined
        ? undefined
        : () => call.giveUp(failure('CANCELLED', 'Request cancelled: its subscriber unsubscribed'));
    });
  }

  /**
   * As {@link request}, but never rejects: resolves with `{ ok: true, value }` or
   * `{ ok: false, error }` (the handler's error, a `SparkChannelError`, or the `RangeError` /
   * `TypeError` of a bad option).
   *
   * @example
   * const r = await dispatcher.requestResult({ type: 'GetData', key });
   * if (r.ok) render(r.value); else showError(r.error);
   */
  requestResult<T extends R = R>(
    message: M,
    options?: RequestOptions<R, T>,
  ): Promise<Result<T, E | SparkChannelError>> {
    const promise = new Promise<Result<T, E | SparkChannelError>>(capture);
    const resolve = resolveNext as Settle<T>;
    resolveNext = rejectNext = noop;
    try {
      this.#call<T>(message, options, false, resolve);
    } catch (error: unknown) {
      /* istanbul ignore next -- #call settles every failure it can meet; this keeps "never rejects" */
      resolve(err(error));
    }
    return promise;
  }

  /**
   * Sends `message` as a Command. Resolves once the channel has accepted it (after waiting for
   * room or for the rate limit); the handler's outcome never comes back here. Rejects with
   * `SEND_FAILED` when the channel is closed.
   *
   * @example
   * await dispatcher.sendCommand({ type: 'LogEvent', event: 'User logged in' });
   */
  sendCommand(message: M): Promise<void> {
    try {
      const command = SparkGenericModuleMessage.Command(message);
      if (this.#limiter === undefined && this.#port.hasRoom()) {
        const refusal = this.#port.pushCommand(command); // only a throwing key function refuses it
        return refusal === undefined ? RESOLVED : Promise.reject(refusal);
      }
      // A closed channel refuses at once and takes no rate-limit slot.
      if (this.#limiter === undefined || this.sender.isClosed) return this.sender.send(command);
      return new Promise<void>((resolve, reject) => {
        this.#rateLimited(() => {
          this.sender.send(command).then(resolve, reject);
        });
      });
    } catch (error: unknown) {
      /* istanbul ignore next -- the channel reports refusals itself; a promise-returning method never throws */
      return Promise.reject(error);
    }
  }

  /**
   * Sends `message` as a Command now or throws: `SEND_FAILED` when the channel is closed,
   * `CHANNEL_FULL` when there is no room, `RATE_LIMITED` when over the rate limit.
   *
   * @example
   * try { dispatcher.trySendCommand({ type: 'LogEvent', event }); } catch { droppedEvents++; }
   */
  trySendCommand(message: M): void {
    const command = SparkGenericModuleMessage.Command(message);
    const limiter = this.#limiter;
    // Closed or full refuses first, so a refused send never takes a rate-limit slot.
    if (limiter === undefined || !this.#port.hasRoom()) return this.sender.trySend(command);
    let acquired: boolean;
    try {
      acquired = limiter.tryAcquire();
    } catch (error: unknown) {
      // The clock is the user's (the `scheduler` option): its `now()` threw.
      throw failure('SEND_FAILED', "Message refused: the rate limiter's clock threw", error);
    }
    if (!acquired) {
      const limited = failure(
        'RATE_LIMITED',
        `Over the rate limit of ${limiter.limit} per ${limiter.intervalMs} ms`,
      );
      this.#port.deadLetter('refused', command, limited);
      throw limited;
    }
    this.sender.trySend(command);
  }

  /**
   * Sends Shutdown with `token` (a new {@link SparkChannelCancellationToken} when omitted) and
   * resolves once the server has stopped; everything sent before it is handled first, and the
   * server cancels the token as it stops. On a stopped server it resolves at once; while another
   * Shutdown is under way it waits for that one, then cancels `token` too.
   *
   * @example
   * const token = new SparkChannelCancellationToken();
   * await dispatcher.shutdown(token); // token.isCancelled === true
   */
  shutdown(token?: C): Promise<void> {
    const channel = this.sender;
    const shutdownToken = token ?? (new SparkChannelCancellationToken() as C);
    if (this.#port.isStopped()) return cancelToken(shutdownToken);
    if (channel.isClosed) return this.#port.whenStopped().then(() => cancelToken(shutdownToken));
    let invalid: unknown;
    try {
      this.#port.offer(SparkGenericModuleMessage.Shutdown(shutdownToken), (error) => {
        invalid ??= error; // a refusal after waiting for room means the server stopped: fine
      });
    } catch (error: unknown) {
      /* istanbul ignore next -- the channel reports refusals itself; a promise-returning method never throws */
      invalid = error;
    }
    return invalid === undefined ? this.#port.whenStopped() : Promise.reject(invalid);
  }

  /** Runs `send` when the rate limit allows; a server stop lets every waiting send through at once (to be refused). */
  #rateLimited(send: () => void): () => void {
    const limiter = this.#limiter as RateLimiter;
    const leave = limiter.acquire(send);
    if (!this.#flushOnStop) {
      this.#flushOnStop = true;
      this.#port.onStop(() => limiter.flush());
    }
    return leave;
  }

  /**
   * Puts `call` in the rate limit's line. A method of its own: the closure it makes, were it in
   * #call, would put the variables it captures in a context made on every call, rate limit or
   * not (unless V8's escape analysis removes it), as it did in the abort fan-out's `join`.
   */
  #waitInLine<T extends R>(call: RequestOneshot<M, R, E, T>): void {
    call.waitInLine(this.#rateLimited(() => call.send()));
  }

  /**
   * Sends one request and settles it exactly once: with `reject`, through `settle` (the promise's
   * resolve) for a value and `reject` for an error; without, through `settle` with the Result.
   * Returns the request, to give up on (used by `request$`), unless it failed before it was made.
   */
  #call<T extends R>(
    message: M,
    options: RequestOptions<R, T> | undefined,
    cancellable: boolean,
    settle: Settle<T> | ((value: T) => void),
    reject?: Reject,
  ): GivingUp | undefined {
    let guard: GuardCheck<R, T> | undefined;
    let timeoutMs = this.#timeoutMs;
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      let aborted = false;
      // Every read of a foreign value happens here, before anything is sent: a getter, a Proxy
      // trap or a fake signal that throws rejects this request and nothing else.
      try {
        checkOptions('options', options);
        // Each option is read once: a getter cannot pass the check and then answer differently.
        const { guard: guardOption, timeoutMs: timeoutOption, signal: signalOption } = options;
        if (guardOption !== undefined)
          guard = { guard: guardOption, isClass: isClass(guardOption), name: nameOf(guardOption) };
        if (timeoutOption !== undefined) timeoutMs = checkPositiveNumber('timeoutMs', timeoutOption, true);
        if (signalOption !== undefined) {
          aborted = checkSignal('signal', signalOption);
          signal = signalOption;
        }
      } catch (error: unknown) {
        deliver(settle, reject, err(error));
        return undefined;
      }
      if (aborted) {
        const error = abortFailure(reasonOf(signal as AbortSignal), 'before it was sent');
        deliver(settle, reject, err(error));
        return undefined;
      }
    }

    const canGiveUp = timeoutMs !== Infinity || signal !== undefined || cancellable;
    const call = new RequestOneshot<M, R, E, T>(
      this.#port,
      message,
      canGiveUp,
      timeoutMs,
      guard,
      settle,
      reject,
    );
    if (this.#limiter === undefined || this.sender.isClosed) call.send();
    else {
      try {
        this.#waitInLine(call);
      } catch (error: unknown) {
        // The rate limiter's clock is the user's (the `scheduler` option): its now() threw, unsent.
        call.fail(error);
        return undefined;
      }
    }

    // A synchronous handler runs on this stack, so it has answered already: then no deadline
    // and no abort listener is ever made, and the clock is not even read. Only a request still
    // pending needs them. Its timeout counts from now, after the send: never earlier than the
    // call, and later only by the send itself (microseconds) or, for a handler that started on
    // this stack, by its synchronous part, which no timer could have interrupted anyway.
    if (call.pending) {
      try {
        if (signal !== undefined && checkSignal('signal', signal)) {
          call.onAbort(reasonOf(signal)); // aborted while it was being sent
        } else {
          // The bucket too is looked up only now: one made for a request answered on the spot
          // would never go idle, so would never be let go.
          if (timeoutMs !== Infinity) {
            const deadlines = (this.#deadlines ??= new DeadlineBuckets(this.#timeoutMs, this.#scheduler)).of(
              timeoutMs,
            );
            // Queued behind others (a burst, or overlapping callers), it shares a reading of
            // the clock with the ones around it: see Deadlines.armQueued.
            if (call.queued) deadlines.armQueued(call);
            else deadlines.arm(call, this.#scheduler.now());
          }
          if (signal !== undefined) call.listen(signal);
        }
      } catch (error: unknown) {
        // A foreign scheduler's now() or schedule() threw: the request fails, and is withdrawn.
        call.giveUp(error);
      }
    }
    return call;
  }
}

function cancelToken(token: unknown): Promise<void> {
  try {
    (token as { cancel(): void }).cancel();
  } catch (error: unknown) {
    return Promise.reject(error); // promise-returning methods never throw synchronously
  }
  return RESOLVED;
}
