import type { SparkChannelCancellationToken } from '../cancellation-token.js';
import type { HandlerContext, SparkGenericModuleHandler } from '../handler.js';
import { checkOptions, describe } from '../internal/validate.js';
import type { ModuleServer } from '../module-server.js';
import { spawnModule, type SpawnModuleOptions } from '../spawn-module.js';
import type {
  NatsConnectionLike as NatsConnection,
  NatsMsg as Msg,
  NatsSubscription as Subscription,
} from './connection.js';
import { type Envelope, jsonCodec, type NatsCodec, NatsPayloadError, packError } from './codec.js';

/** Options of {@link serveModule}: those of `spawnModule` (but `key`), plus the queue group and codec. */
export interface ServeModuleOptions extends Omit<SpawnModuleOptions, 'key'> {
  /** The queue group; members with the same one share the subject's messages. Default: the subject. */
  queue?: string;
  /** Default: {@link jsonCodec}. */
  codec?: NatsCodec;
}

/** What {@link serveModule} returns. */
export interface ServedModule<M, E> {
  /** The local module server: `errors$` (bad payloads included, as {@link NatsPayloadError}), `stopped`. */
  readonly server: ModuleServer<M | NatsPayloadError, E>;
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
 * request is answered with it, a command's goes to `errors$`.
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
  const { queue = subject, codec = jsonCodec, ...moduleOptions } = options ?? {};
  const logger = moduleOptions.logger ?? console;

  const inner: SparkGenericModuleHandler<M | NatsPayloadError, R, E> = {
    handleRequest(message, context: HandlerContext) {
      if (message instanceof NatsPayloadError) throw message;
      return handler.handleRequest(message, context);
    },
    handleCommand(message, context: HandlerContext) {
      if (message instanceof NatsPayloadError) throw message;
      return handler.handleCommand(message, context);
    },
  };
  const { dispatcher, server } = spawnModule<M | NatsPayloadError, R, SparkChannelCancellationToken, E>(
    inner,
    moduleOptions,
  );

  const replies = new Set<Promise<void>>();
  const decode = (msg: Msg): M | NatsPayloadError => {
    try {
      return codec.decode(msg.data) as M;
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      return new NatsPayloadError(
        `Could not decode the payload received on "${subject}": ${reason}`,
        msg.data,
        error,
      );
    }
  };
  const respond = (msg: Msg, envelope: Envelope): void => {
    try {
      let bytes: Uint8Array;
      try {
        bytes = codec.encode(envelope);
      } catch (error: unknown) {
        bytes = codec.encode({ ok: false, error: packError(error) }); // e.g. a response JSON cannot hold
      }
      // A closed connection drops publishes silently: say that the answer is lost.
      if (nc.isClosed()) throw new Error('the connection is closed');
      msg.respond(bytes);
    } catch (error: unknown) {
      logger.error(`spark-channel/nats: could not answer a request on "${subject}"`, error);
    }
  };

  const onMessage = (error: Error | null, msg: Msg): void => {
    /* istanbul ignore if -- the client reports subscription errors (permissions) here */
    if (error !== null) return logger.error(`spark-channel/nats: subscription to "${subject}" failed`, error);
    const message = decode(msg);
    if (msg.reply === undefined || msg.reply === '') {
      dispatcher.sendCommand(message).catch((refusal: unknown) => {
        logger.error(`spark-channel/nats: a command on "${subject}" was refused`, refusal);
      });
      return;
    }
    const reply = dispatcher.requestResult(message).then((result) => {
      replies.delete(reply);
      respond(msg, result.ok ? result : { ok: false, error: packError(result.error) });
    });
    replies.add(reply);
  };
  const subscription: Subscription = nc.subscribe(subject, { queue, callback: onMessage });

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
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
  return { server, stop: () => (stopping ??= stop()) };
}
