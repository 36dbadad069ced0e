/**
 * `spark-channel/nats/jetstream`: durable commands and events on NATS JetStream, for the
 * `durable` option of `serveModule`, `natsDispatcher` and `natsEventBus`, on the official `@nats-io/jetstream` client (an optional
 * peer dependency). Its own entry so that `spark-channel/nats` never loads that client: only
 * importing this entry does.
 *
 * @module spark-channel/nats/jetstream
 */
export { jetStreamCommands, type JetStreamCommandsOptions } from './jet-stream-commands.js';
export { jetStreamEvents, type JetStreamEventsOptions } from './jet-stream-events.js';
