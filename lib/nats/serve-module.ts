import type { SparkChannelCancellationToken } from '../cancellation-token.js';
import type { HandlerContext, SparkGenericModuleHandler } from '../handler.js';
import { checkOptions, describe } from '../internal/validate.js';
import type { ModuleServer } from '../module-server.js';
import type { Result } from '../result.js';
import { spawnModule, type SpawnModuleOptions } from '../spawn-module.js';
import type {
  NatsConnectionLike as NatsConnection,
  NatsMsg as Msg,
  NatsSubscription as Subscription,
} from './connection.js';
import type { WireTracing } from '../wire-tracing.js';
import { jsonCodec, type NatsCodec, NatsPayloadError } from './codec.js';
import type { DurableCommands, DurableMember } from './durable-commands.js';
import { DurableDelivery } from './durable-delivery.js';
import { durableServer } from './durable-server.js';
import { checkTracing, traceReceive } from './trace-headers.js';
import { describeThrown, encodeAnswer, packError, WIRE_HEADERS, wireMismatch } from './wire.js';

/**
 * Options of {@link serveModule}: those of `spawnModule` (but `key`), plus the queue group and codec.
 *
 * @example
 * const options: ServeModuleOptions = { queue: 'users-v2', concurrency: 4, codec: jsonCodec };
 * const served = serveModule(nc, 'users', new UserHandler(), options);
 */
export interface ServeModuleOptions extends Omit<SpawnModuleOptions, 'key'> {
  /** The queue group; members with the same one share the subject's messages. Default: the subject. */
  queue?: string;
  /** Default: {@link jsonCodec}. */
  codec?: NatsCodec;
  /**
   * Continues the sender's trace from the message headers (`traceparent`, `tracestate`), with a
   * serving span around each message: `openTelemetryWire()` from `spark-channel/otel`. Headers are
   * read only when it is given; the answer carries none.
   */
  tracing?: WireTracing;
  /**
   * Durable commands (`jetStreamCommands()` of `spark-channel/nats/jetstream`): the member also
   * consumes the commands stored for the module, acking each once its handler settled.
   * Requests stay on core NATS. Default: none (commands at most once). See docs/nats.md.
   */
  durable?: DurableCommands;
}

/**
 * What {@link serveModule} returns.
 *
 * @example
 * const served: ServedModule<UserMessage, Error> = serveModule(nc, 'users', new UserHandler());
 * served.server.errors$.subscribe(({ kind, error }) => log.error(`${kind} failed`, error));
 * await served.stop(); // drains the subscription, answers what was received, then shuts down
 */
export interface ServedModule<M, E> {
  /** The local module server: `errors$` (bad payloads included, as {@link NatsPayloadError}), `stopped`. */
  readonly server: ModuleServer<M | NatsPayloadError, E>;
  /**
   * Resolves once the member receives: its subscription reached the server, and with `durable`
   * its consumer pulls. Rejects with `RECEIVE_FAILED` when the durable consumer cannot be made.
   */
  readonly ready: Promise<void>;
  /** Drains the subscription, handles what was received, answers it, then shuts the module down. */
  stop(): Promise<void>;
}

/**
 * Serves `handler` on the NATS `subject`, in a queue group (default: the subject) so that several
 * processes serving the same subject share its messages. Requests come by request–reply and are
 * answered with `{ ok: true, value }` or `{ ok: false, error: { name, message, code, … } }`;
 * commands are plain publishes. Each member runs an ordinary `spawnModule`, so order,
 * `concurrency`, `errors$` and isolation are those of the library, per member.
 *
 * A payload the codec cannot decode fails that message only, with a {@link NatsPayloadError}: a
 * request is answered with it, a command's goes to `errors$`. Whatever a handler throws (any value,
 * a Proxy or an object without `toString` included) is answered as an error described as well as it
 * safely can be, and a response the codec cannot encode is answered with the encoder's error.
 *
 * @throws TypeError naming `subject` or a bad option.
 *
 * @example
 * const nc = await connect({ servers: '127.0.0.1:4222' });
 * const served = serveModule(nc, 'users', new UserHandler());
 * // …
 * await served.stop();
 */
export function serveModule<M, R, E = Error>(
  nc: NatsConnection,
  subject: string,
  handler: SparkGenericModuleHandler<M, R, E>,
  options?: ServeModuleOptions,
): ServedModule<M, E> {
  if (typeof subject !== 'string' || subject === '') {
    throw new TypeError(`Expected \`subject\` to be a non-empty string, got ${describe(subject)}`);
  }
  checkOptions('options', options);
  const { queue = subject, codec = jsonCodec, tracing, durable, ...moduleOptions } = options ?? {};
  const traced = checkTracing(tracing, undefined, false)?.tracing;
  const logger = moduleOptions.logger ?? console;

  const inner: SparkGenericModuleHandler<M | NatsPayloadError | DurableDelivery, R, E> = {
    handleRequest(message, context: HandlerContext) {
      if (message instanceof NatsPayloadError) throw message;
      return handler.handleRequest(message as M, context); // a DurableDelivery is only ever a command
    },
    handleCommand(message, context: HandlerContext) {
      if (message instanceof NatsPayloadError) throw message;
      if (message instanceof DurableDelivery) return message.run(handler, context);
      return handler.handleCommand(message, context);
    },
  };
  const { dispatcher, server } = spawnModule<
    M | NatsPayloadError | DurableDelivery,
    R,
    SparkChannelCancellationToken,
    E
  >(inner, moduleOptions);

  const replies = new Set<Promise<void>>();
  // Everything below runs in the client's subscription callback, where a throw closes the
  // connection's reader: a logger that throws is ignored too.
  const log = (text: string, error: unknown): void => {
    try {
      logger.error(text, error);
    } catch {
      // nowhere left to report it
    }
  };
  const decode = (msg: Msg): M | NatsPayloadError => {
    const mismatch = wireMismatch(msg);
    if (mismatch !== undefined) {
      return new NatsPayloadError(
        `Refused the message received on "${subject}": ${mismatch}`,
        msg.data,
        undefined,
      );
    }
    try {
      return codec.decode(msg.data) as M;
    } catch (error: unknown) {
      return new NatsPayloadError(
        `Could not decode the payload received on "${subject}": ${errorMessage(error) ?? describeThrown(error)}`,
        msg.data,
        error,
      );
    }
  };
  const respond = (msg: Msg, result: Result<unknown, unknown>): void => {
    try {
      const bytes = encodeAnswer(
        codec,
        result.ok ? { ok: true, value: result.value } : { ok: false, error: packError(result.error) },
      );
      // A closed connection drops publishes silently: say that the answer is lost.
      if (nc.isClosed()) throw new Error('the connection is closed');
      msg.respond(bytes, { headers: WIRE_HEADERS });
    } catch (error: unknown) {
      log(`spark-channel/nats: could not answer a request on "${subject}"`, error);
    }
  };

  const onMessage = (error: Error | null, msg: Msg): void => {
    /* istanbul ignore if -- the client reports subscription errors (permissions) here */
    if (error !== null) return log(`spark-channel/nats: subscription to "${subject}" failed`, error);
    const message = decode(msg);
    const command = msg.reply === undefined || msg.reply === '';
    const receipt =
      traced === undefined
        ? undefined
        : traceReceive(
            traced,
            { system: 'nats', kind: command ? 'command' : 'request', destination: subject },
            msg,
          );
    if (command) {
      const refused = (refusal: unknown): void => {
        receipt?.done(false, refusal);
        log(`spark-channel/nats: a command on "${subject}" was refused`, refusal);
      };
      if (receipt === undefined) dispatcher.sendCommand(message).catch(refused);
      else receipt.run(() => dispatcher.sendCommand(message)).then(() => receipt.done(true), refused);
      return;
    }
    const answer =
      receipt === undefined
        ? dispatcher.requestResult(message)
        : receipt.run(() => dispatcher.requestResult(message));
    const reply = answer.then(
      (result) => {
        replies.delete(reply);
        respond(msg, result);
        receipt?.done(result.ok, result.ok ? undefined : result.error);
      },
      /* istanbul ignore next -- requestResult settles, it never rejects; kept so nothing can escape */
      (failure: unknown) => {
        replies.delete(reply);
        respond(msg, { ok: false, error: failure });
        receipt?.done(false, failure);
      },
    );
    replies.add(reply);
  };
  const subscription: Subscription = nc.subscribe(subject, { queue, callback: onMessage });
  const member: DurableMember | undefined = durable?.openMember({
    nc,
    subject,
    queue,
    decode: (data, headers) => decode({ data, headers, respond: () => false }),
    deliver: (delivery, headers) => {
      if (traced === undefined) return dispatcher.sendCommand(delivery);
      // As a core command: the CONSUMER span lasts until the module's mailbox took it.
      const receipt = traceReceive(
        traced,
        { system: 'nats', kind: 'command', destination: subject },
        { headers },
      );
      return receipt
        .run(() => dispatcher.sendCommand(delivery))
        .then(
          () => receipt.done(true),
          (refusal: unknown) => {
            receipt.done(false, refusal);
            throw refusal;
          },
        );
    },
    log,
  });
  const ready = member?.ready ?? nc.flush();
  ready.catch((error: unknown) => log(`spark-channel/nats: "${subject}" is not served`, error));

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    await member?.stop(); // no more durable commands taken; those in the mailbox are handled below
    try {
      if (!subscription.isClosed()) await subscription.drain();
    } catch {
      // the connection closed or started draining meanwhile: nothing more will arrive either way
    }
    await dispatcher.shutdown();
    await Promise.all(replies);
    try {
      if (!nc.isClosed()) await nc.flush(); // the answers have left this process
    } catch {
      // closed meanwhile: the answers are lost, as the guarantees say
    }
  };
  return {
    server:
      member === undefined
        ? (server as ModuleServer<M | NatsPayloadError, E>)
        : durableServer<M | NatsPayloadError, E>(server, member.deadLetters$),
    ready,
    stop: () => (stopping ??= stop()),
  };
}

/** The message of an `Error` (read inside a `try`), or undefined for anything else. */
function errorMessage(error: unknown): string | undefined {
  try {
    if (error instanceof Error && typeof error.message === 'string') return error.message;
  } catch {
    // a Proxy or a throwing getter: described by describeThrown instead
  }
  return undefined;
}
