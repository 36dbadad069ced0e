import { EmptyError } from 'rxjs';

import { isSparkChannelErrorCode } from '../internal/error-codes.js';
import { SparkChannelError } from '../spark-channel-error.js';

/** An error as the worker thread packs it: plain data that survives structured clone. */
export interface PackedError {
  readonly error: true;
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly props: Readonly<Record<string, unknown>>;
  readonly cause?: Packed;
  readonly errors?: readonly Packed[];
}

/** A thrown value that is not an error-like object. */
export interface PackedValue {
  readonly value: unknown;
}

export type Packed = PackedError | PackedValue;

/** What a worker thread answers for one task. */
export type Envelope =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly load?: true; readonly error: Packed };

type ErrorConstructorLike = new (message?: string, options?: { cause?: unknown }) => Error;

// Built-in error classes come back as themselves, so `instanceof TypeError` still holds.
const BUILT_INS: Readonly<Record<string, ErrorConstructorLike>> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * Rebuilds what a worker thread threw: an `Error` with the same `name`, `message`, `stack`, own
 * properties (`code`…), `cause` (rebuilt too) and, for an aggregate, `errors`. A
 * `SparkChannelError` comes back as one (so `isSparkChannelError` holds), rxjs's `EmptyError`
 * as one, built-in errors as their class; anything else as an `Error` carrying the original name.
 */
export function revive(packed: Packed): unknown {
  if (!('error' in packed)) return packed.value;
  const options = packed.cause === undefined ? undefined : { cause: revive(packed.cause) };
  const code = packed.props['code'];
  let error: Error;
  if (packed.name === 'SparkChannelError' && isSparkChannelErrorCode(code)) {
    error = new SparkChannelError(code, packed.message, options);
  } else if (packed.name === 'EmptyError') {
    error = new EmptyError();
  } else {
    error = new (BUILT_INS[packed.name] ?? Error)(packed.message, options);
    if (error.name !== packed.name) {
      Object.defineProperty(error, 'name', { value: packed.name, writable: true, configurable: true });
    }
  }
  for (const [key, value] of Object.entries(packed.props)) {
    Object.defineProperty(error, key, { value, writable: true, configurable: true, enumerable: true });
  }
  if (packed.errors !== undefined) {
    Object.defineProperty(error, 'errors', {
      value: packed.errors.map(revive),
      writable: true,
      configurable: true,
    });
  }
  if (packed.stack !== undefined) {
    Object.defineProperty(error, 'stack', { value: packed.stack, writable: true, configurable: true });
  }
  return error;
}

/** Packs an abort reason for the worker (which rebuilds it as an `Error` with the same name and code). */
export function packReason(reason: unknown): Packed {
  if (!(reason instanceof Error)) return { value: typeof reason === 'string' ? reason : undefined };
  const code = (reason as { code?: unknown }).code;
  return {
    error: true,
    name: reason.name,
    message: reason.message,
    props: typeof code === 'string' ? { code } : {},
  };
}
