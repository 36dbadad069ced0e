// A request's `guard` option (the Rust crate's downcast): read once when the request is made,
// applied to the response when it comes.
import type { ResponseGuard } from '../dispatcher.js';
import type { Result } from '../result.js';
import { err } from '../result.js';
import { describe, failure } from './validate.js';

/**
 * Whether `guard` is a class (checked with `instanceof`): its own `prototype` is non-writable.
 *
 * @throws TypeError naming `guard` when it is not a function, or reading it throws (a revoked
 * Proxy, a throwing trap).
 */
export function isClass(guard: unknown): boolean {
  if (typeof guard !== 'function') {
    throw new TypeError(`Expected \`guard\` to be a type predicate or a class, got ${describe(guard)}`);
  }
  try {
    return Object.getOwnPropertyDescriptor(guard, 'prototype')?.writable === false;
  } catch (error: unknown) {
    throw new TypeError('Expected `guard` to be a type predicate or a class, but reading it threw', {
      cause: error,
    });
  }
}

/**
 * The `name` of `guard`, for the message of a response that fails it ('' when it has none).
 *
 * @throws TypeError naming `guard` when reading it throws.
 */
export function nameOf(guard: unknown): string {
  let name: unknown;
  try {
    name = (guard as { name?: unknown }).name;
  } catch (error: unknown) {
    throw new TypeError('Expected `guard` to be a type predicate or a class, but reading its name threw', {
      cause: error,
    });
  }
  return typeof name === 'string' ? name : '';
}

/** A request's guard, read once from its options (made only for a request that has one). */
export interface GuardCheck<R, T extends R> {
  readonly guard: ResponseGuard<R, T>;
  /** Checked with `instanceof` ({@link isClass}), else called as a type predicate. */
  readonly isClass: boolean;
  /** Its name for the error message ({@link nameOf}), `''` when it has none. */
  readonly name: string;
}

/** Applies a guard already read by {@link isClass} and {@link nameOf}; nothing it throws escapes. */
export function checkGuard<R, T extends R>(check: GuardCheck<R, T>, value: R): Result<T, unknown> {
  const { guard, isClass: guardIsClass, name: guardName } = check;
  const name = guardName === '' ? 'the guard' : `guard ${guardName}`;
  try {
    const passes = guardIsClass ? value instanceof guard : (guard as (response: R) => response is T)(value);
    if (passes) return { ok: true, value: value as T };
    return err(failure('INVALID_RESPONSE_TYPE', `The response did not pass ${name}`));
  } catch (error: unknown) {
    return err(failure('INVALID_RESPONSE_TYPE', `The response could not be checked: ${name} threw`, error));
  }
}
