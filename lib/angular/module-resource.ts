// A request as an Angular resource: `moduleResource`, on Angular's own `resource()`.
import {
  assertInInjectionContext,
  type Injector,
  resource,
  type ResourceRef,
  type ValueEqualityFn,
} from '@angular/core';

import {
  type ModuleDefinition,
  type RequestOf,
  type RequestOptions,
  type RequestType,
  type ResponseOf,
  SparkGenericModuleDispatcher,
  TypedDispatcher,
} from '../index.js';

/**
 * Options of {@link moduleResource}: the request's (`guard`, `timeoutMs`; its `signal` is the
 * resource's own) and the resource's (`injector`, `equal`, `debugName`, and `defaultValue` in the
 * overloads that take it).
 *
 * @example
 * const options: ModuleResourceOptions<DataResponse, Data> = { guard: isData, timeoutMs: 2_000 };
 */
export interface ModuleResourceOptions<R, T extends R = R> {
  /** Narrows each response, as the request option: a mismatch is an `INVALID_RESPONSE_TYPE` error. */
  guard?: RequestOptions<R, T>['guard'];
  /** Each request's deadline, as the request option: past it, `error()` is a `TIMEOUT` error. */
  timeoutMs?: number;
  /** The injector the resource lives in, for a call outside an injection context. */
  injector?: Injector;
  /** How the resource compares responses, as `resource()`'s `equal`. */
  equal?: ValueEqualityFn<T>;
  /** A name for Angular DevTools, as `resource()`'s `debugName`. */
  debugName?: string;
}

/**
 * {@link ModuleResourceOptions} with the value `value()` shows while nothing has been answered
 * (idle, loading, or after an error), so the resource's type has no `undefined`.
 *
 * @example
 * const results = moduleResource(api, () => ({ type: 'Search', query: query() }), { defaultValue: [] });
 */
export interface ModuleResourceOptionsWithDefault<R, T extends R = R> extends ModuleResourceOptions<R, T> {
  /** What `value()` is until a response arrives, as `resource()`'s `defaultValue`. */
  defaultValue: NoInfer<T>;
}

/**
 * A request to a module as an Angular resource (built on Angular's own `resource()`): `params`
 * is a reactive function giving the request message, and each time it gives a new one the
 * resource sends it and shows the response as `value()`, `isLoading()`, `status()` and `error()`.
 * `undefined` from `params` means idle: nothing is sent.
 *
 * A request that a newer one supersedes (or that the resource's destroy ends) is aborted through
 * the loader's `abortSignal`, passed as the request's `signal`: if its handler has not started
 * it never starts; if it is running, its `context.signal` aborts. `error()` is what the request
 * rejected with, unchanged when it is an `Error`: a `SparkChannelError` keeps its `code`
 * (`TIMEOUT`, `RECEIVE_FAILED`, `INVALID_RESPONSE_TYPE`…); a thrown non-Error reaches it wrapped
 * by Angular, its `cause` the thrown value. As with every resource, `value()` throws while in the
 * error state: read `error()` or `hasValue()` first.
 *
 * With a `TypedDispatcher`, the value's type is the response of the message's `type`, with no
 * guard. Must run in an injection context unless `options.injector` is given; the resource is
 * destroyed (its request aborted) with that injector.
 *
 * @throws TypeError naming `dispatcher` or `params` when they are not a dispatcher and a
 * function; RangeError naming `timeoutMs` when it is not a positive number; Angular's NG0203
 * outside an injection context without an `injector`.
 *
 * @example
 * \@Component({ selector: 'app-data', template: `{{ data.value() }}` })
 * export class DataView {
 *   readonly key = input<string>();
 *   readonly #api = inject(API).dispatcher; // TypedDispatcher<Api>
 *   // number[] | undefined; undefined key: idle
 *   readonly data = moduleResource(this.#api, () => {
 *     const key = this.key();
 *     return key === undefined ? undefined : { type: 'GetData', key };
 *   });
 * }
 */
export function moduleResource<
  D extends ModuleDefinition<D>,
  K extends RequestType<D>,
  C,
  E,
  T extends ResponseOf<D, K> = ResponseOf<D, K>,
>(
  dispatcher: TypedDispatcher<D, C, E>,
  params: () => (RequestOf<D, K> & { type: K }) | undefined,
  options: ModuleResourceOptionsWithDefault<ResponseOf<D, K>, T>,
): ResourceRef<T>;
export function moduleResource<
  D extends ModuleDefinition<D>,
  K extends RequestType<D>,
  C,
  E,
  T extends ResponseOf<D, K> = ResponseOf<D, K>,
>(
  dispatcher: TypedDispatcher<D, C, E>,
  params: () => (RequestOf<D, K> & { type: K }) | undefined,
  options?: ModuleResourceOptions<ResponseOf<D, K>, T>,
): ResourceRef<T | undefined>;
export function moduleResource<M, R, C, E, T extends R = R>(
  dispatcher: SparkGenericModuleDispatcher<M, R, C, E>,
  params: () => M | undefined,
  options: ModuleResourceOptionsWithDefault<R, T>,
): ResourceRef<T>;
export function moduleResource<M, R, C, E, T extends R = R>(
  dispatcher: SparkGenericModuleDispatcher<M, R, C, E>,
  params: () => M | undefined,
  options?: ModuleResourceOptions<R, T>,
): ResourceRef<T | undefined>;
export function moduleResource(
  dispatcher: unknown,
  params: () => unknown,
  options?: Partial<ModuleResourceOptionsWithDefault<unknown>>,
): ResourceRef<unknown> {
  const raw = dispatcher instanceof TypedDispatcher ? (dispatcher.raw as unknown) : dispatcher;
  if (!(raw instanceof SparkGenericModuleDispatcher)) {
    throw new TypeError(
      `Expected \`dispatcher\` to be a SparkGenericModuleDispatcher or a TypedDispatcher, got ${kindOf(dispatcher)}`,
    );
  }
  if (typeof params !== 'function') {
    throw new TypeError(`Expected \`params\` to be a function returning the message, got ${kindOf(params)}`);
  }
  const { guard, timeoutMs, injector, ...resourceOptions } = options ?? {};
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0)) {
    throw new RangeError(
      `Expected \`timeoutMs\` to be a positive number (Infinity for none), got ${kindOf(timeoutMs)}`,
    );
  }
  if (injector === undefined) assertInInjectionContext(moduleResource);
  // One options object for every request; only the signal differs from one load to the next.
  const requestOptions: RequestOptions<unknown, unknown> = {};
  if (guard !== undefined) requestOptions.guard = guard;
  if (timeoutMs !== undefined) requestOptions.timeoutMs = timeoutMs;
  const module = raw as SparkGenericModuleDispatcher<unknown, unknown, unknown, unknown>;
  return resource<unknown, unknown>({
    ...resourceOptions,
    ...(injector === undefined ? {} : { injector }),
    params,
    // Angular aborts `abortSignal` when newer params supersede this load, or on destroy; as the
    // request's signal it withdraws a queued request and aborts a running handler's context.signal.
    loader: ({ params: message, abortSignal }) =>
      module.request(message, { ...requestOptions, signal: abortSignal }),
  });
}

/** What a bad argument was, for the error message; never calls the value's own methods. */
function kindOf(value: unknown): string {
  switch (typeof value) {
    case 'object':
      return value === null ? 'null' : `an object (${Object.prototype.toString.call(value)})`;
    case 'function':
      return 'a function';
    case 'symbol':
      return value.toString();
    case 'string':
      return `string ${value}`;
    default:
      return `${typeof value} ${String(value)}`;
  }
}
