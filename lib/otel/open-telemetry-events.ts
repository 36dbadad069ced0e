import {
  type Attributes,
  context,
  diag,
  type Link,
  type Span,
  SpanKind,
  trace,
  type Tracer,
} from '@opentelemetry/api';

import type { EventMap, EventOf } from '../event-bus.js';
import type {
  DeliveryOutcome,
  DeliveryReport,
  EventBusInstrumentation,
  PublishTrace,
} from '../event-bus-instrumentation.js';
import { checkOptions, describe } from '../internal/validate.js';
import { isSparkChannelError } from '../spark-channel-error.js';
import {
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_SPARK_CHANNEL_BUS,
  ATTR_SPARK_CHANNEL_DELIVERY,
  ATTR_SPARK_CHANNEL_ERROR_CODE,
  ATTR_SPARK_CHANNEL_MESSAGE_TYPE,
  ATTR_SPARK_CHANNEL_SUBSCRIBER,
  ATTR_SPARK_CHANNEL_SUBSCRIBERS,
} from './attributes.js';
import { failSpan } from './span-error.js';
import { TRACER_NAME, TRACER_VERSION } from './version.js';

/**
 * Options of {@link openTelemetryEvents}; `Ev` types the event the `attributes` callback receives.
 *
 * @example
 * const options: OpenTelemetryEventsOptions<ShopEvents> = {
 *   name: 'shop',
 *   attributes: (event) => ({ 'app.order_id': event.orderId }),
 * };
 */
export interface OpenTelemetryEventsOptions<Ev extends EventMap = EventMap> {
  /**
   * The bus's name: the first word of span names (`shop publish OrderPlaced`) and the attribute
   * `spark_channel.bus`. Without it spans are named `spark-channel publish OrderPlaced`.
   */
  name?: string;
  /** Where the spans go. By default the globally registered provider's `spark-channel` tracer. */
  tracer?: Tracer;
  /**
   * Extra attributes for an event's publish and delivery spans, set when they start. The
   * library's own attributes win over keys of the same name. A throw is reported to
   * OpenTelemetry's `diag` logger and the spans go on without them.
   */
  // Method syntax on purpose: options typed for one event map stay assignable to another's.
  attributes?(this: void, event: EventOf<Ev>): Attributes;
}

/**
 * What `createEventBus({ instrument })` takes: the value {@link openTelemetryEvents} returns.
 *
 * @example
 * const tracing: EventBusTracing = openTelemetryEvents<ShopEvents>({ name: 'shop' });
 * const bus = createEventBus<ShopEvents>({ instrument: tracing });
 */
export type EventBusTracing = EventBusInstrumentation;

/**
 * Traces an event bus with OpenTelemetry, following the messaging semantic conventions: pass the
 * result as the `instrument` option of `createEventBus`.
 *
 * Each publish gets a span of kind PRODUCER (`<name> publish <type>`), parented to the context
 * active where `publish` was called, from the call until every module subscriber's channel took
 * the event (when `publish` resolves), with `spark_channel.subscribers` the number of module
 * subscribers it went to. Each delivery to a module subscriber gets a span of kind CONSUMER
 * (`<name> deliver <type>`), a child of the publish span that also links to it (the creation
 * context), from the delivery until the module's channel took the event (waiting for room
 * included), dropped it or refused it (`spark_channel.delivery`). The module's own command span,
 * when the module is traced with `openTelemetry()`, is a child of the delivery span, so its
 * handler's work is in the publisher's trace. RxJS observers get no span of their own: they run
 * inside the publish span's context.
 *
 * A refused or failed delivery ends with status ERROR; a dropped one (a drop policy chose it)
 * keeps status UNSET, with `spark_channel.error_code: CHANNEL_FULL`.
 *
 * @throws TypeError naming `options`, `name`, `tracer` or `attributes` when it is not usable.
 *
 * @example
 * const bus = createEventBus<ShopEvents>({ instrument: openTelemetryEvents({ name: 'shop' }) });
 * await bus.publish({ type: 'OrderPlaced', orderId: 'o-1', total: 20 }); // span "shop publish OrderPlaced"
 */
export function openTelemetryEvents<Ev extends EventMap = EventMap>(
  options?: OpenTelemetryEventsOptions<Ev>,
): EventBusTracing {
  checkOptions('options', options);
  const { name, tracer, attributes } = options ?? {};
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw new TypeError(`Expected \`name\` to be a non-empty string, got ${describe(name)}`);
  }
  if (tracer !== undefined && typeof (tracer as Partial<Tracer> | null)?.startSpan !== 'function') {
    throw new TypeError(
      `Expected \`tracer\` to be an OpenTelemetry Tracer (startSpan()), got ${describe(tracer)}`,
    );
  }
  if (attributes !== undefined && typeof attributes !== 'function') {
    throw new TypeError(`Expected \`attributes\` to be a function, got ${describe(attributes)}`);
  }
  const spans = tracer ?? trace.getTracer(TRACER_NAME, TRACER_VERSION);
  const prefix = name ?? TRACER_NAME;

  const publish = (event: object, type: string): PublishTrace => {
    const base: Attributes = {
      [ATTR_MESSAGING_SYSTEM]: 'spark_channel',
      [ATTR_MESSAGING_DESTINATION_NAME]: type,
      [ATTR_SPARK_CHANNEL_MESSAGE_TYPE]: type,
    };
    if (name !== undefined) base[ATTR_SPARK_CHANNEL_BUS] = name;
    const extra = attributes === undefined ? undefined : userAttributes(attributes, event as EventOf<Ev>);
    const parent = context.active();
    const span = spans.startSpan(
      `${prefix} publish ${type}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          ...extra,
          ...base,
          [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
          [ATTR_MESSAGING_OPERATION_NAME]: 'publish',
        },
      },
      parent,
    );
    const published = trace.setSpan(parent, span);
    const links: Link[] = [{ context: span.spanContext() }];
    let subscribers = 0;
    return {
      run: (deliver) => context.with(published, deliver),
      deliver: <T>(id: number, deliver: (report: DeliveryReport) => T): T => {
        subscribers++;
        const delivery = spans.startSpan(
          `${prefix} deliver ${type}`,
          {
            kind: SpanKind.CONSUMER,
            attributes: {
              ...extra,
              ...base,
              [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
              [ATTR_MESSAGING_OPERATION_NAME]: 'deliver',
              [ATTR_SPARK_CHANNEL_SUBSCRIBER]: id,
            },
            links,
          },
          published,
        );
        let open = true;
        const report: DeliveryReport = (outcome, error) => {
          if (!open) return;
          open = false;
          endDelivery(delivery, outcome, error);
        };
        return context.with(trace.setSpan(published, delivery), deliver, undefined, report);
      },
      settled: (error) => {
        span.setAttribute(ATTR_SPARK_CHANNEL_SUBSCRIBERS, subscribers);
        if (error !== undefined) failSpan(span, error);
        span.end();
      },
    };
  };
  return Object.freeze({ publish });
}

function endDelivery(span: Span, outcome: DeliveryOutcome, error: unknown): void {
  span.setAttribute(ATTR_SPARK_CHANNEL_DELIVERY, outcome);
  if (outcome === 'dropped') {
    // The subscriber's own drop policy chose this: recorded, not an error (as a cancellation is).
    if (isSparkChannelError(error)) span.setAttribute(ATTR_SPARK_CHANNEL_ERROR_CODE, error.code);
  } else if (outcome !== 'accepted') {
    failSpan(span, error);
  }
  span.end();
}

function userAttributes<E>(attributes: (event: E) => Attributes, event: E): Attributes | undefined {
  try {
    const extra = attributes(event) as unknown;
    if (typeof extra === 'object' && extra !== null) return extra as Attributes;
    diag.error(`spark-channel/otel: attributes() returned ${describe(extra)}, not an object; ignored`);
  } catch (error: unknown) {
    diag.error('spark-channel/otel: attributes() threw; the spans go on without them', error);
  }
  return undefined;
}
