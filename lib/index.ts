/**
 * `spark-channel`: typed modules (`createRouter` + `spawnTypedModule`), module servers with an
 * ordered mailbox, dispatchers sending requests, commands and shutdowns, the event bus, and the
 * library's errors and results. Needs only `rxjs`.
 *
 * @module spark-channel
 */
export { CallbackWrapper, type CallbackSender } from './callback-wrapper.js';
export { SparkChannelCancellationToken, type SparkChannelCancellationTrait } from './cancellation-token.js';
export {
  type DispatcherOptions,
  type RequestOptions,
  type ResponseGuard,
  SparkGenericModuleDispatcher,
} from './dispatcher.js';
export type { HandlerContext, SparkGenericModuleHandler } from './handler.js';
export { ModuleChannel } from './module-channel.js';
export { SparkGenericModuleMessage } from './module-message.js';
export type { ClockOptions } from './clock-options.js';
export {
  type DrainReport,
  type ModuleError,
  type ModuleServer,
  type ModuleServerLogger,
  type ModuleServerOptions,
  type ModuleServerStats,
} from './module-server-types.js';
export { runModuleServer } from './run-module-server.js';
export {
  err,
  intoResult,
  type IntoResult,
  isErr,
  isOk,
  ok,
  type Result,
  resultFrom,
  tryResult,
  unwrap,
  unwrapOr,
} from './result.js';
export { spawnModule, type SpawnedModule, type SpawnModuleOptions } from './spawn-module.js';
export { isSparkChannelError, SparkChannelError, type SparkChannelErrorCode } from './spark-channel-error.js';
export {
  type CommandRouteHandler,
  createRouter,
  type DefinitionRoutes,
  type RequestRouteHandler,
  type Route,
  type Routes,
  type TypedRouter,
} from './create-router.js';
export { mergeErrors, type ModuleErrorOf } from './merge-errors.js';
export type {
  CommandDefinition,
  CommandOf,
  CommandType,
  MessageOf,
  ModuleDefinition,
  RequestDefinition,
  RequestOf,
  RequestType,
  ResponseOf,
} from './module-definition.js';
export { commandVia, type PassThrough } from './operators/command-via.js';
export {
  type PipelineRequestOptions,
  type RequestStrategy,
  requestVia,
  type RequestViaOptions,
} from './operators/request-via.js';
export { spawnTypedModule, type SpawnedTypedModule } from './spawn-typed-module.js';
export { TypedDispatcher } from './typed-dispatcher.js';
export type { DeadLetter, DeadLetterReason } from './dead-letter.js';
export type {
  MessageAcceptedEvent,
  MessageEvent,
  MessageEventBase,
  MessageOutcome,
  MessageSettledEvent,
  MessageStartedEvent,
  ModuleEvent,
  ModuleRestartedEvent,
  ModuleStoppedEvent,
} from './module-event.js';
export type {
  InstrumentedMessage,
  InstrumentedSettlement,
  ModuleInstrumentation,
} from './module-instrumentation.js';
export { NoRouteError } from './no-route-error.js';
export { type RestartPolicy, supervise, SupervisedHandler } from './supervise.js';
export {
  createEventBus,
  type EventBus,
  type EventBusOptions,
  type EventMap,
  type EventOf,
  type EventOverflow,
} from './event-bus.js';
export type {
  DeliveryOutcome,
  DeliveryReport,
  EventBusInstrumentation,
  PublishTrace,
} from './event-bus-instrumentation.js';
export type { WireHeaderGetter, WireHeaderSetter, WireOperation, WireTracing } from './wire-tracing.js';
export { saga, type SagaOptions } from './saga.js';
