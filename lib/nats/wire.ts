// The envelope as it crosses the wire, read and written without trusting anything on the way: a
// reply can come from any responder on the subject, a handler can throw any value, and a codec is
// user code. Every probe of such a value happens inside a `try`; nothing here throws, except
// encodeAnswer when the codec can encode nothing at all.
import { isSparkChannelErrorCode } from '../internal/error-codes.js';
import { err, type Result } from '../result.js';
import { SparkChannelError } from '../spark-channel-error.js';
import type { Envelope, NatsCodec, WireError } from './codec.js';
import type { NatsHeaders } from './connection.js';

/** The header that marks every message spark-channel/nats sends with its wire version (docs/nats-wire.md). */
export const WIRE_HEADER = 'Spark-Channel-Wire';
/** The wire version this code writes and the only one it reads; a message without the header is read as it. */
export const WIRE_VERSION = '1';

// The NATS/1.0 header block of every message sent: "NATS/1.0", the header, an empty line.
const HEADER_BLOCK = new TextEncoder().encode(`NATS/1.0\r\n${WIRE_HEADER}: ${WIRE_VERSION}\r\n\r\n`);

/**
 * The headers sent with every request, command, reply and event: one object for all of them, so
 * no headers are built per message. Hand-made, not the client's `headers()`, because this entry
 * never loads the client; the client writes any headers object by calling its `encode()` (the
 * header block of the HPUB it sends: nats.js 2.x and 3.x), which spec/nats/c-client.spec.ts
 * proves from the C client's side. Shared, so it cannot change: `set` throws (a message that
 * needs more headers gets the client's own `headers()`, with `WIRE_HEADER` set on it).
 */
export const WIRE_HEADERS: NatsHeaders & { encode(): Uint8Array } = Object.freeze({
  get: (key: string) => (key === WIRE_HEADER ? WIRE_VERSION : ''),
  set: (key: string) => {
    throw new TypeError(
      `The shared wire headers cannot be changed (setting \`${key}\`): use the client's headers()`,
    );
  },
  encode: () => HEADER_BLOCK,
});

/**
 * Why `message` cannot be read by this wire version: its `Spark-Channel-Wire` header names another
 * version, or its headers cannot be read. `undefined` when it can (no headers, or no such header,
 * is version 1). Never throws: the message may come from any publisher, through any connection-like.
 */
export function wireMismatch(message: { readonly headers?: NatsHeaders | undefined }): string | undefined {
  let version: unknown;
  try {
    const headers = message.headers;
    if (headers === undefined || headers === null) return undefined;
    version = headers.get(WIRE_HEADER);
  } catch (error: unknown) {
    return `its headers could not be read: ${describeThrown(error)}`;
  }
  // The client's get() gives "" for a header that is absent.
  if (version === '' || version === undefined || version === WIRE_VERSION) return undefined;
  return `it is of wire version ${describeSafely(version)} (${WIRE_HEADER}); this side reads version ${WIRE_VERSION}`;
}

// The getter behind `Uint8Array.prototype[Symbol.toStringTag]` reads the typed array's internal
// name: no user code runs, a Proxy or a look-alike object gets `undefined`, and it holds across
// realms (where `instanceof Uint8Array` does not).
// eslint-disable-next-line @typescript-eslint/unbound-method -- only ever called with .call(value)
const typedArrayName = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype) as object,
  Symbol.toStringTag,
)?.get as (this: unknown) => string | undefined;

/** Tells whether `value` is a `Uint8Array` (a `Buffer` included) without running any of its code. */
export function isBytes(value: unknown): value is Uint8Array {
  return typedArrayName.call(value) === 'Uint8Array';
}

/** Renders any value for an error message; never throws and runs none of the value's code. */
export function describeSafely(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a number, boolean, bigint, symbol or undefined
  if (typeof value !== 'object') return String(value);
  try {
    // A Proxy's get trap runs here (for Symbol.toStringTag); a revoked one throws.
    return `an object (${Object.prototype.toString.call(value)})`;
  } catch {
    return 'an object that cannot be inspected (a Proxy?)';
  }
}

/**
 * Describes a thrown value as well as it safely can: a string as it is, anything else as
 * `String()` renders it (the thrower's own `toString`, inside a `try`), else {@link describeSafely}.
 */
export function describeThrown(value: unknown): string {
  if (typeof value === 'string') return value;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a primitive: String() cannot throw
  if (typeof value !== 'object' && typeof value !== 'function') return String(value);
  try {
    // The thrower's own toString is the best description there is; "[object Object]" is one too.
    // eslint-disable-next-line @typescript-eslint/no-base-to-string
    return String(value);
  } catch {
    // no toString (Object.create(null)), one that throws, or a Proxy: described from outside
    return describeSafely(value);
  }
}

/** `value instanceof Error`, false where even asking throws (a Proxy whose getPrototypeOf trap throws). */
function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/** `codec.encode(value)`, refusing what is not bytes, so that nothing odd reaches the connection. */
export function encodeBytes(codec: NatsCodec, value: unknown): Uint8Array {
  const bytes = codec.encode(value);
  if (isBytes(bytes)) return bytes;
  throw new TypeError(`Expected \`codec.encode\` to return a Uint8Array, got ${describeSafely(bytes)}`);
}

function readOwn(target: object, key: string): unknown {
  return Object.hasOwn(target, key) ? (target as Record<string, unknown>)[key] : undefined;
}

function defineData(target: object, key: string, value: unknown): void {
  // Not `target[key] = value`: a key "__proto__" would set the prototype instead.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Packs what a handler threw (any value at all) into a {@link WireError}: an `Error`'s `name`,
 * `message` and own enumerable data (not `cause`, `payload` nor functions); anything else as
 * `{ name: 'Error', message }` with the value described. Never throws: a property that cannot be
 * read stays home, a `name` or `message` that cannot be read is replaced.
 */
export function packError(error: unknown): WireError {
  if (!isError(error)) return { name: 'Error', message: describeThrown(error) };
  const source = error as Error & Record<string, unknown>;
  let name = 'Error';
  let message = 'An Error whose message could not be read';
  try {
    const value = source.name;
    if (typeof value === 'string') name = value;
  } catch {
    // a getter that throws: the generic name
  }
  try {
    const value = source.message;
    message = typeof value === 'string' ? value : describeThrown(value);
  } catch {
    // a getter that throws: said so in the message
  }
  const wire: WireError = { name, message };
  let keys: string[] = [];
  try {
    keys = Object.keys(source);
  } catch {
    // a Proxy whose ownKeys trap throws: name and message only
  }
  for (const key of keys) {
    if (key === 'name' || key === 'message' || key === 'cause' || key === 'payload') continue;
    try {
      const value = source[key];
      if (typeof value !== 'function') defineData(wire, key, value);
    } catch {
      // a getter that throws: that property stays home
    }
  }
  // The caller revives the name SparkChannelError only with one of its codes: an impostor (a local
  // error that took the name) travels as a plain Error rather than being refused there.
  if (name === 'SparkChannelError' && !isSparkChannelErrorCode(wire.code)) wire.name = 'Error';
  return wire;
}

/** The same error with only what every codec can hold: strings (and a string code). */
function bare(wire: WireError): WireError {
  return typeof wire.code === 'string'
    ? { name: wire.name, message: wire.message, code: wire.code }
    : { name: wire.name, message: wire.message };
}

/**
 * Encodes the answer to a request so that the caller gets *an* answer: the envelope itself; if
 * the codec refuses it, an error envelope in its place (for a response: the encoder's error; for
 * an error: its name, message and code without the other properties); last, a fixed error made
 * of strings only.
 *
 * @throws what the codec threw on the last attempt, when it can encode nothing.
 */
export function encodeAnswer(codec: NatsCodec, envelope: Envelope): Uint8Array {
  let failed: unknown;
  try {
    return encodeBytes(codec, envelope);
  } catch (error: unknown) {
    failed = error;
  }
  let fallbacks: WireError[];
  if (envelope.ok) {
    const packed = isError(failed)
      ? packError(failed)
      : { name: 'Error', message: `The response could not be encoded: ${describeThrown(failed)}` };
    fallbacks = [packed, bare(packed)];
  } else {
    fallbacks = [bare(envelope.error)];
  }
  fallbacks.push({ name: 'Error', message: 'The answer could not be encoded' });
  for (const error of fallbacks) {
    try {
      return encodeBytes(codec, { ok: false, error });
    } catch (again: unknown) {
      failed = again;
    }
  }
  throw failed;
}

// Own properties of a reply that never become properties of the revived error.
const RESERVED = new Set(['name', 'message', 'code', 'stack', 'cause']);

/** Revives a remote {@link WireError}, or says why it is not one. */
function revive(wire: unknown): Error | string {
  if (typeof wire !== 'object' || wire === null || Array.isArray(wire))
    return 'has an error that is not an object';
  const name = readOwn(wire, 'name');
  const message = readOwn(wire, 'message');
  const code = readOwn(wire, 'code');
  if (typeof name !== 'string') return 'has an error without a string "name"';
  if (typeof message !== 'string') return 'has an error without a string "message"';
  let error: Error;
  if (name === 'SparkChannelError') {
    if (!isSparkChannelErrorCode(code)) return 'has a SparkChannelError without a known "code"';
    error = new SparkChannelError(code, message);
  } else {
    error = new Error(message);
    defineData(error, 'name', name);
    if (code !== undefined) defineData(error, 'code', code);
  }
  for (const [key, value] of Object.entries(wire)) {
    // `in` also skips what the error inherits: "__proto__", "constructor", "toString"…
    if (!RESERVED.has(key) && !(key in error)) defineData(error, key, value);
  }
  return error;
}

/** Reads a decoded reply: the value, the revived remote error, or why it is not an envelope. */
function readEnvelope(decoded: unknown): Result<unknown, Error> | string {
  if (typeof decoded !== 'object' || decoded === null) return 'is not an object';
  const ok = readOwn(decoded, 'ok');
  if (ok === true) return { ok: true, value: readOwn(decoded, 'value') };
  if (ok !== false) return 'has no boolean "ok"';
  const error = revive(readOwn(decoded, 'error'));
  return typeof error === 'string' ? error : err(error);
}

/**
 * Reads the reply to a request on `subject`: `{ ok: true, value }`, or `{ ok: false, error }` with
 * the remote error revived (a `SparkChannelError` as one). A reply of another wire version (its
 * `headers`), one that cannot be decoded, or one that is not a well-formed envelope, is a
 * `SparkChannelError` `RECEIVE_FAILED` whose `cause` is the payload: the decoded value, or the
 * bytes when they were not decoded. Never throws.
 */
export function readReply(
  data: Uint8Array,
  codec: NatsCodec,
  subject: string,
  reply: { readonly headers?: NatsHeaders | undefined } = {},
): Result<unknown, Error> {
  const unreadable = (why: string, payload: unknown): Result<never, Error> =>
    err(new SparkChannelError('RECEIVE_FAILED', `The reply on "${subject}" ${why}`, { cause: payload }));
  const mismatch = wireMismatch(reply);
  if (mismatch !== undefined) return unreadable(`cannot be read (${mismatch})`, data);
  let decoded: unknown;
  try {
    decoded = codec.decode(data);
  } catch (error: unknown) {
    return unreadable(`could not be decoded: ${describeThrown(error)}`, data);
  }
  let read: Result<unknown, Error> | string;
  try {
    read = readEnvelope(decoded);
  } catch (error: unknown) {
    read = `could not be read: ${describeThrown(error)}`; // a getter or a Proxy trap threw
  }
  return typeof read === 'string'
    ? unreadable(`is not a spark-channel envelope (it ${read})`, decoded)
    : read;
}
