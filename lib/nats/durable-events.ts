// The seam between natsEventBus and a durable transport for events: types only, so that
// `spark-channel/nats` never loads a JetStream client. `jetStreamEvents()` from
// `spark-channel/nats/jetstream` makes the one implementation there is.
import type { NatsHeaders } from './connection.js';

/**
 * A durable transport for events, given as the `durable` option of `natsEventBus`. Made by
 * `jetStreamEvents()` of `spark-channel/nats/jetstream`; you do not call its methods yourself.
 *
 * @example
 * const durable: DurableEvents = jetStreamEvents({ consumer: 'billing' });
 * const bus = natsEventBus<ShopEvents>(nc, { prefix: 'shop', durable });
 */
export interface DurableEvents {
  /**
   * Stores an encoded event on `subject`; rejects with `SEND_FAILED` when it could not be stored.
   * `headers`: the trace context of a traced publish (the client's header object), stored with it.
   */
  publish(
    nc: object,
    prefix: string,
    subject: string,
    payload: Uint8Array,
    headers?: NatsHeaders,
  ): Promise<void>;
  /** Starts the bus's durable subscription to `<prefix>.>`; the bus calls it once. */
  subscribe(host: DurableEventHost): DurableEventSubscription;
}

/**
 * What `natsEventBus` hands a {@link DurableEvents} for its subscription.
 *
 * @example
 * const subscription = durable.subscribe({ nc, prefix: 'shop', queue: 'billing', deliver, log });
 */
export interface DurableEventHost {
  readonly nc: object;
  readonly prefix: string;
  /** The bus's queue group, if any: the default name of its durable consumer. */
  readonly queue: string | undefined;
  /**
   * Hands an event to the bus's local subscribers; resolves once they all accepted it (or it was
   * refused and reported). `headers`: those stored with it (its wire version, its trace context).
   */
  deliver(subject: string, data: Uint8Array, headers?: NatsHeaders): Promise<void>;
  /** Logs a failure that has nobody else to go to (never throws). */
  log(text: string, error: unknown): void;
}

/**
 * A running durable subscription, as `natsEventBus` holds it.
 *
 * @example
 * const subscription = durable.subscribe(host);
 * await subscription.ready;
 * await subscription.stop();
 */
export interface DurableEventSubscription {
  /** Resolves once the consumer pulls; rejects with `RECEIVE_FAILED` when it cannot. */
  readonly ready: Promise<void>;
  /** Stops pulling; events taken and not yet accepted are given back. */
  stop(): Promise<void>;
}
