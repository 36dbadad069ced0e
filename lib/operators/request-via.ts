import {
  catchError,
  concatMap,
  EMPTY,
  exhaustMap,
  mergeMap,
  type Observable,
  type ObservableInput,
  type OperatorFunction,
  switchMap,
  throwError,
} from 'rxjs';

import { type RequestOptions, SparkGenericModuleDispatcher } from '../dispatcher.js';
import {
  checkAbortSignal,
  checkOptions,
  checkPositiveIntegerOrInfinity,
  checkPositiveNumber,
  describe,
} from '../internal/validate.js';
import type { ModuleDefinition, RequestOf, RequestType, ResponseOf } from '../module-definition.js';
import { isSparkChannelError } from '../spark-channel-error.js';
import { TypedDispatcher } from '../typed-dispatcher.js';

/**
 * How {@link requestVia} flattens its requests, by the RxJS operator of the same name:
 * - `'concat'` (default): one request at a time, in order; the next is sent when the previous
 *   one has answered.
 * - `'merge'`: up to `concurrency` requests at once (all of them by default); responses come out
 *   as they arrive.
 * - `'switch'`: latest wins: a new value aborts the request in flight (a queued request never
 *   starts; a running handler sees `context.signal` abort).
 * - `'exhaust'`: first wins: values that arrive while a request is in flight are dropped, never
 *   sent.
 *
 * @example
 * const strategy: RequestStrategy = isWrite ? 'concat' : 'switch'; // never 'switch' for writes
 */
export type RequestStrategy = 'concat' | 'merge' | 'switch' | 'exhaust';

/**
 * Options of {@link requestVia} for a typed dispatcher: how to flatten, and per-request options.
 *
 * @example
 * const options: PipelineRequestOptions = { strategy: 'merge', concurrency: 4, timeoutMs: 1_000 };
 * ids$.pipe(map((id) => ({ type: 'GetUser' as const, id })), requestVia(users, options));
 */
export interface PipelineRequestOptions {
  /** How requests are flattened; `'concat'` by default. */
  strategy?: RequestStrategy;
  /** For `strategy: 'merge'` only: at most this many requests in flight; `Infinity` by default. */
  concurrency?: number;
  /** Each request rejects with `TIMEOUT` after this many milliseconds (erroring the pipeline). */
  timeoutMs?: number;
  /** Aborting it cancels the request in flight with `CANCELLED` (erroring the pipeline). */
  signal?: AbortSignal;
  /**
   * What a handler's failure does to the pipeline: `'error'` (default) errors it, as any inner
   * observable does in RxJS; `'skip'` drops that value and goes on, leaving the failure to the
   * module's `errors$` (watch it with `mergeErrors`). The library's own failures
   * (`SparkChannelError`: `TIMEOUT`, `CANCELLED`, `SEND_FAILED`…) are not on `errors$`, so they
   * error the pipeline either way.
   */
  onHandlerError?: 'error' | 'skip';
}

/**
 * Options of {@link requestVia} for an untyped dispatcher: {@link PipelineRequestOptions} and a
 * response `guard`.
 *
 * @example
 * const options: RequestViaOptions<MyResponse, Data> = { guard: isData, onHandlerError: 'skip' };
 * keys$.pipe(map((key) => ({ type: 'GetData', key })), requestVia(dispatcher, options));
 */
export interface RequestViaOptions<R, T extends R> extends PipelineRequestOptions {
  /** Checks each response; a mismatch errors the pipeline with `INVALID_RESPONSE_TYPE`. */
  guard?: RequestOptions<R, T>['guard'];
}

const strategies: Readonly<Record<RequestStrategy, true>> = {
  concat: true,
  merge: true,
  switch: true,
  exhaust: true,
};

/**
 * Sends each value of the source as a request through `dispatcher` and emits the responses:
 * `concatMap` semantics by default, or the flattening `strategy` of your choice. Built on
 * `dispatcher.request$`, so unsubscribing from the pipeline withdraws every request in flight,
 * and a request superseded under `'switch'` is aborted, not merely ignored.
 *
 * A failed request errors the output, as any inner observable does in RxJS (the handler's own
 * error, `TIMEOUT`, `CANCELLED`, `SEND_FAILED`, `RECEIVE_FAILED`, `INVALID_RESPONSE_TYPE`);
 * with `onHandlerError: 'skip'`, a handler's failure only drops that value (it is on the
 * module's `errors$`).
 *
 * @throws TypeError naming `dispatcher`, `options`, `guard` or `signal` when they are not usable.
 * @throws RangeError naming `strategy`, `concurrency`, `timeoutMs` or `onHandlerError` when they are bad.
 *
 * @example
 * query$.pipe(requestVia(search.raw, { strategy: 'switch' })).subscribe(render);
 */
export function requestVia<M, R, C, E, T extends R = R>(
  dispatcher: SparkGenericModuleDispatcher<M, R, C, E>,
  options?: RequestViaOptions<R, T>,
): OperatorFunction<M, T>;
/**
 * Sends each value of the source as a request through a {@link TypedDispatcher}: the response
 * type follows the source's message `type`s. See the untyped overload for the semantics.
 *
 * @example
 * keys$.pipe(
 *   map((key) => ({ type: 'GetData' as const, key })),
 *   requestVia(dispatcher, { strategy: 'switch' }), // Observable<number[]>
 * );
 */
export function requestVia<D extends ModuleDefinition<D>, C, E>(
  dispatcher: TypedDispatcher<D, C, E>,
  options?: PipelineRequestOptions,
): <X extends RequestOf<D>>(
  source: Observable<X>,
) => Observable<ResponseOf<D, Extract<X['type'], RequestType<D>>>>;
export function requestVia(
  dispatcher: unknown,
  options?: RequestViaOptions<unknown, unknown>,
): OperatorFunction<never, unknown> {
  const raw: unknown = dispatcher instanceof TypedDispatcher ? (dispatcher.raw as unknown) : dispatcher;
  if (!(raw instanceof SparkGenericModuleDispatcher)) {
    throw new TypeError(
      `Expected \`dispatcher\` to be a SparkGenericModuleDispatcher or a TypedDispatcher, got ${describe(raw)}`,
    );
  }
  checkOptions('options', options);
  const {
    strategy = 'concat',
    concurrency,
    guard,
    timeoutMs,
    signal,
    onHandlerError = 'error',
  } = options ?? {};
  if (typeof strategy !== 'string' || !Object.hasOwn(strategies, strategy)) {
    throw new RangeError(
      `Expected \`strategy\` to be 'concat', 'merge', 'switch' or 'exhaust', got ${describe(strategy)}`,
    );
  }
  if (concurrency !== undefined) {
    if (strategy !== 'merge') {
      throw new RangeError(`Expected \`concurrency\` only with strategy 'merge', got strategy '${strategy}'`);
    }
    checkPositiveIntegerOrInfinity('concurrency', concurrency);
  }
  // Checked once here, so a bad option throws when the pipeline is built, not at its first value.
  const requestOptions: RequestOptions<unknown, unknown> = {};
  if (guard !== undefined) {
    if (typeof guard !== 'function') {
      throw new TypeError(`Expected \`guard\` to be a type predicate or a class, got ${describe(guard)}`);
    }
    requestOptions.guard = guard;
  }
  if (timeoutMs !== undefined) requestOptions.timeoutMs = checkPositiveNumber('timeoutMs', timeoutMs, true);
  if (signal !== undefined) requestOptions.signal = checkAbortSignal('signal', signal);

  if (onHandlerError !== 'error' && onHandlerError !== 'skip') {
    throw new RangeError(
      `Expected \`onHandlerError\` to be 'error' or 'skip', got ${describe(onHandlerError)}`,
    );
  }

  const request = (message: unknown): Observable<unknown> => raw.request$(message, requestOptions);
  const project: (message: unknown) => ObservableInput<unknown> =
    onHandlerError === 'error'
      ? request
      : (message) =>
          request(message).pipe(
            catchError((error: unknown) => (isSparkChannelError(error) ? throwError(() => error) : EMPTY)),
          );
  switch (strategy) {
    case 'concat':
      return concatMap(project);
    case 'merge':
      return mergeMap(project, concurrency);
    case 'switch':
      return switchMap(project);
    case 'exhaust':
      return exhaustMap(project);
  }
}
