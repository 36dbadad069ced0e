import {
  type Attributes,
  type Context,
  context,
  diag,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';

import { checkOptions, describe } from '../internal/validate.js';
import type {
  InstrumentedMessage,
  InstrumentedSettlement,
  ModuleInstrumentation,
} from '../module-instrumentation.js';
import { isSparkChannelError } from '../spark-channel-error.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_SPARK_CHANNEL_ERROR_CODE,
  ATTR_SPARK_CHANNEL_HANDLING_MS,
  ATTR_SPARK_CHANNEL_KIND,
  ATTR_SPARK_CHANNEL_MESSAGE_ID,
  ATTR_SPARK_CHANNEL_MESSAGE_TYPE,
  ATTR_SPARK_CHANNEL_MODULE,
  ATTR_SPARK_CHANNEL_OUTCOME,
  ATTR_SPARK_CHANNEL_QUEUED_MS,
} from './attributes.js';
import { TRACER_NAME, TRACER_VERSION } from './version.js';

/**
 * The kind of a traced message.
 *
 * @example
 * const spanName = (message: { type: string }, kind: TracedMessageKind) => `users ${kind} ${message.type}`;
 */
export type TracedMessageKind = InstrumentedMessage<unknown>['kind'];

/**
 * Options of {@link openTelemetry}; `M` types the message the callbacks receive.
 *
 * @example
 * const options: OpenTelemetryOptions<{ type: string; key: string }> = {
 *   name: 'users',
 *   attributes: (message) => ({ 'app.user_key': message.key }),
 * };
 */
export interface OpenTelemetryOptions<M = unknown> {
  /**
   * The module's name: the first word of span names (`users request GetData`) and the attribute
   * `spark_channel.module`. Without it spans are named `spark-channel request GetData` and carry
   * no module attribute.
   */
  name?: string;
  /**
   * Where the spans go. By default `trace.getTracer('spark-channel', version)`: the globally
   * registered provider's tracer (a no-op until one is registered).
   */
  tracer?: Tracer;
  /**
   * Extra attributes for a message's span, set when the span starts, so samplers see them. The
   * library's own `spark_channel.*` attributes win over keys of the same name. A throw is
   * reported to OpenTelemetry's `diag` logger and the span goes on without them.
   */
  // Method syntax on purpose: options typed for one message type stay assignable to another's.
  attributes?(this: void, message: M, kind: TracedMessageKind): Attributes;
  /**
   * The span's name, instead of `<name> <kind> <type>`. Keep it low-cardinality (no ids or keys:
   * those belong in `attributes`). A throw or a result that is not a non-empty string is reported
   * to `diag` and the default name is used.
   */
  spanName?(this: void, message: M, kind: TracedMessageKind): string;
}

/** A message's span, and the context its handler runs in (the caller's, with the span active). */
class TracedMessage {
  started = false;

  constructor(
    readonly span: Span,
    readonly context: Context,
    readonly message: unknown,
  ) {}
}

/**
 * Traces a module server with OpenTelemetry: pass the result as the server option `instrument`
 * (`runModuleServer`, `spawnModule`, `spawnTypedModule`).
 *
 * Each request and command gets one span of kind INTERNAL, from its send to its settlement
 * (waiting for room and queueing included), parented to the context active where it was sent,
 * and active while its handler runs, so the handler's own spans and requests to other modules
 * are its children. A failed or timed-out message ends with status ERROR, its exception and, for
 * the library's own errors, `spark_channel.error_code`; a cancelled one keeps status UNSET.
 *
 * The active context follows the handler across `await` only where a context manager is
 * registered (the Node SDK registers an AsyncLocalStorage one).
 *
 * @throws TypeError naming `options`, `name`, `tracer`, `attributes` or `spanName` when it is not usable.
 *
 * @example
 * const { dispatcher } = spawnModule(new UsersHandler(), { instrument: openTelemetry({ name: 'users' }) });
 * await dispatcher.request({ type: 'GetData', key: 'user123' }); // span "users request GetData"
 */
export function openTelemetry<M = unknown>(options?: OpenTelemetryOptions<M>): ModuleInstrumentation<M> {
  checkOptions('options', options);
  const { name, tracer, attributes, spanName } = options ?? {};
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw new TypeError(`Expected \`name\` to be a non-empty string, got ${describe(name)}`);
  }
  if (tracer !== undefined && typeof (tracer as Partial<Tracer> | null)?.startSpan !== 'function') {
    throw new TypeError(
      `Expected \`tracer\` to be an OpenTelemetry Tracer (startSpan()), got ${describe(tracer)}`,
    );
  }
  for (const [option, value] of [
    ['attributes', attributes],
    ['spanName', spanName],
  ] as const) {
    if (value !== undefined && typeof value !== 'function') {
      throw new TypeError(`Expected \`${option}\` to be a function, got ${describe(value)}`);
    }
  }
  // Looked up once: before a provider is registered this is a proxy that delegates to it later.
  const spans = tracer ?? trace.getTracer(TRACER_NAME, TRACER_VERSION);
  const prefix = name ?? TRACER_NAME;

  const start = (sent: InstrumentedMessage<M>, parent: Context): TracedMessage => {
    const { kind, message } = sent;
    const type = typeOf(message);
    const own: Attributes = { [ATTR_SPARK_CHANNEL_KIND]: kind, [ATTR_SPARK_CHANNEL_MESSAGE_ID]: sent.id };
    if (name !== undefined) own[ATTR_SPARK_CHANNEL_MODULE] = name;
    if (type !== undefined) own[ATTR_SPARK_CHANNEL_MESSAGE_TYPE] = type;
    const extra = attributes === undefined ? undefined : userAttributes(attributes, message, kind);
    const span = spans.startSpan(
      (spanName === undefined ? undefined : userSpanName(spanName, message, kind)) ??
        (type === undefined ? `${prefix} ${kind}` : `${prefix} ${kind} ${type}`),
      { kind: SpanKind.INTERNAL, attributes: extra === undefined ? own : { ...extra, ...own } },
      parent,
    );
    return new TracedMessage(span, trace.setSpan(parent, span), message);
  };

  // A message sent before the server started had no `sent`: its span begins when it starts (or
  // settles, if it never does), as a new trace, because whatever context is active then belongs
  // to whoever woke the server, not to the sender. Kept by id, with the
  // message itself to tell apart two servers sharing this instrumentation.
  const unsent = new Map<number, TracedMessage>();
  const stateOf = (state: unknown, { id, message }: InstrumentedMessage<M>): TracedMessage | undefined => {
    if (state instanceof TracedMessage) return state;
    const traced = unsent.get(id);
    return traced !== undefined && Object.is(traced.message, message) ? traced : undefined;
  };

  return Object.freeze({
    sent: (message: InstrumentedMessage<M>): TracedMessage => start(message, context.active()),
    run: <T>(state: unknown, message: InstrumentedMessage<M>, handle: () => T): T => {
      let traced = stateOf(state, message);
      if (traced === undefined) unsent.set(message.id, (traced = start(message, ROOT_CONTEXT)));
      // A server may enter the message's context more than once (the handler call, then the
      // subscription to the observable it returned): one `started` event.
      if (!traced.started) {
        traced.started = true;
        traced.span.addEvent('started');
      }
      return context.with(traced.context, handle);
    },
    settled: (state: unknown, message: InstrumentedMessage<M>, settlement: InstrumentedSettlement): void => {
      const traced = stateOf(state, message);
      if (traced === undefined) return end(start(message, ROOT_CONTEXT).span, settlement);
      if (!(state instanceof TracedMessage)) unsent.delete(message.id);
      end(traced.span, settlement);
    },
  });
}

function end(span: Span, { outcome, error, queuedMs, handlingMs }: InstrumentedSettlement): void {
  if (span.isRecording()) {
    span.setAttribute(ATTR_SPARK_CHANNEL_OUTCOME, outcome);
    if (queuedMs !== undefined) span.setAttribute(ATTR_SPARK_CHANNEL_QUEUED_MS, queuedMs);
    if (handlingMs !== undefined) span.setAttribute(ATTR_SPARK_CHANNEL_HANDLING_MS, handlingMs);
    const code = isSparkChannelError(error) ? error.code : undefined;
    if (code !== undefined) span.setAttribute(ATTR_SPARK_CHANNEL_ERROR_CODE, code);
    // A cancelled message is one its caller no longer wanted (an abort, a superseded switch
    // request): recorded, but not an error of the module's.
    if (outcome === 'error' || outcome === 'timeout') {
      span.setAttribute(ATTR_ERROR_TYPE, code ?? (error instanceof Error ? error.name : '_OTHER'));
      if (error instanceof Error || typeof error === 'string') span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
    }
  }
  span.end();
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : `${describe(error)} was thrown`;
}

function typeOf(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { type } = message as { type?: unknown };
  return typeof type === 'string' ? type : undefined;
}

function userAttributes<M>(
  attributes: (message: M, kind: TracedMessageKind) => Attributes,
  message: M,
  kind: TracedMessageKind,
): Attributes | undefined {
  try {
    const extra = attributes(message, kind) as unknown;
    if (typeof extra === 'object' && extra !== null) return extra as Attributes;
    diag.error(`spark-channel/otel: attributes() returned ${describe(extra)}, not an object; ignored`);
  } catch (error: unknown) {
    diag.error('spark-channel/otel: attributes() threw; the span goes on without them', error);
  }
  return undefined;
}

function userSpanName<M>(
  spanName: (message: M, kind: TracedMessageKind) => string,
  message: M,
  kind: TracedMessageKind,
): string | undefined {
  try {
    const custom = spanName(message, kind) as unknown;
    if (typeof custom === 'string' && custom !== '') return custom;
    diag.error(
      `spark-channel/otel: spanName() returned ${describe(custom)}, not a non-empty string; ignored`,
    );
  } catch (error: unknown) {
    diag.error('spark-channel/otel: spanName() threw; the default name is used', error);
  }
  return undefined;
}
