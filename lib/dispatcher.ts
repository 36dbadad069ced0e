import { asyncScheduler, Observable, type SchedulerLike } from 'rxjs';

import { CallbackWrapper } from './callback-wrapper.js';
import { SparkChannelCancellationToken } from './cancellation-token.js';
import {
  kDeadLetter,
  kHasRoom,
  kIsStopped,
  kOffer,
  kOnStop,
  kWhenStopped,
  kWithdraw,
  RESOLVED,
} from './internal/channel-internals.js';
import { onAbort as listenForAbort } from './internal/abort-fanout.js';
import { CancellableWrapper } from './internal/cancellable-wrapper.js';
import { Deadlines } from './internal/deadlines.js';
import { Oneshot, PromiseOneshot } from './internal/oneshot.js';
import { RateLimiter } from './internal/rate-limiter.js';
import {
  checkAbortSignal,
  checkOptions,
  checkPositiveInteger,
  checkPositiveNumber,
  checkScheduler,
  describe,
  failure,
} from './internal/validate.js';
import { ModuleChannel } from './module-channel.js';
import { SparkGenericModuleMessage } from './module-message.js';
import { err, type Result } from './result.js';
import type { SparkChannelError } from './spark-channel-error.js';

/**
 * How a request's response is checked — the Rust crate's downcast. A class (anything whose own
 * `prototype` is non-writable: `class` syntax, `Date`, `Map`…) is checked with `instanceof`; any
 * other function is called as a type predicate.
 */
export type ResponseGuard<R, T extends R> =
  ((response: R) => response is T) | (abstract new (...args: never[]) => T); // `never[]`: any constructor's parameters fit

/** Per-request options. */
export interface RequestOptions<R, T extends R> {
  /** Checks the response; a mismatch rejects with `INVALID_RESPONSE_TYPE`. */
  guard?: ResponseGuard<R, T>;
  /** Rejects with `TIMEOUT` after this many milliseconds; `Infinity` for none. */
  timeoutMs?: number;
  /** Aborting it rejects with `CANCELLED`; an already aborted signal sends nothing. */
  signal?: AbortSignal;
}

/** Dispatcher-wide options. */
export interface DispatcherOptions {
  /** The default `timeoutMs` of every request; `Infinity` (the default) for none. */
  timeoutMs?: number;
  /** At most `limit` sends in any `intervalMs` window; sends beyond it wait in order. */
  rateLimit?: { limit: number; intervalMs: number };
  /**
   * The clock of request timeouts and rate-limit windows: any RxJS scheduler, `asyncScheduler`
   * (real time) by default. Tests pass a `TestScheduler`, or keep the default under fake timers.
   */
  scheduler?: SchedulerLike;
}

type Settle<T> = (result: Result<T, unknown>) => void;

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
  readonly #timeoutMs: number;
  readonly #limiter: RateLimiter | undefined;
  readonly #deadlines = new Map<number, Deadlines>();
  readonly #scheduler: SchedulerLike;
  #flushOnStop = false;

  /**
   * @throws TypeError naming `sender` when it is not a ModuleChannel.
   * @throws RangeError naming `timeoutMs`, `rateLimit.limit` or `rateLimit.intervalMs` when bad.
   */
  constructor(sender: ModuleChannel<M, R, C, E>, options?: DispatcherOptions) {
    if (!(sender instanceof ModuleChannel)) {
      throw new TypeError(`Expected \`sender\` to be a ModuleChannel, got ${describe(sender)}`);
    }
    checkOptions('options', options);
    this.sender = sender;
    this.#scheduler = options?.scheduler === undefined ? asyncScheduler : checkScheduler(options.scheduler);
    this.#timeoutMs =
      options?.timeoutMs === undefined ? Infinity : checkPositiveNumber('timeoutMs', options.timeoutMs, true);
    const rateLimit = options?.rateLimit;
    if (rateLimit !== undefined) {
      checkOptions('rateLimit', rateLimit);
      this.#limiter = new RateLimiter(
        checkPositiveInteger('rateLimit.limit', rateLimit.limit),
        checkPositiveNumber('rateLimit.intervalMs', rateLimit.intervalMs, false),
        this.#scheduler,
      );
    }
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
    if (options === undefined && this.#timeoutMs === Infinity && this.#limiter === undefined) {
      // The hot path: nothing to time, cancel, check or throttle.
      return new Promise<T>((resolve, reject) => {
        const wrapper = new CallbackWrapper<M, Result<R, E>>(
          message,
          new PromiseOneshot<R, E>(resolve as (value: R) => void, reject),
        );
        this.sender[kOffer](SparkGenericModuleMessage.Request(wrapper), reject, undefined, true);
      });
    }
    return new Promise<T>((resolve, reject) => {
      this.#call<T>(message, options, false, (result) =>
        result.ok ? resolve(result.value) : reject(result.error),
      );
    });
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
    return new Observable<T>((subscriber) =>
      this.#call<T>(message, options, true, (result) => {
        if (!result.ok) return subscriber.error(result.error);
        subscriber.next(result.value);
        subscriber.complete();
      }),
    );
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
    return new Promise((resolve) => {
      this.#call<T>(message, options, false, resolve as Settle<T>);
    });
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
    const command = SparkGenericModuleMessage.Command(message);
    if (this.#limiter === undefined && this.sender[kHasRoom]) {
      let refusal: unknown; // only a throwing key function can refuse a command that has room
      this.sender[kOffer](command, (error) => (refusal = error), undefined, true);
      return refusal === undefined ? RESOLVED : Promise.reject(refusal);
    }
    // A closed channel refuses at once and takes no rate-limit slot.
    if (this.#limiter === undefined || this.sender.isClosed) return this.sender.send(command);
    return new Promise<void>((resolve, reject) => {
      this.#rateLimited(() => {
        this.sender.send(command).then(resolve, reject);
      });
    });
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
    if (limiter === undefined || !this.sender[kHasRoom]) return this.sender.trySend(command);
    if (!limiter.tryAcquire()) {
      const limited = failure(
        'RATE_LIMITED',
        `Over the rate limit of ${limiter.limit} per ${limiter.intervalMs} ms`,
      );
      this.sender[kDeadLetter]('refused', command, limited);
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
    if (channel[kIsStopped]) return cancelToken(shutdownToken);
    if (channel.isClosed) return channel[kWhenStopped]().then(() => cancelToken(shutdownToken));
    let invalid: unknown;
    channel[kOffer](SparkGenericModuleMessage.Shutdown(shutdownToken), (error) => {
      invalid ??= error; // a refusal after waiting for room means the server stopped: fine
    });
    return invalid === undefined ? channel[kWhenStopped]() : Promise.reject(invalid);
  }

  #deadlinesOf(timeoutMs: number): Deadlines {
    let deadlines = this.#deadlines.get(timeoutMs);
    if (deadlines === undefined)
      this.#deadlines.set(timeoutMs, (deadlines = new Deadlines(timeoutMs, this.#scheduler)));
    return deadlines;
  }

  /** Runs `send` when the rate limit allows; a server stop lets every waiting send through at once (to be refused). */
  #rateLimited(send: () => void): () => void {
    const limiter = this.#limiter as RateLimiter;
    const leave = limiter.acquire(send);
    if (!this.#flushOnStop) {
      this.#flushOnStop = true;
      this.sender[kOnStop](() => limiter.flush());
    }
    return leave;
  }

  /**
   * Sends one request and calls `settle` exactly once with its outcome. Returns the teardown
   * that withdraws it (used by `request$`).
   */
  #call<T extends R>(
    message: M,
    options: RequestOptions<R, T> | undefined,
    cancellable: boolean,
    settle: Settle<T>,
  ): (() => void) | undefined {
    let guard: ResponseGuard<R, T> | undefined;
    let timeoutMs = this.#timeoutMs;
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      try {
        checkOptions('options', options);
        guard = options.guard;
        if (guard !== undefined && typeof guard !== 'function') {
          throw new TypeError(`Expected \`guard\` to be a type predicate or a class, got ${describe(guard)}`);
        }
        if (options.timeoutMs !== undefined)
          timeoutMs = checkPositiveNumber('timeoutMs', options.timeoutMs, true);
        if (options.signal !== undefined) signal = checkAbortSignal('signal', options.signal);
      } catch (error: unknown) {
        settle(err(error));
        return undefined;
      }
      if (signal?.aborted === true) {
        settle(err(failure('CANCELLED', 'Request cancelled before it was sent', signal.reason)));
        return undefined;
      }
    }

    let done = false;
    let clearDeadline: (() => void) | undefined;
    let stopListening: (() => void) | undefined;
    let leaveRateLine: (() => void) | undefined;
    const canGiveUp = timeoutMs !== Infinity || signal !== undefined || cancellable;
    const onAbort = (): void =>
      giveUp(failure('CANCELLED', 'Request cancelled by its signal', signal?.reason));
    const finish = (result: Result<T, unknown>): void => {
      if (done) return;
      done = true;
      clearDeadline?.();
      stopListening?.();
      leaveRateLine?.();
      settle(result);
    };

    const oneshot = new Oneshot<Result<R, E>>((hasValue, result, error) => {
      if (done) return;
      /* istanbul ignore if -- the server always answers with a value; only a foreign completer could do this */
      if (!hasValue || result === undefined) {
        finish(err(failure('RECEIVE_FAILED', 'The reply oneshot completed without an answer', error)));
      } else if (!result.ok || guard === undefined) {
        finish(result as Result<T, unknown>);
      } else {
        finish(checkGuard(guard, result.value));
      }
    });
    const wrapper = canGiveUp
      ? new CancellableWrapper<M, Result<R, E>>(message, oneshot)
      : new CallbackWrapper<M, Result<R, E>>(message, oneshot);
    const request = SparkGenericModuleMessage.Request<M, R, E>(wrapper);
    // Cancelling: settle the caller first, then abort (the running handler's context.signal sees
    // it) and withdraw (a queued request never starts; a waiting one leaves the line).
    const giveUp = (error: SparkChannelError): void => {
      finish(err(error));
      if (wrapper instanceof CancellableWrapper) wrapper.giveUp(error);
      this.sender[kWithdraw](request);
    };
    if (timeoutMs !== Infinity) {
      clearDeadline = this.#deadlinesOf(timeoutMs).add(() =>
        giveUp(failure('TIMEOUT', `Request timed out after ${timeoutMs} ms`)),
      );
    }
    if (signal !== undefined) stopListening = listenForAbort(signal, onAbort);

    const send = (): void => this.sender[kOffer](request, (error) => finish(err(error)), undefined, true);
    if (this.#limiter === undefined || this.sender.isClosed) send();
    else leaveRateLine = this.#rateLimited(send);

    if (!cancellable) return undefined;
    return () => {
      if (!done) giveUp(failure('CANCELLED', 'Request cancelled: its subscriber unsubscribed'));
    };
  }
}

function checkGuard<R, T extends R>(guard: ResponseGuard<R, T>, value: R): Result<T, unknown> {
  const name = guard.name === '' ? 'the guard' : `guard ${guard.name}`;
  try {
    const isClass = Object.getOwnPropertyDescriptor(guard, 'prototype')?.writable === false;
    const passes = isClass ? value instanceof guard : (guard as (response: R) => response is T)(value);
    if (passes) return { ok: true, value: value as T };
    return err(failure('INVALID_RESPONSE_TYPE', `The response did not pass ${name}`));
  } catch (error: unknown) {
    return err(failure('INVALID_RESPONSE_TYPE', `The response could not be checked: ${name} threw`, error));
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
