// The main thread's end of the worker wire, shared by spark-channel/worker (Node threads) and
// spark-channel/web-worker (browser Web Workers): both workers answer with the same envelope and
// pack errors the same way (lib/worker/thread-source.ts, lib/internal/wire/pack.ts).
import { EmptyError } from 'rxjs';

import { SparkChannelError } from '../../spark-channel-error.js';
import { isSparkChannelErrorCode } from '../error-codes.js';
import { failure } from '../validate.js';

/** An error as the worker thread packs it: plain data that survives structured clone. */
export interface PackedError {
  readonly error: true;
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly props: Readonly<Record<string, unknown>>;
  readonly cause?: Packed;
  readonly errors?: readonly Packed[];
  /** Set when the thrown error was a `DOMException`, whose `name` (`AbortError`…) is not its class. */
  readonly domException?: true;
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

/** An {@link Envelope} once read on the main thread: the error is rebuilt, a malformed one replaced. */
export type Reply =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly load: boolean; readonly error: unknown };

type ErrorConstructorLike = new (message?: string) => Error;

// Built-in error classes come back as themselves, so `instanceof TypeError` still holds. A Map,
// not an object: a packed name such as `constructor` or `__proto__` must find nothing.
const BUILT_INS: ReadonlyMap<string, ErrorConstructorLike> = new Map<string, ErrorConstructorLike>([
  ['Error', Error],
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError],
  ['EvalError', EvalError],
  ['URIError', URIError],
]);

// Rebuilt from their own fields, never copied over from `props`.
const OWN: ReadonlySet<string> = new Set(['name', 'message', 'stack', 'cause', 'errors']);

// The worker packs at most 16 levels of causes; anything deeper did not come from it, and
// rebuilding it level by level could exhaust the stack.
const MAX_DEPTH = 32;

/**
 * Rebuilds what a worker thread threw: an `Error` with the same `name`, `message`, `stack`, own
 * properties (`code`…), `cause` (rebuilt too) and, for an aggregate, `errors`. A
 * `SparkChannelError` comes back as one (so `isSparkChannelError` holds), rxjs's `EmptyError`
 * as one, `AggregateError`, `DOMException` and the other built-in errors as their class; anything
 * else as an `Error` carrying the original name. Errors that referred to each other (an error
 * that is its own cause) still do.
 *
 * The input is treated as hostile: this never throws, and whatever is not a well-formed packed
 * error or value (not an object, a `name` that is not a string, `errors` that is not an array…)
 * comes back as a `SparkChannelError` with code `RECEIVE_FAILED` whose `cause` is the data as
 * received.
 */
export function revive(packed: unknown): unknown {
  try {
    return reviveAt(packed, 0, new Map());
  } catch (error: unknown) {
    // Only data that is not what structured clone produces (a Proxy, a getter) gets here.
    return failure(
      'RECEIVE_FAILED',
      `The worker thread sent back an error that could not be read: ${text(error)}`,
      error,
    );
  }
}

/**
 * Reads a worker thread's answer (already deserialized): the value of a success, the rebuilt error
 * of a failure, or, for anything that is not an {@link Envelope}, a `RECEIVE_FAILED` error. Never
 * throws.
 */
export function openEnvelope(envelope: unknown): Reply {
  try {
    if (isObject(envelope) && envelope['ok'] === true) return { ok: true, value: envelope['value'] };
    if (isObject(envelope) && envelope['ok'] === false) {
      return { ok: false, load: envelope['load'] === true, error: revive(envelope['error']) };
    }
    return {
      ok: false,
      load: false,
      error: malformed('answer', `is ${kind(envelope)} without \`ok\``, envelope),
    };
  } catch (error: unknown) {
    return {
      ok: false,
      load: false,
      error: malformed('answer', `could not be read (${text(error)})`, envelope),
    };
  }
}

function reviveAt(packed: unknown, depth: number, seen: Map<object, Error>): unknown {
  if (!isObject(packed)) return malformed('error', `is ${kind(packed)}, not an object`, packed);
  const known = seen.get(packed);
  if (known !== undefined) return known;
  if (packed['error'] !== true) {
    if (Object.hasOwn(packed, 'value')) return packed['value'];
    return malformed('error', 'has neither `error: true` nor a `value`', packed);
  }
  if (depth > MAX_DEPTH) {
    return failure(
      'RECEIVE_FAILED',
      `The worker thread sent back causes nested more than ${MAX_DEPTH} deep; the rest was dropped`,
    );
  }
  const { name, message, props, stack, cause, errors } = packed;
  if (typeof name !== 'string') return malformed('error', `has a \`name\` that is ${kind(name)}`, packed);
  if (typeof message !== 'string')
    return malformed('error', `has a \`message\` that is ${kind(message)}`, packed);
  if (!isObject(props)) return malformed('error', `has \`props\` that are ${kind(props)}`, packed);
  if (stack !== undefined && typeof stack !== 'string') {
    return malformed('error', `has a \`stack\` that is ${kind(stack)}`, packed);
  }
  if (errors !== undefined && !Array.isArray(errors)) {
    return malformed('error', `has \`errors\` that are ${kind(errors)}`, packed);
  }
  const dom = packed['domException'] === true;
  const error = construct(name, message, props['code'], dom);
  // Registered before its cause and errors are rebuilt, so that a cycle ends here.
  seen.set(packed, error);
  for (const [key, value] of Object.entries(props)) {
    // A DOMException's `code` is a getter derived from its name.
    if (!OWN.has(key) && !(dom && key === 'code')) define(error, key, value, true);
  }
  if (cause !== undefined) define(error, 'cause', reviveAt(cause, depth + 1, seen));
  if (errors !== undefined) {
    define(
      error,
      'errors',
      errors.map((inner: unknown) => reviveAt(inner, depth + 1, seen)),
    );
  }
  if (stack !== undefined) define(error, 'stack', stack);
  return error;
}

function construct(name: string, message: string, code: unknown, dom: boolean): Error {
  if (dom) return new DOMException(message, name);
  if (name === 'SparkChannelError' && isSparkChannelErrorCode(code))
    return new SparkChannelError(code, message);
  if (name === 'EmptyError') return new EmptyError();
  const error =
    name === 'AggregateError' ? new AggregateError([], message) : new (BUILT_INS.get(name) ?? Error)(message);
  if (error.name !== name) define(error, 'name', name);
  return error;
}

function define(error: Error, key: string, value: unknown, enumerable = false): void {
  Object.defineProperty(error, key, { value, writable: true, configurable: true, enumerable });
}

function malformed(what: string, why: string, received: unknown): SparkChannelError {
  return failure('RECEIVE_FAILED', `The worker thread sent back a malformed ${what}: it ${why}`, received);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** What a malformed field is, without reading it (it may be anything). */
function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function text(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return `an unprintable ${typeof error}`;
  }
}

/**
 * Packs an abort reason for the worker (which rebuilds it as an `Error`, or a `DOMException`, with
 * the same name and string code). The reason may be anything a caller aborted with: what cannot
 * be read is dropped, never thrown from the abort listener that forwards it.
 */
export function packReason(reason: unknown): Packed {
  try {
    // DOMException by name too: where it comes from another realm than Error (jest's sandbox), it
    // is not an instance of this one's.
    if (!(reason instanceof Error || reason instanceof DOMException)) {
      return { value: typeof reason === 'string' ? reason : undefined };
    }
    const { name, message } = reason;
    const code = (reason as { code?: unknown }).code;
    return {
      error: true,
      name: typeof name === 'string' ? name : 'Error',
      message: typeof message === 'string' ? message : '',
      props: typeof code === 'string' ? { code } : {},
      ...(reason instanceof DOMException ? { domException: true } : {}),
    };
  } catch {
    return { value: undefined };
  }
}
