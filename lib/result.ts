import { describe } from './internal/validate.js';

/**
 * The outcome of a fallible operation, as Rust's `Result<T, E>`: what a request's oneshot
 * carries from the server to the caller.
 *
 * @example
 * const r: Result<User, Error> = await dispatcher.requestResult({ type: 'GetUser', id: 7 });
 * if (r.ok) render(r.value); else log(r.error);
 */
export type Result<T, E> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/**
 * Anything that can turn itself into a {@link Result}, as the Rust crate's `IntoResult` trait.
 *
 * @example
 * const outcome: IntoResult<number, string> = { intoResult: () => ok(42) };
 * intoResult(outcome); // { ok: true, value: 42 }
 */
export interface IntoResult<T, E> {
  /** This value as a `Result`: read by {@link intoResult} and {@link resultFrom}. */
  intoResult(): Result<T, E>;
}

/**
 * Builds a successful {@link Result}.
 *
 * @example
 * const r = ok(42); // { ok: true, value: 42 }
 */
export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

/**
 * Builds a failed {@link Result}.
 *
 * @example
 * const r = err(new Error('no such key')); // { ok: false, error: Error }
 */
export function err<E>(error: E): Result<never, E> {
  return { ok: false, error };
}

/**
 * Narrows a {@link Result} to its success case.
 *
 * @example
 * const r = await dispatcher.requestResult({ type: 'GetUser', id: 7 });
 * if (isOk(r)) render(r.value); // r.value is typed here
 */
export function isOk<T, E>(result: Result<T, E>): result is { readonly ok: true; readonly value: T } {
  return result.ok;
}

/**
 * Narrows a {@link Result} to its failure case.
 *
 * @example
 * const parsed = tryResult(() => JSON.parse(text) as unknown);
 * if (isErr(parsed)) log(parsed.error); // parsed.error is typed here
 */
export function isErr<T, E>(result: Result<T, E>): result is { readonly ok: false; readonly error: E } {
  return !result.ok;
}

/**
 * Returns the value of a successful result, or throws its error unchanged.
 *
 * @example
 * const user = unwrap(await dispatcher.requestResult(getUser)); // throws what the request failed with
 */
export function unwrap<T, E>(result: Result<T, E>): T {
  if (result.ok) return result.value;
  throw result.error;
}

/**
 * Returns the value of a successful result, or `fallback` for a failed one.
 *
 * @example
 * const count = unwrapOr(await dispatcher.requestResult(countMsg), 0);
 */
export function unwrapOr<T, E, F>(result: Result<T, E>, fallback: F): T | F {
  return result.ok ? result.value : fallback;
}

/**
 * Runs `fn` and captures what it returns or throws as a {@link Result}; the thrown value is kept
 * unchanged as the error.
 *
 * @example
 * const parsed = tryResult(() => JSON.parse(text) as unknown);
 */
export function tryResult<T>(fn: () => T): Result<T, unknown> {
  try {
    return ok(fn());
  } catch (error: unknown) {
    return err(error);
  }
}

/**
 * Settles `promise` into a {@link Result}: never rejects.
 *
 * @example
 * const r = await resultFrom(fetchUser(7));
 * if (!r.ok) log(r.error);
 */
export function resultFrom<T>(promise: PromiseLike<T>): Promise<Result<T, unknown>> {
  return Promise.resolve(promise).then(ok, err);
}

/**
 * Converts an {@link IntoResult} (or a plain {@link Result}) into a {@link Result}. Throws a
 * `TypeError` naming `value` when it is neither.
 *
 * @example
 * class Outcome implements IntoResult<number, string> { intoResult() { return ok(1); } }
 * intoResult(new Outcome()); // { ok: true, value: 1 }
 */
export function intoResult<T, E>(value: IntoResult<T, E> | Result<T, E>): Result<T, E> {
  if (typeof value === 'object' && value !== null) {
    if ('intoResult' in value && typeof value.intoResult === 'function') return value.intoResult();
    if ('ok' in value && typeof value.ok === 'boolean') return value;
  }
  throw new TypeError(`Expected \`value\` to be a Result or to implement IntoResult, got ${describe(value)}`);
}
