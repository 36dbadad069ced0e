// The seam between `spark-channel/nats` and a durable transport for commands. This file holds
// types only: `serveModule` and `natsDispatcher` call a `DurableCommands` they are given, so the
// `spark-channel/nats` entry never loads a JetStream client. `jetStreamCommands()` from
// `spark-channel/nats/jetstream` makes the one implementation there is.
import type { Observable } from 'rxjs';

import type { DeadLetter } from '../dead-letter.js';
import type { NatsConnectionLike, NatsHeaders } from './connection.js';
import type { DurableDelivery } from './durable-delivery.js';

/**
 * A durable transport for commands, given as the `durable` option of `serveModule` and
 * `natsDispatcher` (the same object, or one made with the same options, on both sides). Made by
 * `jetStreamCommands()` of `spark-channel/nats/jetstream`; you do not call its methods yourself.
 *
 * @example
 * const durable: DurableCommands = jetStreamCommands({ ackWaitMs: 10_000, maxDeliver: 5 });
 * const served = serveModule(nc, 'orders', new OrderHandler(), { durable });
 * const orders = natsDispatcher<OrderMessage, Order>(nc, 'orders', { durable });
 */
export interface DurableCommands {
  /** Opens the sending side for the module served on `subject`; `natsDispatcher` calls it once. */
  openSender(nc: NatsConnectionLike, subject: string): DurableSender;
  /** Starts consuming the module's durable commands; `serveModule` calls it once per member. */
  openMember(host: DurableMemberHost): DurableMember;
}

/**
 * The sending side of a {@link DurableCommands}, as `natsDispatcher` uses it.
 *
 * @example
 * const sender: DurableSender = durable.openSender(nc, 'orders');
 * await sender.send(order, jsonCodec.encode(order)); // resolves once the stream stored it
 */
export interface DurableSender {
  /** Stores the encoded command; rejects with `SEND_FAILED` when it could not be stored. */
  /** `headers`: the trace context of a traced send (the client's header object), stored with it. */
  send(message: unknown, payload: Uint8Array, headers?: NatsHeaders): Promise<void>;
}

/**
 * What `serveModule` hands a {@link DurableCommands} for one member.
 *
 * @example
 * const member = durable.openMember({ nc, subject: 'orders', queue: 'orders', decode, deliver, log });
 */
export interface DurableMemberHost {
  readonly nc: NatsConnectionLike;
  /** The module's subject, as given to `serveModule`. */
  readonly subject: string;
  /** The member's queue group: the members of one group share one durable consumer. */
  readonly queue: string;
  /**
   * Decodes a stored command as `serveModule` does a core message: its wire version checked from
   * `headers`, then its payload.
   */
  decode(data: Uint8Array, headers: NatsHeaders | undefined): unknown;
  /** Puts a delivery into the member's module mailbox (waits while it is full); rejects once it stopped. */
  deliver(delivery: DurableDelivery, headers: NatsHeaders | undefined): Promise<void>;
  /** Logs a failure that has nobody else to go to (never throws). */
  log(text: string, error: unknown): void;
}

/**
 * A running durable member, as `serveModule` holds it.
 *
 * @example
 * const member = durable.openMember(host);
 * await member.ready; // consuming
 * member.deadLetters$.subscribe((letter) => console.warn('gave up on', letter.message));
 * await member.stop();
 */
export interface DurableMember {
  /** Resolves once the member consumes; rejects with `RECEIVE_FAILED` when it cannot. */
  readonly ready: Promise<void>;
  /** Commands given up on (`reason: 'policy'`): delivered `maxDeliver` times, or undecodable. */
  readonly deadLetters$: Observable<DeadLetter<unknown>>;
  /** Stops pulling, lets the deliveries in hand settle (and be acked), then resolves. */
  stop(): Promise<void>;
}
