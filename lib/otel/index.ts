// `spark-channel/otel`: OpenTelemetry tracing for module servers and event buses, through their
// option `instrument`. Only this entry imports `@opentelemetry/api` (an optional peer dependency); the
// root entry never reaches it.
export {
  ATTR_ERROR_TYPE,
  ATTR_MESSAGING_DESTINATION_NAME,
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
} from './attributes.js';
export { openTelemetry, type OpenTelemetryOptions, type TracedMessageKind } from './open-telemetry.js';
export {
  type EventBusTracing,
  openTelemetryEvents,
  type OpenTelemetryEventsOptions,
} from './open-telemetry-events.js';
