import { Observable } from 'rxjs';

import { checkOptions, checkPositiveNumber, describe, failure } from '../internal/validate.js';
import { err, type Result } from '../result.js';
import type { SparkChannelError, SparkChannelErrorCode } from '../spark-channel-error.js';
import { jsonCodec, type NatsCodec } from './codec.js';
import type { WireTracing } from '../wire-tracing.js';
import type { NatsConnectionLike as NatsConnection, NatsHeaders } from './connection.js';
import type { DurableCommands } from './durable-commands.js';
import { checkTracing, type TracedSend, traceSend } from './trace-headers.js';
import { encodeBytes, readReply, WIRE_HEADERS } from './wire.js';

/**
 * Options of {@link natsDispatcher}.
 *
 * @example
 * const options: NatsDispatcherOptions = { timeoutMs: 2_000, codec: jsonCodec };
 * const users = natsDispatcher<UserMessage, User>(nc, 'users', options);
 */
export interface NatsDispatcherOptions {
  /** The default `timeoutMs` of every request. Default 30 000: over NATS a lost reply is possible. */
  timeoutMs?: number;
  /** Default: {@link jsonCodec}; must match the serving side's. */
  codec?: NatsCodec;
  /**
   * Carries the trace to the serving side in the message headers (`traceparent`, `tracestate`):
   * `openTelemetryWire()` from `spark-channel/otel`. Needs `headers` along with it.
   */
  tracing?: WireTracing;
  /** The client's `headers` function (`import { headers } from '@nats-io/transport-node'`), for `tracing`. */
  headers?: () => NatsHeaders;
  /**
   * Durable commands (`jetStreamCommands()` of `spark-channel/nats/jetstream`): `sendCommand`
   * resolves once the stream stored the command, `SEND_FAILED` when it could not. Requests stay
   * on core NATS. Default: none (commands at most once). See docs/nats.md.
   */
  durable?: DurableCommands;
}

/**
 * Per-request options.
 *
 * @example
 * const options: NatsRequestOptions = { timeoutMs: 500, signal: AbortSignal.timeout(1_000) };
 * const user = await users.request({ type: 'GetUser', id: 7 }, options);
 */
export interface NatsRequestOptions {
  /** Rejects with `TIMEOUT` after this many milliseconds. */
  timeoutMs?: number;
  /** Aborting it rejects with `CANCELLED` (the remote handler is not told); an aborted signal sends nothing. */
  signal?: AbortSignal;
}

/**
 * The client side of a module served on NATS with `serveModule`: the dispatcher surface over the wire.
 *
 * @example
 * const users: NatsDispatcher<UserMessage, User> = natsDispatcher(nc, 'users');
 * const user = await users.request({ type: 'GetUser', id: 7 }, { timeoutMs: 500 });
 * await users.shutdown(); // the connection stays open
 */
export interface NatsDispatcher<M, R> {
  /**
   * Sends `message` as a request on the subject and resolves with the remote handler's response;
   * rejects with the remote error (name, message, `code`), or `TIMEOUT` / `CANCELLED` /
   * `RECEIVE_FAILED` / `SEND_FAILED`.
   */
  request<T extends R = R>(message: M, options?: NatsRequestOptions): Promise<T>;
  /** Cold: sends on subscribe; unsubscribing before the answer gives the request up. */
  request$<T extends R = R>(message: M, options?: NatsRequestOptions): Observable<T>;
  /** As `request`, never rejects. */
  requestResult<T extends R = R>(message: M, options?: NatsRequestOptions): Promise<Result<T, Error>>;
  /**
   * Publishes `message` as a command: resolves once handed to the connection (at most once
   * delivery); with the `durable` option, once the stream stored it (at least once).
   */
  sendCommand(message: M): Promise<void>;
  /** Stops this client: later sends fail with `SEND_FAILED`; resolves once its requests in flight settled. The connection stays open. */
  shutdown(): Promise<void>;
}

const MAX_TIMER = 2_147_483_647;
/**
 * A dispatcher for the module served on `subject` (by `serveModule`, in one or more processes).
 *
 * Failures map onto the library's codes: no member serving the subject → `SEND_FAILED`; no answer
 * within `timeoutMs` → `TIMEOUT`; `signal` aborted → `CANCELLED`; connection closed or draining →
 * `SEND_FAILED` before sending, `RECEIVE_FAILED` while waiting. A remote handler's error comes back
 * as an `Error` with its `name`, `message`, `code` and other plain properties. A reply that cannot
 * be decoded or is not a well-formed envelope (any responder on the subject can send one) fails
 * that request with `RECEIVE_FAILED`, its `cause` the decoded reply (or the bytes).
 *
 * @throws TypeError / RangeError naming `subject` or a bad option. A request or command whose
 *   `codec.encode` returns no `Uint8Array` is refused with a TypeError naming it.
 *
 * @example
 * const users = natsDispatcher<UserMessage, User>(nc, 'users', { timeoutMs: 2_000 });
 * const user = await users.request({ type: 'GetUser', id: 7 });
 */
export function natsDispatcher<M, R>(
  nc: NatsConnection,
  subject: string,
  options?: NatsDispatcherOptions,
): NatsDispatcher<M, R> {
  if (typeof subject !== 'string' || subject === '') {
    throw new TypeError(`Expected \`subject\` to be a non-empty string, got ${describe(subject)}`);
  }
  checkOptions('options', options);
  const codec = options?.codec ?? jsonCodec;
  const defaultTimeout =
    options?.timeoutMs === undefined ? 30_000 : checkPositiveNumber('timeoutMs', options.timeoutMs, true);
  const traced = checkTracing(options?.tracing, options?.headers, true);
  const durable = options?.durable?.openSender(nc, subject);
  const inFlight = new Set<Promise<unknown>>();
  let shut = false;

  const refusal = (): SparkChannelError | undefined => {
    if (shut) return failure('SEND_FAILED', `The dispatcher for "${subject}" was shut down`);
    if (nc.isClosed() || nc.isDraining()) {
      return failure('SEND_FAILED', `The NATS connection is ${nc.isClosed() ? 'closed' : 'draining'}`);
    }
    return undefined;
  };

  const call = <T>(message: M, requestOptions: NatsRequestOptions | undefined): Promise<Result<T, Error>> => {
    let timeoutMs = defaultTimeout;
    let signal: AbortSignal | undefined;
    let payload: Uint8Array;
    try {
      checkOptions('options', requestOptions);
      if (requestOptions?.timeoutMs !== undefined)
        timeoutMs = checkPositiveNumber('timeoutMs', requestOptions.timeoutMs, true);
      signal = requestOptions?.signal;
      if (signal !== undefined && !(signal instanceof AbortSignal)) {
        throw new TypeError(`Expected \`signal\` to be an AbortSignal, got ${describe(signal)}`);
      }
      if (signal?.aborted === true) {
        return Promise.resolve(
          err(failure('CANCELLED', 'Request cancelled before it was sent', signal.reason)),
        );
      }
      const refused = refusal();
      if (refused !== undefined) return Promise.resolve(err(refused));
      payload = encodeBytes(codec, message);
    } catch (error: unknown) {
      return Promise.resolve(err(error as Error));
    }

    const outcome = new Promise<Result<T, Error>>((settle) => {
      let onAbort: (() => void) | undefined;
      let trace: TracedSend | undefined;
      const finish = (result: Result<T, Error>): void => {
        if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
        trace?.done(result.ok, result.ok ? undefined : result.error);
        settle(result);
      };
      if (signal !== undefined) {
        onAbort = () => finish(err(failure('CANCELLED', 'Request cancelled by its signal', signal.reason)));
        signal.addEventListener('abort', onAbort, { once: true });
      }
      let sent: Promise<{ readonly data: Uint8Array; readonly headers?: NatsHeaders | undefined }>;
      try {
        // Promise.resolve: a connection-like that returns no promise must not leave this hanging.
        const timeout = Math.min(timeoutMs, MAX_TIMER);
        if (traced !== undefined) {
          trace = traceSend(traced.tracing, traced.headers as () => NatsHeaders, {
            system: 'nats',
            kind: 'request',
            destination: subject,
          });
        }
        // A traced request carries the client's header object (the wire version set on it too).
        sent = Promise.resolve(
          nc.request(subject, payload, { timeout, headers: trace?.headers ?? WIRE_HEADERS }),
        );
      } catch (error: unknown) {
        return finish(err(failure('SEND_FAILED', `Could not send the request on "${subject}"`, error)));
      }
      // readReply never throws; the second step catches a connection-like that breaks its word
      // (a reply whose data getter throws), so that no request is left hanging.
      sent
        .then(
          (reply) => readReply(reply.data, codec, subject, reply) as Result<T, Error>,
          (error: unknown) => err(mapNatsError(error, subject, timeoutMs)),
        )
        .then(finish, (error: unknown) =>
          finish(err(failure('RECEIVE_FAILED', `The reply on "${subject}" could not be read`, error))),
        );
    });
    inFlight.add(outcome);
    void outcome.then(() => inFlight.delete(outcome));
    return outcome;
  };

  return {
    request: <T extends R = R>(message: M, requestOptions?: NatsRequestOptions) =>
      call<T>(message, requestOptions).then((result) => {
        if (result.ok) return result.value;
        throw result.error;
      }),
    request$: <T extends R = R>(message: M, requestOptions?: NatsRequestOptions) =>
      new Observable<T>((subscriber) => {
        const controller = new AbortController();
        const outer = requestOptions?.signal;
        const onOuterAbort = (): void => controller.abort(outer?.reason);
        if (outer?.aborted === true) onOuterAbort();
        else outer?.addEventListener('abort', onOuterAbort, { once: true });
        void call<T>(message, { ...requestOptions, signal: controller.signal }).then((result) => {
          outer?.removeEventListener('abort', onOuterAbort);
          if (!result.ok) return subscriber.error(result.error);
          subscriber.next(result.value);
          subscriber.complete();
        });
        return () => controller.abort(failure('CANCELLED', 'Request cancelled: its subscriber unsubscribed'));
      }),
    requestResult: <T extends R = R>(message: M, requestOptions?: NatsRequestOptions) =>
      call<T>(message, requestOptions),
    sendCommand: (message: M) => {
      const refused = refusal();
      if (refused !== undefined) return Promise.reject(refused);
      let payload: Uint8Array;
      try {
        payload = encodeBytes(codec, message);
      } catch (error: unknown) {
        return Promise.reject(error);
      }
      if (durable !== undefined) {
        const trace =
          traced === undefined
            ? undefined
            : traceSend(traced.tracing, traced.headers as () => NatsHeaders, {
                system: 'nats',
                kind: 'command',
                destination: subject,
              });
        const stored = durable.send(message, payload, trace?.headers);
        if (trace !== undefined) {
          // The PRODUCER span of a durable command lasts until the stream stored it.
          stored.then(
            () => trace.done(true),
            (error: unknown) => trace.done(false, error),
          );
        }
        const settled: Promise<unknown> = stored.then(
          () => inFlight.delete(settled),
          () => inFlight.delete(settled),
        );
        inFlight.add(settled); // shutdown waits for the stream's answer too
        return stored;
      }
      if (traced !== undefined) return publishTraced(nc, subject, payload, traced.tracing, traced.headers);
      try {
        nc.publish(subject, payload, { headers: WIRE_HEADERS });
      } catch (error: unknown) {
        return Promise.reject(failure('SEND_FAILED', `Could not publish on "${subject}"`, error));
      }
      return Promise.resolve();
    },
    shutdown: async () => {
      shut = true;
      await Promise.all(inFlight);
    },
  };
}

/** `sendCommand` with `tracing`: the command's PRODUCER span lasts until the publish returned. */
function publishTraced(
  nc: NatsConnection,
  subject: string,
  payload: Uint8Array,
  tracing: WireTracing,
  headers: (() => NatsHeaders) | undefined,
): Promise<void> {
  const trace = traceSend(tracing, headers as () => NatsHeaders, {
    system: 'nats',
    kind: 'command',
    destination: subject,
  });
  try {
    nc.publish(subject, payload, { headers: trace.headers ?? WIRE_HEADERS });
  } catch (error: unknown) {
    const refused = failure('SEND_FAILED', `Could not publish on "${subject}"`, error);
    trace.done(false, refused);
    return Promise.reject(refused);
  }
  trace.done(true);
  return Promise.resolve();
}

function mapNatsError(error: unknown, subject: string, timeoutMs: number): SparkChannelError {
  const names = new Set<string>();
  for (let e: unknown = error; e instanceof Error && names.size < 8; e = e.cause) names.add(e.name);
  let code: SparkChannelErrorCode = 'RECEIVE_FAILED';
  let text = `The request on "${subject}" failed while waiting for its answer`;
  if (names.has('NoResponders') || names.has('NoRespondersError')) {
    code = 'SEND_FAILED';
    text = `No member serves "${subject}" (no responders)`;
  } else if (names.has('TimeoutError')) {
    code = 'TIMEOUT';
    text = `Request timed out after ${timeoutMs} ms`;
  }
  return failure(code, text, error);
}
