/**
 * Turns messages, responses and error envelopes into bytes and back.
 *
 * @example
 * const msgpack: NatsCodec = { encode: (value) => encode(value), decode: (bytes) => decode(bytes) };
 * const users = natsDispatcher<UserMessage, User>(nc, 'users', { codec: msgpack }); // serveModule's must match
 */
export interface NatsCodec {
  /** The bytes sent for `value` (a message, a response or an error envelope). */
  encode(value: unknown): Uint8Array;
  /** The value read from `bytes`; throwing makes the payload a {@link NatsPayloadError}. */
  decode(bytes: Uint8Array): unknown;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The default codec: UTF-8 JSON. `undefined` travels as an empty payload.
 *
 * @example
 * const bytes = jsonCodec.encode({ type: 'GetUser', id: 7 });
 * jsonCodec.decode(bytes); // { type: 'GetUser', id: 7 }
 */
export const jsonCodec: NatsCodec = {
  encode: (value) => encoder.encode(value === undefined ? '' : JSON.stringify(value)),
  decode: (bytes) => {
    const text = decoder.decode(bytes);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  },
};

/**
 * A payload that could not be decoded; its handler call fails with {@link NatsPayloadError}.
 *
 * @example
 * served.server.errors$.subscribe(({ error }) => {
 *   if (error instanceof NatsPayloadError) console.warn('undecodable payload', error.payload.byteLength);
 * });
 */
export class NatsPayloadError extends Error {
  override readonly name = 'NatsPayloadError';
  declare readonly cause?: unknown;

  constructor(
    message: string,
    /** The bytes that could not be decoded. */
    readonly payload: Uint8Array,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

/** What travels back for a request. */
export type Envelope = { ok: true; value: unknown } | { ok: false; error: WireError };

/**
 * An error as it travels: its name, message, `code` and other own enumerable data. A reply whose
 * error has no string `name` and `message` (or names `SparkChannelError` without one of its codes)
 * is not an envelope: the caller fails with `RECEIVE_FAILED`.
 *
 * @example
 * const wire: WireError = { name: 'NotFoundError', message: 'No user 7', code: 'E_NOT_FOUND' };
 * jsonCodec.encode({ ok: false, error: wire }); // how a member answers a failed request
 */
export interface WireError {
  name: string;
  message: string;
  code?: unknown;
  [property: string]: unknown;
}
