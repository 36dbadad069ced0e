// The option `tracing` on the NATS wire: trace headers written into what is sent and read from
// what arrives, through the client's own header object (the `headers` option: this entry never
// loads the client, so it cannot make one itself). Only called when `tracing` is given: without
// it a send or a receipt checks one `undefined` and allocates nothing.
import { describe } from '../internal/validate.js';
import type { WireHeaderGetter, WireOperation, WireTracing } from '../wire-tracing.js';
import type { NatsHeaders } from './connection.js';
import { WIRE_HEADER, WIRE_VERSION } from './wire.js';

/** The sending side of one traced message: the client's header object and the hook's state. */
export class TracedSend {
  constructor(
    readonly tracing: WireTracing,
    readonly state: unknown,
    readonly headers: NatsHeaders | undefined,
  ) {}

  /** Ends the sending span; a hook that throws is ignored, as every tracing hook is. */
  done(ok: boolean, error?: unknown): void {
    try {
      this.tracing.sent(this.state, ok, error);
    } catch {
      // tracing must never change what happens to the message
    }
  }
}

/** The receiving side of one traced message. */
export class TracedReceipt {
  constructor(
    readonly tracing: WireTracing,
    readonly state: unknown,
  ) {}

  /** Runs `handle` with the serving span active (or as it is, when the hook fails). */
  run<T>(handle: () => T): T {
    let entered = false;
    let returned = false;
    let result: T | undefined;
    try {
      return this.tracing.run(this.state, () => {
        entered = true;
        result = handle();
        returned = true;
        return result;
      });
    } catch (error: unknown) {
      if (returned) return result as T; // the hook threw after the handle ran: its result stands
      if (entered) throw error; // the handle's own throw
      return handle(); // the hook threw before: run it untraced
    }
  }

  done(ok: boolean, error?: unknown): void {
    try {
      this.tracing.received(this.state, ok, error);
    } catch {
      // tracing must never change what happens to the message
    }
  }
}

/**
 * Checks the options `tracing` and `headers` together: `tracing` must have the hooks, and a side
 * that sends needs `headers` (the client's factory) along with it.
 *
 * @throws TypeError naming `tracing` or `headers`.
 */
export function checkTracing(
  tracing: unknown,
  headers: unknown,
  sends: boolean,
): { tracing: WireTracing; headers: (() => NatsHeaders) | undefined } | undefined {
  if (tracing === undefined) {
    if (headers !== undefined && typeof headers !== 'function') {
      throw new TypeError(`Expected \`headers\` to be a function, got ${describe(headers)}`);
    }
    return undefined;
  }
  if (
    typeof tracing !== 'object' ||
    tracing === null ||
    (['send', 'sent', 'receive', 'run', 'received'] as const).some(
      (key) => typeof (tracing as Partial<Record<typeof key, unknown>>)[key] !== 'function',
    )
  ) {
    throw new TypeError(
      `Expected \`tracing\` to be a WireTracing (send, sent, receive, run, received), got ${describe(tracing)}`,
    );
  }
  if (sends ? typeof headers !== 'function' : headers !== undefined && typeof headers !== 'function') {
    throw new TypeError(
      `Expected \`headers\` to be the client's headers() function (from @nats-io/transport-node) along with \`tracing\`, got ${describe(headers)}`,
    );
  }
  return { tracing: tracing as WireTracing, headers: headers as (() => NatsHeaders) | undefined };
}

/**
 * Starts the sending span of `operation` and writes its headers into a new header object, with
 * the wire version every message carries. When a hook or the factory throws, the message goes
 * untraced (`headers` undefined: the caller sends the shared `WIRE_HEADERS`).
 */
export function traceSend(
  tracing: WireTracing,
  headers: () => NatsHeaders,
  operation: WireOperation,
): TracedSend {
  let created: NatsHeaders | undefined;
  let state: unknown;
  try {
    const h = headers();
    h.set(WIRE_HEADER, WIRE_VERSION);
    created = h;
    state = tracing.send(operation, (key, value) => h.set(key, value));
  } catch {
    // the message is sent as it is, untraced
  }
  return new TracedSend(tracing, state, created);
}

/**
 * Starts the serving span of a received message from its headers. The message came from the
 * network: its headers are read inside a `try`, and what is unreadable counts as absent.
 */
export function traceReceive(
  tracing: WireTracing,
  operation: WireOperation,
  msg: { readonly headers?: NatsHeaders | undefined },
): TracedReceipt {
  let state: unknown;
  try {
    const received = msg.headers;
    const get: WireHeaderGetter =
      received === undefined || received === null
        ? () => undefined
        : (key) => {
            try {
              const value = received.get(key) as unknown;
              return typeof value === 'string' && value !== '' ? value : undefined;
            } catch {
              return undefined;
            }
          };
    state = tracing.receive(operation, get);
  } catch {
    // served untraced
  }
  return new TracedReceipt(tracing, state);
}
