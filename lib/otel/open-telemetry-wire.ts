import {
  type Attributes,
  type Context,
  context,
  diag,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type TextMapGetter,
  type TextMapSetter,
  trace,
  type Tracer,
} from '@opentelemetry/api';

import { checkOptions, describe } from '../internal/validate.js';
import { isSparkChannelError } from '../spark-channel-error.js';
import type { WireHeaderGetter, WireHeaderSetter, WireOperation, WireTracing } from '../wire-tracing.js';
import {
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_SPARK_CHANNEL_ERROR_CODE,
  ATTR_SPARK_CHANNEL_KIND,
} from './attributes.js';
import { failSpan } from './span-error.js';
import { TRACER_NAME, TRACER_VERSION } from './version.js';

/**
 * Options of {@link openTelemetryWire}.
 *
 * @example
 * const options: OpenTelemetryWireOptions = { tracer: provider.getTracer('billing') };
 * const tracing = openTelemetryWire(options);
 */
export interface OpenTelemetryWireOptions {
  /** Where the spans go. By default the globally registered provider's `spark-channel` tracer. */
  tracer?: Tracer;
}

// W3C allows vendors to drop a tracestate beyond 512 characters, and a traceparent is 55: a
// longer header value came from a peer we will not parse, so it reads as absent (a new trace).
const MAX_HEADER_LENGTH = 512;

// One setter and one getter for every message: the carrier is the transport's own function.
const SETTER: TextMapSetter<WireHeaderSetter> = {
  set: (set, key, value) => set(key, value),
};
const GETTER: TextMapGetter<WireHeaderGetter> = {
  get: (get, key) => {
    const value = get(key);
    return typeof value === 'string' && value.length <= MAX_HEADER_LENGTH ? value : undefined;
  },
  // The W3C propagator asks for the keys it knows; a transport cannot list its headers cheaply.
  keys: () => [],
};

/** A wire span and the context it is active in. */
class WireSpan {
  constructor(
    readonly span: Span,
    readonly context: Context,
  ) {}
}

/**
 * Carries one trace across NATS and worker threads, following the OpenTelemetry messaging
 * semantic conventions: pass the result as the option `tracing` of `natsDispatcher`,
 * `serveModule`, `natsEventBus` and `spawnWorkerModule` (and export it as `tracing` from a worker's
 * handler file), on both sides.
 *
 * The sending side gets a span `send <destination>` (kind CLIENT for a request, from the send to
 * its answer; PRODUCER for a command or an event, until it left), parented to the active context,
 * whose context is written into the message with the globally registered propagator
 * (`propagation.inject`: W3C `traceparent` / `tracestate` with the SDK's default). The receiving
 * side reads it back (`propagation.extract`) and gets a span `process <destination>` (SERVER for a
 * request, until it was answered; CONSUMER for a command or an event, until the module took it),
 * a child of the sending span: one trace id from caller to handler. A module traced with
 * `openTelemetry()` has its own span as a child of that one.
 *
 * A missing, malformed or oversized (over 512 characters) header starts a new trace: it never
 * fails the message. A failed send or handler ends the span with status ERROR and `error.type`.
 *
 * @throws TypeError naming `options` or `tracer` when it is not usable.
 *
 * @example
 * const tracing = openTelemetryWire();
 * const served = serveModule(nc, 'users', new UserHandler(), { tracing, instrument: openTelemetry({ name: 'users' }) });
 * const users = natsDispatcher<UserMessage, User>(nc, 'users', { tracing, headers }); // headers from @nats-io/transport-node
 */
export function openTelemetryWire(options?: OpenTelemetryWireOptions): WireTracing {
  checkOptions('options', options);
  const tracer = options?.tracer;
  if (tracer !== undefined && typeof (tracer as Partial<Tracer> | null)?.startSpan !== 'function') {
    throw new TypeError(
      `Expected \`tracer\` to be an OpenTelemetry Tracer (startSpan()), got ${describe(tracer)}`,
    );
  }
  const spans = tracer ?? trace.getTracer(TRACER_NAME, TRACER_VERSION);

  const start = (operation: WireOperation, phase: 'send' | 'process', parent: Context): WireSpan => {
    const { system, kind, destination, id } = operation;
    const attributes: Attributes = {
      [ATTR_MESSAGING_SYSTEM]: system,
      [ATTR_MESSAGING_DESTINATION_NAME]: destination,
      [ATTR_MESSAGING_OPERATION_TYPE]: phase,
      [ATTR_MESSAGING_OPERATION_NAME]: phase,
      [ATTR_SPARK_CHANNEL_KIND]: kind,
    };
    if (id !== undefined) attributes[ATTR_MESSAGING_MESSAGE_ID] = id;
    const request = kind === 'request';
    const spanKind =
      phase === 'send'
        ? request
          ? SpanKind.CLIENT
          : SpanKind.PRODUCER
        : request
          ? SpanKind.SERVER
          : SpanKind.CONSUMER;
    const span = spans.startSpan(`${phase} ${destination}`, { kind: spanKind, attributes }, parent);
    return new WireSpan(span, trace.setSpan(parent, span));
  };

  const end = (state: unknown, ok: boolean, error: unknown): void => {
    if (!(state instanceof WireSpan)) return;
    // A cancelled message is one its caller no longer wanted: recorded, not an error (as on
    // module spans).
    if (!ok && isSparkChannelError(error) && error.code === 'CANCELLED') {
      state.span.setAttribute(ATTR_SPARK_CHANNEL_ERROR_CODE, error.code);
    } else if (!ok) {
      failSpan(state.span, error);
    }
    state.span.end();
  };

  return Object.freeze({
    send: (operation: WireOperation, set: WireHeaderSetter): WireSpan => {
      const sending = start(operation, 'send', context.active());
      try {
        propagation.inject(sending.context, set, SETTER);
      } catch (error: unknown) {
        diag.error('spark-channel/otel: the trace context could not be written into the message', error);
      }
      return sending;
    },
    sent: (state: unknown, ok: boolean, error?: unknown): void => end(state, ok, error),
    receive: (operation: WireOperation, get: WireHeaderGetter): WireSpan => {
      // The context active in a transport's callback belongs to whoever woke it, not to the
      // sender: the parent is what the message says, or nothing.
      let parent = ROOT_CONTEXT;
      try {
        parent = propagation.extract(ROOT_CONTEXT, get, GETTER);
      } catch (error: unknown) {
        diag.error('spark-channel/otel: the trace context of a received message could not be read', error);
      }
      return start(operation, 'process', parent);
    },
    run: <T>(state: unknown, handle: () => T): T =>
      state instanceof WireSpan ? context.with(state.context, handle) : handle(),
    received: (state: unknown, ok: boolean, error?: unknown): void => end(state, ok, error),
  });
}
