// The attribute keys of the spans `openTelemetry()` records, named as OpenTelemetry's semantic
// conventions package names its own (`ATTR_…`), so a test or a backend query can refer to them
// without spelling the strings.

/**
 * The module's name (the `name` option); absent when none was given.
 *
 * @example
 * exporter.getFinishedSpans()[0]?.attributes[ATTR_SPARK_CHANNEL_MODULE]; // 'users', from openTelemetry({ name: 'users' })
 */
export const ATTR_SPARK_CHANNEL_MODULE = 'spark_channel.module';

/**
 * `request` or `command`.
 *
 * @example
 * await dispatcher.request({ type: 'GetData', key: 'user123' });
 * exporter.getFinishedSpans()[0]?.attributes[ATTR_SPARK_CHANNEL_KIND]; // 'request'
 */
export const ATTR_SPARK_CHANNEL_KIND = 'spark_channel.kind';

/**
 * The message's number in its server, the same as in `server.events$`.
 *
 * @example
 * exporter.getFinishedSpans()[0]?.attributes[ATTR_SPARK_CHANNEL_MESSAGE_ID]; // 1: the server's first message
 */
export const ATTR_SPARK_CHANNEL_MESSAGE_ID = 'spark_channel.message_id';

/**
 * The message's `type`, when it is an object with a string `type` (as typed modules' messages are).
 *
 * @example
 * await dispatcher.request({ type: 'GetData', key: 'user123' });
 * exporter.getFinishedSpans()[0]?.attributes[ATTR_SPARK_CHANNEL_MESSAGE_TYPE]; // 'GetData'
 */
export const ATTR_SPARK_CHANNEL_MESSAGE_TYPE = 'spark_channel.message_type';

/**
 * How the message ended: `ok`, `error`, `timeout` or `cancelled`.
 *
 * @example
 * exporter.getFinishedSpans()[0]?.attributes[ATTR_SPARK_CHANNEL_OUTCOME]; // 'ok' once the request resolved
 */
export const ATTR_SPARK_CHANNEL_OUTCOME = 'spark_channel.outcome';

/**
 * The `SparkChannelError` code (`TIMEOUT`, `CANCELLED`, `RECEIVE_FAILED`, …), when the error was one.
 *
 * @example
 * exporter.getFinishedSpans()[0]?.attributes[ATTR_SPARK_CHANNEL_ERROR_CODE]; // 'TIMEOUT' for a timed-out request
 */
export const ATTR_SPARK_CHANNEL_ERROR_CODE = 'spark_channel.error_code';

/**
 * Milliseconds from acceptance by the channel to the handler's start (on the module's clock).
 *
 * @example
 * const queuedMs = exporter.getFinishedSpans()[0]?.attributes[ATTR_SPARK_CHANNEL_QUEUED_MS]; // e.g. 0.4
 */
export const ATTR_SPARK_CHANNEL_QUEUED_MS = 'spark_channel.queued_ms';

/**
 * Milliseconds the handler took (on the module's clock); absent when it never started.
 *
 * @example
 * const handlingMs = exporter.getFinishedSpans()[0]?.attributes[ATTR_SPARK_CHANNEL_HANDLING_MS]; // e.g. 12.7
 */
export const ATTR_SPARK_CHANNEL_HANDLING_MS = 'spark_channel.handling_ms';

/**
 * OpenTelemetry's general `error.type` (stable semantic convention), set on failed spans: the
 * `SparkChannelError` code, else the error's `name`, else `_OTHER`.
 *
 * @example
 * exporter.getFinishedSpans()[0]?.attributes[ATTR_ERROR_TYPE]; // 'TIMEOUT', or 'TypeError' for a handler's TypeError
 */
export const ATTR_ERROR_TYPE = 'error.type';

/**
 * The event bus's name (the `name` option of `openTelemetryEvents`); absent when none was given.
 *
 * @example
 * exporter.getFinishedSpans()[0]?.attributes[ATTR_SPARK_CHANNEL_BUS]; // 'shop', from openTelemetryEvents({ name: 'shop' })
 */
export const ATTR_SPARK_CHANNEL_BUS = 'spark_channel.bus';

/**
 * A delivery span's module subscriber: its number on the bus, in subscription order (as `CHANNEL_FULL` names it).
 *
 * @example
 * const deliveries = exporter.getFinishedSpans().filter((span) => span.name === 'shop deliver OrderPlaced');
 * deliveries.map((span) => span.attributes[ATTR_SPARK_CHANNEL_SUBSCRIBER]); // [1, 2] for two module subscribers
 */
export const ATTR_SPARK_CHANNEL_SUBSCRIBER = 'spark_channel.subscriber';

/**
 * How a delivery to a module subscriber ended: `accepted`, `dropped`, `refused` or `failed`.
 *
 * @example
 * const delivery = exporter.getFinishedSpans().find((span) => span.name === 'shop deliver OrderPlaced');
 * delivery?.attributes[ATTR_SPARK_CHANNEL_DELIVERY]; // 'accepted'
 */
export const ATTR_SPARK_CHANNEL_DELIVERY = 'spark_channel.delivery';

/**
 * On a publish span: how many module subscribers the event was delivered to.
 *
 * @example
 * const publish = exporter.getFinishedSpans().find((span) => span.name === 'shop publish OrderPlaced');
 * publish?.attributes[ATTR_SPARK_CHANNEL_SUBSCRIBERS]; // 2 when two modules subscribe to OrderPlaced
 */
export const ATTR_SPARK_CHANNEL_SUBSCRIBERS = 'spark_channel.subscribers';

/**
 * OpenTelemetry's `messaging.system` (messaging semantic conventions): `spark_channel` on event spans.
 *
 * @example
 * exporter.getFinishedSpans()[0]?.attributes[ATTR_MESSAGING_SYSTEM]; // 'spark_channel' on a publish or delivery span
 */
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';

/**
 * OpenTelemetry's `messaging.operation.type`: `send` on a publish span, `process` on a delivery span.
 *
 * @example
 * const publish = exporter.getFinishedSpans().find((span) => span.name === 'shop publish OrderPlaced');
 * publish?.attributes[ATTR_MESSAGING_OPERATION_TYPE]; // 'send' ('process' on a delivery span)
 */
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';

/**
 * OpenTelemetry's `messaging.operation.name`: `publish` or `deliver`.
 *
 * @example
 * const delivery = exporter.getFinishedSpans().find((span) => span.name === 'shop deliver OrderPlaced');
 * delivery?.attributes[ATTR_MESSAGING_OPERATION_NAME]; // 'deliver' ('publish' on a publish span)
 */
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';

/**
 * OpenTelemetry's `messaging.destination.name`: the event's `type` (the bus's destination for it).
 *
 * @example
 * await bus.publish({ type: 'OrderPlaced', orderId: 'o-1', total: 20 });
 * exporter.getFinishedSpans()[0]?.attributes[ATTR_MESSAGING_DESTINATION_NAME]; // 'OrderPlaced'
 */
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';

/**
 * OpenTelemetry's `messaging.message.id`: the transport's id of the message, on wire spans whose
 * transport has one (a worker thread's task number; a JetStream message id).
 *
 * @example
 * const served = exporter.getFinishedSpans().find((span) => span.name === 'process hash.worker.mjs');
 * served?.attributes[ATTR_MESSAGING_MESSAGE_ID]; // '1': the pool's first task
 */
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';

/**
 * The messaging conventions' counter of messages a client sent (`{message}`), recorded by
 * `openTelemetryMetrics()` once per message the module's channel was handed.
 *
 * @example
 * const sent = metrics.find((metric) => metric.descriptor.name === METRIC_MESSAGING_CLIENT_SENT_MESSAGES);
 */
export const METRIC_MESSAGING_CLIENT_SENT_MESSAGES = 'messaging.client.sent.messages';

/**
 * The messaging conventions' histogram of handling time (seconds), recorded by
 * `openTelemetryMetrics()` once per message whose handler ran.
 *
 * @example
 * const handling = metrics.find((metric) => metric.descriptor.name === METRIC_MESSAGING_PROCESS_DURATION);
 */
export const METRIC_MESSAGING_PROCESS_DURATION = 'messaging.process.duration';

/**
 * The messaging conventions' histogram of a client operation's duration (seconds): for a request,
 * acceptance by the channel to its settlement (queue wait plus handling), recorded by
 * `openTelemetryMetrics()`.
 *
 * @example
 * const roundTrip = metrics.find((metric) => metric.descriptor.name === METRIC_MESSAGING_CLIENT_OPERATION_DURATION);
 */
export const METRIC_MESSAGING_CLIENT_OPERATION_DURATION = 'messaging.client.operation.duration';

/**
 * An observable gauge of `openTelemetryMetrics()`: messages accepted by the channel and not yet
 * started (`server.stats().queued`). Not in the conventions, hence the library's namespace.
 *
 * @example
 * const depth = metrics.find((metric) => metric.descriptor.name === METRIC_SPARK_CHANNEL_QUEUE_DEPTH);
 */
export const METRIC_SPARK_CHANNEL_QUEUE_DEPTH = 'spark_channel.queue.depth';

/**
 * An observable gauge of `openTelemetryMetrics()`: handlers running now (`server.stats().running`).
 *
 * @example
 * const running = metrics.find((metric) => metric.descriptor.name === METRIC_SPARK_CHANNEL_IN_FLIGHT);
 */
export const METRIC_SPARK_CHANNEL_IN_FLIGHT = 'spark_channel.in_flight';
