// A property of the event bus's tracing over any interleaving of publishes (waiting and `try`),
// module subscribers (bounded or not, every overflow policy, held, failing `toCommand`, plain
// sinks), unsubscribes, module stops and turns of the event loop: once every publish settled,
// - there is one publish span per publish the bus went on with (none for a refused tryPublish);
// - every delivery span started was ended exactly once: their number is the sum of the publish
//   spans' `spark_channel.subscribers`, each is a child of one of them, with one outcome;
// - an accepted delivery ended no later than its publish span (publish resolves after it).
// FUZZ_RUNS=1000 npx jest spec/otel/event-bus.properties.spec.ts for a longer run.
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { config } from 'rxjs';

import { createEventBus, spawnModule } from '../../lib/index.js';
import {
  ATTR_SPARK_CHANNEL_DELIVERY,
  ATTR_SPARK_CHANNEL_SUBSCRIBERS,
  openTelemetryEvents,
} from '../../lib/otel/index.js';
import { quiet, settle } from '../events/support.js';
import { useTracing } from './tracing.js';

const runs = (n: number): number => Number(process.env.FUZZ_RUNS ?? n);
const tracing = useTracing();

type T = 'A' | 'B';
type Events = { A: { id: number }; B: { id: number } };
type Step =
  | { kind: 'publish'; type: T; now: boolean }
  | {
      kind: 'module';
      types: T[];
      capacity: number;
      overflow: 'wait' | 'drop-newest' | 'drop-oldest';
      held: boolean;
      failing: boolean;
    }
  | { kind: 'sink'; types: T[]; rejects: boolean }
  | { kind: 'unsubscribe'; which: number }
  | { kind: 'stop'; which: number }
  | { kind: 'gap' };

const types = fc.constantFrom<T[]>(['A'], ['B'], ['A', 'B']);
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('publish' as const),
      type: fc.constantFrom<T>('A', 'B'),
      now: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('module' as const),
      types,
      capacity: fc.constantFrom(1, 2, Infinity),
      overflow: fc.constantFrom('wait' as const, 'drop-newest' as const, 'drop-oldest' as const),
      held: fc.boolean(),
      failing: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sink' as const), types, rejects: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unsubscribe' as const), which: fc.nat(10) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stop' as const), which: fc.nat(10) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('gap' as const) }) },
);

describe('event bus tracing (property)', () => {
  beforeEach(() => {
    config.onUnhandledError = () => undefined; // failing toCommand and sinks are reported here
  });
  afterEach(() => {
    config.onUnhandledError = null;
  });

  it('ends every publish and delivery span once, a delivery no later than its publish', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        tracing.exporter.reset();
        const bus = createEventBus<Events>({
          instrument: openTelemetryEvents({ name: 'p', tracer: tracing.tracer }),
        });
        const handles: { unsubscribe(): void }[] = [];
        const modules: { stop(): void; release(): void; shutdown(): Promise<void> }[] = [];
        const publishes: Promise<void>[] = [];
        let traced = 0;
        let id = 0;
        for (const s of steps) {
          switch (s.kind) {
            case 'publish': {
              const event = { type: s.type, id: ++id };
              if (!s.now) {
                publishes.push(bus.publish(event));
                traced++;
                break;
              }
              try {
                bus.tryPublish(event);
                traced++;
              } catch {
                // CHANNEL_FULL: nobody got it, and it has no span
              }
              break;
            }
            case 'module': {
              let held = s.held;
              let waiting: (() => void)[] = [];
              const { dispatcher, server } = spawnModule<unknown, never>(
                {
                  handleRequest: () => {
                    throw new Error('commands only');
                  },
                  handleCommand: () =>
                    held ? new Promise<void>((resolve) => waiting.push(resolve)) : undefined,
                },
                { capacity: s.capacity, logger: quiet },
              );
              const release = (): void => {
                held = false;
                const resolves = waiting;
                waiting = [];
                resolves.forEach((resolve) => resolve());
              };
              modules.push({ stop: () => server.stop(), release, shutdown: () => dispatcher.shutdown() });
              handles.push(
                bus.subscribe(
                  s.types,
                  dispatcher,
                  s.failing
                    ? (event) => {
                        if (event.id % 3 === 0) throw new Error('toCommand');
                        return event;
                      }
                    : undefined,
                  { overflow: s.overflow },
                ),
              );
              break;
            }
            case 'sink':
              handles.push(
                bus.subscribe(s.types, {
                  sendCommand: () => (s.rejects ? Promise.reject(new Error('sink')) : Promise.resolve()),
                }),
              );
              break;
            case 'unsubscribe':
              handles[s.which % Math.max(1, handles.length)]?.unsubscribe();
              break;
            case 'stop':
              modules[s.which % Math.max(1, modules.length)]?.stop();
              break;
            case 'gap':
              await settle();
              break;
          }
        }
        for (const m of modules) m.release();
        await Promise.all(publishes);
        await Promise.all(modules.map((m) => m.shutdown()));
        await settle();
        bus.close();

        const spans = tracing.spans();
        const published = spans.filter((span) => span.name.startsWith('p publish '));
        const deliveries = spans.filter((span) => span.name.startsWith('p deliver '));
        expect(published).toHaveLength(traced);
        const delivered = published.reduce(
          (sum, span) => sum + Number(span.attributes[ATTR_SPARK_CHANNEL_SUBSCRIBERS]),
          0,
        );
        expect(deliveries).toHaveLength(delivered);
        const byId = new Map(published.map((span) => [span.spanContext().spanId, span]));
        for (const delivery of deliveries) {
          const parent = byId.get(delivery.parentSpanContext?.spanId ?? '');
          expect(parent).toBeDefined();
          expect(['accepted', 'dropped', 'refused', 'failed']).toContain(
            delivery.attributes[ATTR_SPARK_CHANNEL_DELIVERY],
          );
          if (delivery.attributes[ATTR_SPARK_CHANNEL_DELIVERY] === 'accepted') {
            // The exporter has the spans in the order they ended (the SDK's clock is too coarse to compare).
            expect(spans.indexOf(delivery)).toBeLessThan(spans.indexOf(parent as ReadableSpan));
          }
        }
      }),
      { numRuns: runs(150) },
    );
  }, 120_000);
});
