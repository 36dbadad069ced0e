import { type Observable, type SchedulerLike, type Subscription } from 'rxjs';

import { monotonicScheduler } from '../internal/time/clock.js';

import type { SparkChannelCancellationToken } from '../cancellation-token.js';
import type { DispatcherOptions, SparkGenericModuleDispatcher } from '../dispatcher.js';
import type { HandlerContext, SparkGenericModuleHandler } from '../handler.js';
import { checkOptions, checkScheduler, describe } from '../internal/validate.js';
import type { ModuleServer } from '../module-server.js';
import { spawnModule, type SpawnModuleOptions } from '../spawn-module.js';
import {
  describeMessage,
  expectation,
  type LogEntry,
  queuedHint,
  receivedList,
} from './internal/failure-message.js';
import { formatValue } from './internal/format-value.js';
import { findMismatch } from './internal/match-pattern.js';
import { HeldRequest } from './internal/probe-request.js';
import { ProbeAssertionError } from './probe-assertion-error.js';
import type { ProbeMessage, ProbeRequest } from './probe-message.js';
import type { MatchedBy, NoExcessKeys, PartialMessage, ProbePattern } from './probe-pattern.js';

/**
 * Options of {@link createProbe}: the module's own (`capacity`, `concurrency`, `timeoutMs`,
 * `rateLimit`, `scheduler`) and how long `expect*` waits (`waitMs`).
 *
 * @example
 * const probe = createProbe<Msg, Resp>({ timeoutMs: 500, capacity: 8, waitMs: 200 });
 */
export interface ProbeOptions {
  /** The probe's mailbox size, as `new ModuleChannel(capacity)`; unbounded by default. */
  capacity?: number;
  /**
   * How many messages the probe handles at once, as the server option: 1 (the default) is a
   * one-at-a-time module, so a request left unanswered holds back the messages behind it.
   */
  concurrency?: number;
  /** The dispatcher's default request timeout, as {@link DispatcherOptions.timeoutMs}. */
  timeoutMs?: number;
  /** The dispatcher's rate limit, as {@link DispatcherOptions.rateLimit}. */
  rateLimit?: DispatcherOptions['rateLimit'];
  /**
   * The clock of the whole probe: request timeouts, rate-limit windows, drain deadlines and how
   * long `expect*` waits. By default `asyncScheduler`'s timers on a monotonic clock
   * (`performance.now()`), which jest's and vitest's fake timers replace; pass a `TestScheduler`
   * to run in virtual time.
   */
  scheduler?: SchedulerLike;
  /** How long an `expect*` call waits for a message that has not arrived yet, in ms: 1000 by default. */
  waitMs?: number;
}

/**
 * Options of one `expect*` call.
 *
 * @example
 * await probe.expectRequest(isFresh, { waitMs: 0, description: 'a request for fresh data' });
 */
export interface ExpectOptions {
  /** How long to wait for the message if it has not arrived yet, in ms; `0` for not at all. */
  waitMs?: number;
  /** How a failure names what was expected, instead of the pattern. */
  description?: string;
}

type Taken = number | 'timeout' | 'stopped';

interface AutoReply<M, R> {
  readonly pattern: unknown;
  readonly respond: (message: M) => R;
}

// The probe reports through its own API; the server's warnings (commands a stop drops) would be noise.
const quiet = (): void => undefined;
const SILENT = { error: quiet, warn: quiet };

/**
 * A stand-in module for tests, made by {@link createProbe}: hand its `dispatcher` to the code
 * under test, then check what that code sent, in order, and answer its requests yourself.
 *
 * @example
 * let probe: TestProbe<Msg, Resp>;
 * beforeEach(() => (probe = createProbe<Msg, Resp>()));
 * afterEach(() => probe.stop());
 */
class TestProbe<M, R, C = SparkChannelCancellationToken, E = Error> {
  /** A real dispatcher of a real module: timeouts, signals, guards, capacity and rate limits all apply. */
  readonly dispatcher: SparkGenericModuleDispatcher<M, R, C, E>;
  /** The probe's module server: `errors$` reports every `fail`, `stats()` its mailbox. */
  readonly server: ModuleServer<M, E>;

  readonly #waitMs: number;
  readonly #concurrency: number;
  readonly #scheduler: SchedulerLike;
  readonly #log: LogEntry<M, R, E>[] = [];
  #cursor = 0; // every entry before it is consumed
  readonly #waiters = new Set<(taken: Taken) => void>(); // in call order
  readonly #autoReplies: AutoReply<M, R>[] = [];
  #stopped = false;

  constructor(options: ProbeOptions | undefined) {
    checkOptions('options', options);
    const { waitMs = 1_000, scheduler, capacity, concurrency, timeoutMs, rateLimit } = options ?? {};
    this.#waitMs = checkWaitMs(waitMs);
    this.#scheduler = scheduler === undefined ? monotonicScheduler : checkScheduler(scheduler);
    this.#concurrency = concurrency ?? 1;
    const handler: SparkGenericModuleHandler<M, R, E> = {
      handleRequest: (message, context) => this.#onRequest(message, context),
      handleCommand: (message) => {
        this.#append({ record: { kind: 'command', message }, consumed: false, auto: false });
      },
    };
    const spawnOptions: SpawnModuleOptions<M> = { logger: SILENT };
    if (scheduler !== undefined) spawnOptions.scheduler = scheduler;
    if (capacity !== undefined) spawnOptions.capacity = capacity;
    if (concurrency !== undefined) spawnOptions.concurrency = concurrency;
    if (timeoutMs !== undefined) spawnOptions.timeoutMs = timeoutMs;
    if (rateLimit !== undefined) spawnOptions.rateLimit = rateLimit;
    const { dispatcher, server } = spawnModule<M, R, C, E>(handler, spawnOptions);
    this.dispatcher = dispatcher;
    this.server = server;
    // errors$ completes synchronously as the server stops, whoever stops it (stop(), a Shutdown).
    server.errors$.subscribe({ complete: () => this.#onStopped() });
  }

  /** Every message received so far, in arrival order, whether or not an `expect*` call took it. */
  get received(): readonly ProbeMessage<M, R, E>[] {
    return this.#log.map((entry) => entry.record);
  }

  /**
   * Takes the next message not yet taken, waiting up to `waitMs` for it to arrive, and checks
   * that it is a request matching `pattern` (any request when omitted). Resolves with the request
   * to answer; a type predicate or a partial pattern narrows its message type.
   *
   * The message is taken even when it does not match, as Akka's `expectMsg` does. Rejects with a
   * {@link ProbeAssertionError} when the next message is a command, does not match, or none arrives
   * in time (or before the probe stops); with a TypeError / RangeError naming `pattern`,
   * `options`, `waitMs` or `description` when they are bad.
   *
   * @typeParam T - The message type a type predicate `pattern` narrows to.
   * @typeParam P - The partial message a pattern object is read as (`const`: literals stay literal).
   *
   * @example
   * const request = await probe.expectRequest({ type: 'GetUser', id: 7 });
   * request.reply({ type: 'User', name: 'Ada' });
   */
  expectRequest<T extends M>(
    pattern: (message: M) => message is T,
    options?: ExpectOptions,
  ): Promise<ProbeRequest<T, R, E>>;
  expectRequest<const P extends PartialMessage<M>>(
    pattern: P & NoExcessKeys<M, P>,
    options?: ExpectOptions,
  ): Promise<ProbeRequest<MatchedBy<M, P>, R, E>>;
  expectRequest(pattern?: ProbePattern<M>, options?: ExpectOptions): Promise<ProbeRequest<M, R, E>>;
  async expectRequest(pattern?: unknown, options?: ExpectOptions): Promise<ProbeRequest<M, R, E>> {
    return (await this.#expect('expectRequest', 'request', pattern, options)) as ProbeRequest<M, R, E>;
  }

  /**
   * As {@link expectRequest}, for a command: takes the next message not yet taken, waiting up to
   * `waitMs`, checks that it is a command matching `pattern`, and resolves with the command's
   * message. Rejects with a {@link ProbeAssertionError} otherwise.
   *
   * @typeParam T - The message type a type predicate `pattern` narrows to.
   * @typeParam P - The partial message a pattern object is read as (`const`: literals stay literal).
   *
   * @example
   * const event = await probe.expectCommand({ type: 'LogEvent' });
   * expect(event.event).toMatch(/login/);
   */
  expectCommand<T extends M>(pattern: (message: M) => message is T, options?: ExpectOptions): Promise<T>;
  expectCommand<const P extends PartialMessage<M>>(
    pattern: P & NoExcessKeys<M, P>,
    options?: ExpectOptions,
  ): Promise<MatchedBy<M, P>>;
  expectCommand(pattern?: ProbePattern<M>, options?: ExpectOptions): Promise<M>;
  async expectCommand(pattern?: unknown, options?: ExpectOptions): Promise<M> {
    return (await this.#expect('expectCommand', 'command', pattern, options)).message;
  }

  /**
   * Checks, now, that every message received was taken by an `expect*` call (or answered by
   * {@link replyToRequests}) and that none waits in the mailbox. It does not wait: advance the
   * clock or await the code under test first.
   *
   * @throws ProbeAssertionError listing the messages no `expect*` call took.
   *
   * @example
   * await probe.expectCommand({ type: 'LogEvent' });
   * probe.expectNoMessage();
   */
  expectNoMessage(): void {
    const untaken = new Set<number>();
    this.#log.forEach((entry, i) => {
      if (!entry.consumed) untaken.add(i);
    });
    const { queued, running } = this.server.stats();
    if (untaken.size === 0 && queued === 0) return;
    const problems: string[] = [];
    if (untaken.size > 0) {
      const arrived = untaken.size === 1 ? '1 message arrived' : `${untaken.size} messages arrived`;
      problems.push(`${arrived} that no expect* call took (marked >)`);
    }
    if (queued > 0) {
      const wait = queued === 1 ? '1 more waits' : `${queued} more wait`;
      const requests = running === 1 ? '1 unanswered request' : `${running} unanswered requests`;
      problems.push(`${wait} in the mailbox behind ${requests}`);
    }
    throw new ProbeAssertionError(
      `expectNoMessage: expected no more messages,\nbut ${problems.join(', and ')}.\n\n${receivedList(this.#log, untaken)}`,
    );
  }

  /**
   * Answers every request matching `pattern` with `respond(message)` from now on, and those that
   * arrived already and wait unanswered and untaken. Requests it answers are left out of the
   * `expect*` sequence (they still show in `received`); a `respond` that throws fails the request
   * with that error. The newest auto-reply whose pattern matches wins. Returns a function that
   * removes it.
   *
   * @throws TypeError naming `pattern` or `respond` when they are bad.
   *
   * @typeParam T - The message type a type predicate `pattern` narrows to.
   * @typeParam P - The partial message a pattern object is read as (`const`: literals stay literal).
   *
   * @example
   * const stop = probe.replyToRequests({ type: 'GetConfig' }, () => ({ type: 'Config', debug: false }));
   * // …
   * stop();
   */
  replyToRequests<T extends M>(pattern: (message: M) => message is T, respond: (message: T) => R): () => void;
  replyToRequests<const P extends PartialMessage<M>>(
    pattern: P & NoExcessKeys<M, P>,
    respond: (message: MatchedBy<M, P>) => R,
  ): () => void;
  replyToRequests(pattern: ProbePattern<M> | undefined, respond: (message: M) => R): () => void;
  replyToRequests(pattern: unknown, respond: (message: never) => R): () => void {
    checkPattern(pattern);
    if (typeof respond !== 'function') {
      throw new TypeError(
        `Expected \`respond\` to be a function returning the response, got ${describe(respond)}`,
      );
    }
    // The overloads tie `respond`'s parameter to what `pattern` matches; a match is checked at run time.
    const autoReply: AutoReply<M, R> = { pattern, respond: respond as (message: M) => R };
    this.#autoReplies.unshift(autoReply);
    for (const entry of this.#log) {
      const request = entry.record;
      if (entry.consumed || request.kind !== 'request' || request.status !== 'pending') continue;
      let response: R;
      try {
        if (!matches(pattern, request.message)) continue;
        entry.consumed = entry.auto = true;
        response = autoReply.respond(request.message);
      } catch (error: unknown) {
        entry.consumed = entry.auto = true;
        request.fail(error as E);
        continue;
      }
      request.reply(response);
    }
    return () => {
      const i = this.#autoReplies.indexOf(autoReply);
      if (i !== -1) this.#autoReplies.splice(i, 1);
    };
  }

  /**
   * Stops the probe's server at once, as `server.stop()`: every request not yet answered rejects
   * with `RECEIVE_FAILED` (its status becomes `stopped`), later sends with `SEND_FAILED`, and any
   * `expect*` call still waiting rejects. Leaves no timer behind. Idempotent.
   *
   * @example
   * afterEach(() => probe.stop());
   */
  stop(): void {
    this.server.stop();
  }

  #onRequest(message: M, context: HandlerContext): R | Observable<R> {
    const request = new HeldRequest<M, R, E>(message, context.signal, () => !this.server.isRunning);
    const entry: LogEntry<M, R, E> = { record: request, consumed: false, auto: false };
    let autoReply: AutoReply<M, R> | undefined;
    try {
      autoReply = this.#autoReplies.find((candidate) => matches(candidate.pattern, message));
    } catch (error: unknown) {
      // A pattern that throws answers the request with its error, as a throwing handler would.
      this.#append({ ...entry, consumed: true, auto: true });
      request.markAnswered('failed');
      throw error;
    }
    if (autoReply === undefined) {
      this.#append(entry);
      return request.answer;
    }
    this.#append({ ...entry, consumed: true, auto: true });
    try {
      const response = autoReply.respond(message);
      request.markAnswered('replied');
      return response;
    } catch (error: unknown) {
      request.markAnswered('failed');
      throw error;
    }
  }

  #append(entry: LogEntry<M, R, E>): void {
    const index = this.#log.push(entry) - 1;
    if (entry.consumed) return;
    for (const waiter of this.#waiters) {
      this.#waiters.delete(waiter);
      entry.consumed = true;
      return waiter(index);
    }
  }

  async #expect(
    method: 'expectRequest' | 'expectCommand',
    kind: 'request' | 'command',
    pattern: unknown,
    options: ExpectOptions | undefined,
  ): Promise<ProbeMessage<M, R, E>> {
    checkPattern(pattern);
    checkOptions('options', options);
    const waitMs = options?.waitMs === undefined ? this.#waitMs : checkWaitMs(options.waitMs);
    const description = options?.description;
    if (description !== undefined && typeof description !== 'string') {
      throw new TypeError(`Expected \`description\` to be a string, got ${describe(description)}`);
    }
    const expected = `${method}: expected ${expectation(kind, pattern, description)},\nbut `;
    const taken = await this.#take(waitMs);
    if (typeof taken !== 'number') {
      const { queued, running } = this.server.stats();
      const problem =
        taken === 'timeout'
          ? `nothing arrived within ${waitMs} ms.${queuedHint(queued, running, this.#concurrency)}`
          : 'nothing arrived before the probe stopped.';
      throw new ProbeAssertionError(`${expected}${problem}\n\n${receivedList(this.#log, new Set())}`);
    }
    const { record } = this.#log[taken] as LogEntry<M, R, E>;
    const fail = (problem: string, cause?: unknown): ProbeAssertionError =>
      new ProbeAssertionError(
        `${expected}${problem}.\n\n${receivedList(this.#log, new Set([taken]))}`,
        cause === undefined ? undefined : { cause },
      );
    const next = `the next message was ${describeMessage(record)}`;
    if (record.kind !== kind) throw fail(next);
    if (typeof pattern === 'function') {
      let accepted: unknown;
      try {
        accepted = (pattern as (message: M) => unknown)(record.message);
      } catch (error: unknown) {
        throw fail(
          `the predicate threw ${formatValue(error)} on the next message, ${describeMessage(record)}`,
          error,
        );
      }
      if (accepted === false) throw fail(next);
      if (accepted !== true)
        throw fail(`${next}, and the predicate returned ${formatValue(accepted)}, not a boolean`);
    } else if (pattern !== undefined) {
      const mismatch = findMismatch(record.message, pattern);
      if (mismatch !== undefined) {
        throw fail(mismatch.path === '' ? next : `${next}: at ${mismatch.path}, ${mismatch.reason}`);
      }
    }
    return record;
  }

  /** The index of the next message not yet taken: at once, or once it arrives, or why none came. */
  #take(waitMs: number): Promise<Taken> {
    while (this.#cursor < this.#log.length && (this.#log[this.#cursor] as LogEntry<M, R, E>).consumed) {
      this.#cursor++;
    }
    const next = this.#log[this.#cursor];
    if (next !== undefined) {
      next.consumed = true;
      return Promise.resolve(this.#cursor);
    }
    if (this.#stopped) return Promise.resolve('stopped');
    if (waitMs === 0) return Promise.resolve('timeout');
    return new Promise<Taken>((resolve) => {
      // Called only once `timer` is set: by a later arrival or stop, never during schedule().
      const waiter = (taken: Taken): void => {
        timer.unsubscribe();
        resolve(taken);
      };
      this.#waiters.add(waiter);
      const timer: Subscription = this.#scheduler.schedule(() => {
        this.#waiters.delete(waiter);
        resolve('timeout');
      }, waitMs);
    });
  }

  #onStopped(): void {
    this.#stopped = true;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) waiter('stopped');
  }
}

export type { TestProbe };

/**
 * Creates a test probe: a stand-in module whose `dispatcher` the test hands to the code under
 * test. Unlike a mock, it is a real module (a `ModuleChannel`, `runModuleServer` and a
 * `SparkGenericModuleDispatcher`), so the code under test meets the real semantics: ordering,
 * timeouts, signals, guards, capacity, rate limits and shutdown. The test then takes what was
 * sent, in order, with `expectRequest` / `expectCommand`, and answers requests with `reply` or
 * `fail` — or leaves them hanging.
 *
 * @throws TypeError / RangeError naming the bad option (`waitMs`, `capacity`, `timeoutMs`…).
 *
 * @example
 * const probe = createProbe<UserMsg, UserResponse>({ timeoutMs: 500 });
 * const service = new UserService(probe.dispatcher);
 * const loading = service.load(7);
 * (await probe.expectRequest({ type: 'GetUser', id: 7 })).reply({ type: 'User', name: 'Ada' });
 * await expect(loading).resolves.toEqual({ name: 'Ada' });
 */
export function createProbe<M, R, C = SparkChannelCancellationToken, E = Error>(
  options?: ProbeOptions,
): TestProbe<M, R, C, E> {
  return new TestProbe<M, R, C, E>(options);
}

function checkWaitMs(value: unknown): number {
  if (typeof value === 'number' && value >= 0 && Number.isFinite(value)) return value;
  throw new RangeError(
    `Expected \`waitMs\` to be a non-negative finite number of milliseconds, got ${describe(value)}`,
  );
}

/** A pattern is anything but a promise: awaiting one before passing it is the likely intent. */
function checkPattern(pattern: unknown): void {
  const then = (pattern as { then?: unknown } | null | undefined)?.then;
  if (typeof then === 'function') {
    throw new TypeError(
      `Expected \`pattern\` to be a predicate or a partial message, got a promise or thenable (${describe(pattern)})`,
    );
  }
}

function matches(pattern: unknown, message: unknown): boolean {
  if (pattern === undefined) return true;
  if (typeof pattern === 'function') return (pattern as (message: unknown) => unknown)(message) === true;
  return findMismatch(message, pattern) === undefined;
}
