/**
 * `spark-channel/otel`: OpenTelemetry tracing for module servers and event buses (their option
 * `instrument`), across NATS and worker threads (the option `tracing`), and metrics from a
 * module's `events$`. Only this entry imports `@opentelemetry/api` (an optional peer
 * dependency); the root entry never reaches it.
 *
 * @module spark-channel/otel
 */
export {
  ATTR_ERROR_TYPE,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_SPARK_CHANNEL_BUS,
  ATTR_SPARK_CHANNEL_DELIVERY,
  ATTR_SPARK_CHANNEL_ERROR_CODE,
  ATTR_SPARK_CHANNEL_HANDLING_MS,
  ATTR_SPARK_CHANNEL_KIND,
  ATTR_SPARK_CHANNEL_MESSAGE_ID,
  ATTR_SPARK_CHANNEL_MESSAGE_TYPE,
  ATTR_SPARK_CHANNEL_MODULE,
  ATTR_SPARK_CHANNEL_OUTCOME,
  ATTR_SPARK_CHANNEL_QUEUED_MS,
  ATTR_SPARK_CHANNEL_SUBSCRIBER,
  ATTR_SPARK_CHANNEL_SUBSCRIBERS,
  METRIC_MESSAGING_CLIENT_OPERATION_DURATION,
  METRIC_MESSAGING_CLIENT_SENT_MESSAGES,
  METRIC_MESSAGING_PROCESS_DURATION,
  METRIC_SPARK_CHANNEL_IN_FLIGHT,
  METRIC_SPARK_CHANNEL_QUEUE_DEPTH,
} from './attributes.js';
export { openTelemetry, type OpenTelemetryOptions, type TracedMessageKind } from './open-telemetry.js';
export {
  type EventBusTracing,
  openTelemetryEvents,
  type OpenTelemetryEventsOptions,
} from './open-telemetry-events.js';
export { openTelemetryWire, type OpenTelemetryWireOptions } from './open-telemetry-wire.js';
export {
  openTelemetryMetrics,
  type OpenTelemetryMetrics,
  type OpenTelemetryMetricsOptions,
} from './open-telemetry-metrics.js';
