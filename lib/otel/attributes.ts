// The attribute keys of the spans `openTelemetry()` records, named as OpenTelemetry's semantic
// conventions package names its own (`ATTR_…`), so a test or a backend query can refer to them
// without spelling the strings.

/** The module's name (the `name` option); absent when none was given. */
export const ATTR_SPARK_CHANNEL_MODULE = 'spark_channel.module';

/** `request` or `command`. */
export const ATTR_SPARK_CHANNEL_KIND = 'spark_channel.kind';

/** The message's number in its server, the same as in `server.events$`. */
export const ATTR_SPARK_CHANNEL_MESSAGE_ID = 'spark_channel.message_id';

/** The message's `type`, when it is an object with a string `type` (as typed modules' messages are). */
export const ATTR_SPARK_CHANNEL_MESSAGE_TYPE = 'spark_channel.message_type';

/** How the message ended: `ok`, `error`, `timeout` or `cancelled`. */
export const ATTR_SPARK_CHANNEL_OUTCOME = 'spark_channel.outcome';

/** The `SparkChannelError` code (`TIMEOUT`, `CANCELLED`, `RECEIVE_FAILED`, …), when the error was one. */
export const ATTR_SPARK_CHANNEL_ERROR_CODE = 'spark_channel.error_code';

/** Milliseconds from acceptance by the channel to the handler's start (on the module's clock). */
export const ATTR_SPARK_CHANNEL_QUEUED_MS = 'spark_channel.queued_ms';

/** Milliseconds the handler took (on the module's clock); absent when it never started. */
export const ATTR_SPARK_CHANNEL_HANDLING_MS = 'spark_channel.handling_ms';

/**
 * OpenTelemetry's general `error.type` (stable semantic convention), set on failed spans: the
 * `SparkChannelError` code, else the error's `name`, else `_OTHER`.
 */
export const ATTR_ERROR_TYPE = 'error.type';

/** The event bus's name (the `name` option of `openTelemetryEvents`); absent when none was given. */
export const ATTR_SPARK_CHANNEL_BUS = 'spark_channel.bus';

/** A delivery span's module subscriber: its number on the bus, in subscription order (as `CHANNEL_FULL` names it). */
export const ATTR_SPARK_CHANNEL_SUBSCRIBER = 'spark_channel.subscriber';

/** How a delivery to a module subscriber ended: `accepted`, `dropped`, `refused` or `failed`. */
export const ATTR_SPARK_CHANNEL_DELIVERY = 'spark_channel.delivery';

/** On a publish span: how many module subscribers the event was delivered to. */
export const ATTR_SPARK_CHANNEL_SUBSCRIBERS = 'spark_channel.subscribers';

/** OpenTelemetry's `messaging.system` (messaging semantic conventions): `spark_channel` on event spans. */
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';

/** OpenTelemetry's `messaging.operation.type`: `send` on a publish span, `process` on a delivery span. */
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';

/** OpenTelemetry's `messaging.operation.name`: `publish` or `deliver`. */
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';

/** OpenTelemetry's `messaging.destination.name`: the event's `type` (the bus's destination for it). */
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
