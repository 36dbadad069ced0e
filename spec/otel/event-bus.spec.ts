// openTelemetryEvents(): a PRODUCER span per publish, a CONSUMER span per delivery to a module
// subscriber (a child of the publish span, linked to it), the module's own command span under
// the delivery span, and each delivery outcome — against the SDK's in-memory exporter.
import { context, diag, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { config, firstValueFrom } from 'rxjs';

import { createEventBus, createRouter, spawnModule, spawnTypedModule } from '../../lib/index.js';
import {
  ATTR_ERROR_TYPE,
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
  openTelemetry,
  openTelemetryEvents,
} from '../../lib/otel/index.js';
import { recorder, settle, type ShopEvents } from '../events/support.js';
import { isChildOf, useTracing } from './tracing.js';

const tracing = useTracing();
const { tracer } = tracing;

const placed = (orderId = 'o-1', total = 20) => ({ type: 'OrderPlaced' as const, orderId, total });
const tracedBus = (name: string | null = 'shop') =>
  createEventBus<ShopEvents>({
    instrument: openTelemetryEvents(name === null ? { tracer } : { name, tracer }),
  });
const named = (name: string): ReadableSpan[] => tracing.spans().filter((span) => span.name === name);

describe('openTelemetryEvents()', () => {
  let unhandled: unknown[];
  beforeEach(() => {
    unhandled = [];
    config.onUnhandledError = (error) => unhandled.push(error);
  });
  afterEach(() => {
    config.onUnhandledError = null;
  });

  describe('the publish span', () => {
    it('is a PRODUCER span named after the bus and the type, in the publisher’s trace, with the messaging attributes', async () => {
      const bus = tracedBus();
      const outer = tracer.startSpan('outer');
      await context.with(trace.setSpan(context.active(), outer), () => bus.publish(placed()));
      outer.end();

      const span = tracing.span('shop publish OrderPlaced');
      expect(span.kind).toBe(SpanKind.PRODUCER);
      expect(isChildOf(span, outer)).toBe(true);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes).toEqual({
        [ATTR_MESSAGING_SYSTEM]: 'spark_channel',
        [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
        [ATTR_MESSAGING_OPERATION_NAME]: 'publish',
        [ATTR_MESSAGING_DESTINATION_NAME]: 'OrderPlaced',
        [ATTR_SPARK_CHANNEL_MESSAGE_TYPE]: 'OrderPlaced',
        [ATTR_SPARK_CHANNEL_BUS]: 'shop',
        [ATTR_SPARK_CHANNEL_SUBSCRIBERS]: 0,
      });
    });

    it('is named spark-channel … without a name, and carries no bus attribute', async () => {
      await tracedBus(null).publish(placed());
      const span = tracing.span('spark-channel publish OrderPlaced');
      expect(span.attributes[ATTR_SPARK_CHANNEL_BUS]).toBeUndefined();
    });

    it('is active while observers run, so their work is in the publisher’s trace', async () => {
      const bus = tracedBus();
      const active: (string | undefined)[] = [];
      bus.on('OrderPlaced').subscribe(() => active.push(trace.getActiveSpan()?.spanContext().spanId));
      await bus.publish(placed());
      expect(active).toEqual([tracing.span('shop publish OrderPlaced').spanContext().spanId]);
      expect(trace.getActiveSpan()).toBeUndefined();
    });

    it('ends when publish resolves: after a waiting subscriber got room', async () => {
      const bus = tracedBus();
      const stock = recorder<unknown>(1);
      stock.hold();
      bus.subscribe('OrderPlaced', stock.dispatcher);
      await bus.publish(placed('o-1')); // taken at once, held by the handler
      await bus.publish(placed('o-2')); // queued: the channel is now full
      const third = bus.publish(placed('o-3'));
      await settle();
      expect(named('shop publish OrderPlaced')).toHaveLength(2);
      expect(named('shop deliver OrderPlaced')).toHaveLength(2);

      stock.release();
      await third;
      const spans = named('shop publish OrderPlaced');
      expect(spans).toHaveLength(3);
      const deliveries = named('shop deliver OrderPlaced');
      expect(deliveries).toHaveLength(3);
      expect(deliveries.every((d) => d.attributes[ATTR_SPARK_CHANNEL_DELIVERY] === 'accepted')).toBe(true);
      // The third delivery span covers the wait for room; its publish span ends after it.
      const last = deliveries[2] as ReadableSpan;
      expect(isChildOf(last, spans[2] as ReadableSpan)).toBe(true);
    });

    it('traces tryPublish too, and gives a refused tryPublish (CHANNEL_FULL) no span', async () => {
      const bus = tracedBus();
      const stock = recorder<unknown>(1);
      stock.hold();
      bus.subscribe('OrderPlaced', stock.dispatcher);
      bus.tryPublish(placed('o-1'));
      bus.tryPublish(placed('o-2'));
      expect(() => bus.tryPublish(placed('o-3'))).toThrow(expect.objectContaining({ code: 'CHANNEL_FULL' }));
      expect(named('shop publish OrderPlaced')).toHaveLength(2);
      stock.release();
    });

    it('gives a publish made by a subscriber a span in the trace of the event it reacted to', async () => {
      const bus = tracedBus();
      bus.on('OrderPlaced').subscribe(({ orderId }) => void bus.publish({ type: 'OrderShipped', orderId }));
      await bus.publish(placed());
      await settle();
      const shipped = tracing.span('shop publish OrderShipped');
      expect(isChildOf(shipped, tracing.span('shop publish OrderPlaced'))).toBe(true);
    });

    it('ends with status ERROR and SEND_FAILED for a publish the bus closed before delivering it', async () => {
      const bus = tracedBus();
      let late: Promise<void> | undefined;
      bus.on('OrderPlaced').subscribe(({ orderId }) => {
        late = bus.publish({ type: 'OrderShipped', orderId });
        bus.close();
      });
      await bus.publish(placed());
      await expect(late).rejects.toMatchObject({ code: 'SEND_FAILED' });
      const span = tracing.span('shop publish OrderShipped');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes[ATTR_SPARK_CHANNEL_ERROR_CODE]).toBe('SEND_FAILED');
      expect(span.attributes[ATTR_ERROR_TYPE]).toBe('SEND_FAILED');
      expect(span.events.map((e) => e.name)).toEqual(['exception']);
    });

    it('records nothing for a publish refused at once (bad event, closed bus)', async () => {
      const bus = tracedBus();
      await expect(bus.publish({ type: 7 } as never)).rejects.toBeInstanceOf(TypeError);
      bus.close();
      await expect(bus.publish(placed())).rejects.toMatchObject({ code: 'SEND_FAILED' });
      expect(tracing.spans()).toEqual([]);
    });
  });

  describe('a delivery span', () => {
    it('is a CONSUMER span per module subscriber: a child of the publish span, linked to it', async () => {
      const bus = tracedBus();
      const stock = recorder<unknown>();
      const billing = recorder<unknown>();
      bus.subscribe('OrderPlaced', stock.dispatcher);
      bus.subscribe(['OrderPlaced', 'OrderShipped'], billing.dispatcher);
      bus.on('OrderPlaced').subscribe(); // observers get no span of their own
      await bus.publish(placed());

      const publish = tracing.span('shop publish OrderPlaced');
      expect(publish.attributes[ATTR_SPARK_CHANNEL_SUBSCRIBERS]).toBe(2);
      const deliveries = named('shop deliver OrderPlaced');
      expect(deliveries.map((d) => d.attributes[ATTR_SPARK_CHANNEL_SUBSCRIBER])).toEqual([1, 2]);
      for (const delivery of deliveries) {
        expect(delivery.kind).toBe(SpanKind.CONSUMER);
        expect(isChildOf(delivery, publish)).toBe(true);
        expect(delivery.links.map((l) => l.context.spanId)).toEqual([publish.spanContext().spanId]);
        expect(delivery.attributes).toMatchObject({
          [ATTR_MESSAGING_SYSTEM]: 'spark_channel',
          [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
          [ATTR_MESSAGING_OPERATION_NAME]: 'deliver',
          [ATTR_MESSAGING_DESTINATION_NAME]: 'OrderPlaced',
          [ATTR_SPARK_CHANNEL_BUS]: 'shop',
          [ATTR_SPARK_CHANNEL_DELIVERY]: 'accepted',
        });
        expect(delivery.status.code).toBe(SpanStatusCode.UNSET);
      }
    });

    it('parents the traced module’s command span, and so its handler’s spans: one trace from publish to handler', async () => {
      const bus = tracedBus();
      type StockApi = { Reserve: { command: { orderId: string } } };
      const inner: string[] = [];
      const stock = spawnTypedModule(
        createRouter<StockApi>({
          Reserve: {
            command: async () => {
              await settle();
              const span = tracer.startSpan('reserve in db');
              inner.push(span.spanContext().traceId);
              span.end();
            },
          },
        }),
        { instrument: openTelemetry({ name: 'stock', tracer }) },
      );
      bus.subscribe('OrderPlaced', stock.dispatcher, ({ orderId }) => ({
        type: 'Reserve' as const,
        orderId,
      }));
      await bus.publish(placed());
      await stock.dispatcher.shutdown();

      const publish = tracing.span('shop publish OrderPlaced');
      const delivery = tracing.span('shop deliver OrderPlaced');
      const command = tracing.span('stock command Reserve');
      expect(isChildOf(command, delivery)).toBe(true);
      expect(isChildOf(tracing.span('reserve in db'), command)).toBe(true);
      expect(inner).toEqual([publish.spanContext().traceId]);
    });

    it('ends dropped, status UNSET with CHANNEL_FULL, when a drop policy drops the event', async () => {
      const bus = tracedBus();
      const chart = recorder<unknown>(1);
      chart.hold();
      bus.subscribe('PriceTicked', chart.dispatcher, undefined, { overflow: 'drop-newest' });
      await bus.publish({ type: 'PriceTicked', price: 1 }); // handled (held)
      await bus.publish({ type: 'PriceTicked', price: 2 }); // queued
      await bus.publish({ type: 'PriceTicked', price: 3 }); // dropped
      const [, , dropped] = named('shop deliver PriceTicked');
      expect(dropped?.attributes[ATTR_SPARK_CHANNEL_DELIVERY]).toBe('dropped');
      expect(dropped?.attributes[ATTR_SPARK_CHANNEL_ERROR_CODE]).toBe('CHANNEL_FULL');
      expect(dropped?.status.code).toBe(SpanStatusCode.UNSET);
      expect(chart.dead.map((d) => d.reason)).toEqual(['dropped']);
      chart.release();
    });

    it('ends accepted for a drop-oldest delivery that made room', async () => {
      const bus = tracedBus();
      const chart = recorder<unknown>(1);
      chart.hold();
      bus.subscribe('PriceTicked', chart.dispatcher, undefined, { overflow: 'drop-oldest' });
      for (const price of [1, 2, 3]) await bus.publish({ type: 'PriceTicked', price });
      expect(named('shop deliver PriceTicked').map((d) => d.attributes[ATTR_SPARK_CHANNEL_DELIVERY])).toEqual(
        ['accepted', 'accepted', 'accepted'],
      );
      chart.release();
    });

    it('ends refused, status ERROR, when the module stops while the publish waits for room', async () => {
      const bus = tracedBus();
      const stock = recorder<unknown>(1);
      stock.hold();
      bus.subscribe('OrderPlaced', stock.dispatcher);
      await bus.publish(placed('o-1'));
      await bus.publish(placed('o-2'));
      const waiting = bus.publish(placed('o-3'));
      await settle();
      stock.server.stop();
      await waiting;
      const refused = named('shop deliver OrderPlaced')[2];
      expect(refused?.attributes[ATTR_SPARK_CHANNEL_DELIVERY]).toBe('refused');
      expect(refused?.status.code).toBe(SpanStatusCode.ERROR);
      expect(refused?.attributes[ATTR_SPARK_CHANNEL_ERROR_CODE]).toBe('SEND_FAILED');
      stock.release();
    });

    it('ends refused for a tryPublish over a module’s rate limit', async () => {
      const bus = tracedBus();
      const { dispatcher } = spawnModule(
        { handleRequest: () => undefined, handleCommand: () => undefined },
        { rateLimit: { limit: 1, intervalMs: 60_000 } },
      );
      bus.subscribe('OrderPlaced', dispatcher);
      bus.tryPublish(placed('o-1'));
      bus.tryPublish(placed('o-2'));
      await settle();
      expect(named('shop deliver OrderPlaced').map((d) => d.attributes[ATTR_SPARK_CHANNEL_DELIVERY])).toEqual(
        ['accepted', 'refused'],
      );
      expect(named('shop deliver OrderPlaced')[1]?.attributes[ATTR_SPARK_CHANNEL_ERROR_CODE]).toBe(
        'RATE_LIMITED',
      );
      await dispatcher.shutdown();
    });

    it('ends refused for a module that stopped before the event (subscribed again after its stop)', async () => {
      const bus = tracedBus();
      const stock = recorder<unknown>();
      bus.subscribe('OrderPlaced', stock.dispatcher);
      await stock.dispatcher.shutdown(); // leaves the bus
      bus.subscribe('OrderPlaced', stock.dispatcher);
      await bus.publish(placed());
      await settle();
      const delivery = tracing.span('shop deliver OrderPlaced');
      expect(delivery.attributes[ATTR_SPARK_CHANNEL_DELIVERY]).toBe('refused');
      expect(delivery.attributes[ATTR_SPARK_CHANNEL_ERROR_CODE]).toBe('SEND_FAILED');
    });

    it('ends failed, status ERROR with the exception, when toCommand throws', async () => {
      const bus = tracedBus();
      const stock = recorder<unknown>();
      bus.subscribe('OrderPlaced', stock.dispatcher, () => {
        throw new RangeError('no such order');
      });
      await bus.publish(placed());
      const delivery = tracing.span('shop deliver OrderPlaced');
      expect(delivery.attributes[ATTR_SPARK_CHANNEL_DELIVERY]).toBe('failed');
      expect(delivery.attributes[ATTR_ERROR_TYPE]).toBe('RangeError');
      expect(delivery.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no such order' });
      await settle();
      expect(unhandled).toHaveLength(1);
    });

    it('covers plain { sendCommand } subscribers: accepted at once, later, or failed', async () => {
      const bus = tracedBus();
      const stock = recorder<unknown>();
      // A sink that hands the command to a dispatcher: accepted at once (the shared resolved promise).
      bus.subscribe('OrderPlaced', { sendCommand: (m: unknown) => stock.dispatcher.sendCommand(m) });
      bus.subscribe('OrderPlaced', { sendCommand: () => Promise.reject(new Error('sink down')) });
      bus.subscribe('OrderPlaced', {
        sendCommand: () => {
          throw 'sink broken';
        },
      });
      bus.subscribe('OrderPlaced', {
        sendCommand: () => new Promise<void>((resolve) => setTimeout(resolve, 1)),
      });
      await bus.publish(placed());
      await settle();
      const outcomes = named('shop deliver OrderPlaced').map((d) => [
        d.attributes[ATTR_SPARK_CHANNEL_SUBSCRIBER],
        d.attributes[ATTR_SPARK_CHANNEL_DELIVERY],
        d.status.message,
      ]);
      expect(outcomes).toEqual(
        expect.arrayContaining([
          [1, 'accepted', undefined],
          [2, 'failed', 'sink down'],
          [4, 'accepted', undefined],
          [3, 'failed', 'sink broken'],
        ]),
      );
      expect(tracing.span('shop publish OrderPlaced').attributes[ATTR_SPARK_CHANNEL_SUBSCRIBERS]).toBe(4);
    });

    it('describes a non-Error failure it cannot print', async () => {
      const bus = tracedBus();
      bus.subscribe('OrderPlaced', {
        sendCommand: () => {
          throw Object.create(null);
        },
      });
      await bus.publish(placed());
      await settle(); // reported on config.onUnhandledError
      const delivery = tracing.span('shop deliver OrderPlaced');
      expect(delivery.attributes[ATTR_ERROR_TYPE]).toBe('_OTHER');
      expect(delivery.status.message).toMatch(/was thrown$/);
    });
  });

  describe('options', () => {
    it('adds the attributes callback’s attributes to both spans; the library’s own win', async () => {
      const bus = createEventBus<ShopEvents>({
        instrument: openTelemetryEvents<ShopEvents>({
          name: 'shop',
          tracer,
          attributes: (event) => ({
            'app.order': event.type === 'OrderPlaced' ? event.orderId : '-',
            [ATTR_MESSAGING_SYSTEM]: 'mine',
          }),
        }),
      });
      bus.subscribe('OrderPlaced', recorder<unknown>().dispatcher);
      await bus.publish(placed('o-9'));
      for (const span of tracing.spans()) {
        expect(span.attributes['app.order']).toBe('o-9');
        expect(span.attributes[ATTR_MESSAGING_SYSTEM]).toBe('spark_channel');
      }
    });

    it('reports an attributes callback that throws or returns no object to diag; the spans go on', async () => {
      const errors: unknown[][] = [];
      diag.setLogger(
        {
          error: (...args: unknown[]) => errors.push(args),
          warn: () => undefined,
          info: () => undefined,
          debug: () => undefined,
          verbose: () => undefined,
        },
        { suppressOverrideMessage: true },
      );
      try {
        let calls = 0;
        const bus = createEventBus<ShopEvents>({
          instrument: openTelemetryEvents({
            tracer,
            attributes: () => {
              if (++calls === 1) throw new Error('boom');
              return 42 as never;
            },
          }),
        });
        await bus.publish(placed('o-1'));
        await bus.publish(placed('o-2'));
        expect(named('spark-channel publish OrderPlaced')).toHaveLength(2);
        expect(errors.map((args) => String(args[0]))).toEqual([
          expect.stringContaining('attributes() threw'),
          expect.stringContaining('attributes() returned 42'),
        ]);
      } finally {
        diag.disable();
      }
    });

    it('uses the global provider’s tracer by default (a no-op until one is registered)', async () => {
      const bus = createEventBus<ShopEvents>({ instrument: openTelemetryEvents() });
      const seen = firstValueFrom(bus.on('OrderPlaced'));
      await bus.publish(placed());
      await expect(seen).resolves.toEqual(placed());
      expect(tracing.spans()).toEqual([]);
    });

    it.each([
      [{ name: '' }, /`name`/],
      [{ name: 7 }, /`name`/],
      [{ tracer: {} }, /`tracer`/],
      [{ attributes: 'x' }, /`attributes`/],
      ['shop', /`options`/],
    ])('refuses %p with a TypeError naming it', (options, message) => {
      expect(() => openTelemetryEvents(options as never)).toThrow(
        expect.objectContaining({ name: 'TypeError' }),
      );
      expect(() => openTelemetryEvents(options as never)).toThrow(message);
    });

    it('createEventBus refuses an instrument that is none, with a TypeError naming it', () => {
      expect(() => createEventBus({ instrument: {} as never })).toThrow(/`instrument`/);
      expect(() => createEventBus({ instrument: null as never })).toThrow(TypeError);
    });
  });
});
