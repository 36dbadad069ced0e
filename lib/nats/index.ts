/**
 * `spark-channel/nats`: modules served on a NATS subject, dispatchers for them and an event bus,
 * with the official client (`@nats-io/transport-node`, an optional peer dependency). The root
 * entry never reaches this file, and this entry never loads the client: you pass the connection.
 *
 * @module spark-channel/nats
 */
export type { NatsConnectionLike, NatsHeaders, NatsMsg, NatsSubscription } from './connection.js';
export { jsonCodec, type NatsCodec, NatsPayloadError, type WireError } from './codec.js';
export {
  natsDispatcher,
  type NatsDispatcher,
  type NatsDispatcherOptions,
  type NatsRequestOptions,
} from './nats-dispatcher.js';
export { serveModule, type ServedModule, type ServeModuleOptions } from './serve-module.js';
export type { DurableCommands, DurableMember, DurableMemberHost, DurableSender } from './durable-commands.js';
export { type DurableOutcome, DurableDelivery } from './durable-delivery.js';
export type { DurableEventHost, DurableEvents, DurableEventSubscription } from './durable-events.js';
export {
  natsEventBus,
  type NatsEventBus,
  type NatsEventBusOptions,
  type NatsEventConnection,
  type NatsEventMsg,
} from './nats-event-bus.js';
