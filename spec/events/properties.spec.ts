// Properties of the event bus over any interleaving of publishes (waiting and `try`), observer and
// module subscriptions (bounded or not, every overflow policy, fast, slow, failing handlers),
// unsubscribes, module stops and turns of the event loop:
// - every observer gets exactly the events of its types published while it was subscribed, in
//   publish order (a tryPublish that threw reached nobody);
// - every module subscriber starts its events in publish order, each at most once; a `wait`
//   module that was not stopped starts exactly the events published while it was subscribed;
//   any other module accounts for each such event exactly once: started, or a dead letter (a
//   drop policy's `dropped`, or what its stop cut off);
// - every publish resolves (none hangs, none rejects), even on a module that stopped.
// FUZZ_RUNS=2000 npx jest spec/events/properties.spec.ts for a longer run.
import fc from 'fast-check';

import { createEventBus, spawnModule, SparkChannelError } from '../../lib/index.js';
import { quiet } from './support.js';

const runs = (n: number): number => Number(process.env.FUZZ_RUNS ?? n);

type T = 'A' | 'B';
type Events = { A: { id: number }; B: { id: number } };
type Handler = 'sync' | 'async' | 'slow' | 'fail';
type Overflow = 'wait' | 'drop-newest' | 'drop-oldest';
type Step =
  | { kind: 'publish'; type: T; now: boolean }
  | { kind: 'observe'; types: T[] }
  | {
      kind: 'module';
      types: T[];
      capacity: number;
      overflow: Overflow;
      handler: Handler;
      mapped: boolean;
    }
  | { kind: 'unsubscribe'; which: number }
  | { kind: 'stop'; which: number }
  | { kind: 'release' }
  | { kind: 'gap'; macrotask: boolean };

const types = fc.constantFrom<T[]>(['A'], ['B'], ['A', 'B']);
const moduleStep = fc.record({
  kind: fc.constant('module' as const),
  types,
  capacity: fc.constantFrom(1, 2, Infinity),
  overflow: fc.constantFrom<Overflow>('wait', 'drop-newest', 'drop-oldest'),
  handler: fc.constantFrom<Handler>('sync', 'async', 'slow', 'fail'),
  mapped: fc.boolean(),
});
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('publish' as const),
      type: fc.constantFrom<T>('A', 'B'),
      now: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('observe' as const), types }) },
  { weight: 2, arbitrary: moduleStep },

  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unsubscribe' as const), which: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stop' as const), which: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('gap' as const), macrotask: fc.boolean() }) },
);

interface Sub {
  readonly types: readonly T[];
  /** The events published while it was subscribed (and, for a module, running). */
  readonly expected: number[];
  readonly seen: number[];
  readonly dead: number[];
  active: boolean;
  unsubscribe(): void;
  readonly module?: {
    readonly overflow: Overflow;
    stopped: boolean;
    stop(): void;
    shutdown(): Promise<void>;
  };
}

const idOf = (command: unknown): number => {
  const c = command as { id?: number; wrapped?: number };
  return c.wrapped ?? (c.id as number);
};

describe('event bus properties', () => {
  it('any interleaving keeps per-subscriber order and exactly-once delivery; only drops and stops lose events, as dead letters', () =>
    fc.assert(
      fc.asyncProperty(
        // A few subscribers first (so most publishes reach someone), then anything.
        fc.array(fc.oneof(moduleStep, fc.record({ kind: fc.constant('observe' as const), types })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.array(step, { minLength: 5, maxLength: 60, size: 'medium' }),
        async (setup, rest) => {
          const steps: Step[] = [...setup, ...rest];
          const bus = createEventBus<Events>();
          const subs: Sub[] = [];
          const publishes: Promise<void>[] = [];
          let held: (() => void)[] = [];
          let final = false;
          const release = (): void => {
            const resolves = held;
            held = [];
            resolves.forEach((resolve) => resolve());
          };
          let next = 0;
          for (const s of steps) {
            switch (s.kind) {
              case 'publish': {
                const event = { type: s.type, id: next++ };
                const present = subs.filter((sub) => sub.active && sub.types.includes(s.type));
                if (s.now) {
                  try {
                    bus.tryPublish(event);
                  } catch (error: unknown) {
                    expect(error).toBeInstanceOf(SparkChannelError);
                    expect((error as SparkChannelError).code).toBe('CHANNEL_FULL');
                    break; // all or nothing: nobody got it
                  }
                } else {
                  publishes.push(bus.publish(event));
                }
                for (const sub of present) sub.expected.push(event.id);
                break;
              }
              case 'observe': {
                const sub: Sub = {
                  types: s.types,
                  expected: [],
                  seen: [],
                  dead: [],
                  active: true,
                  unsubscribe: () => {},
                };
                const subscription = bus.on(s.types).subscribe((e) => sub.seen.push(e.id));
                sub.unsubscribe = () => subscription.unsubscribe();
                subs.push(sub);
                break;
              }
              case 'module': {
                const seen: number[] = [];
                const dead: number[] = [];
                const { dispatcher, server } = spawnModule<unknown, never>(
                  {
                    handleRequest: () => undefined as never,
                    handleCommand: (command) => {
                      const id = idOf(command);
                      seen.push(id);
                      if (s.handler === 'async') return Promise.resolve();
                      if (s.handler === 'fail' && id % 2 === 1) throw new Error(`failed ${id}`);
                      if (s.handler === 'slow' && !final)
                        return new Promise<void>((resolve) => held.push(resolve));
                      return undefined;
                    },
                  },
                  { capacity: s.capacity, logger: quiet },
                );
                server.deadLetters$.subscribe((d) => dead.push(idOf(d.message)));
                const handle = bus.subscribe(
                  s.types,
                  dispatcher,
                  s.mapped ? (e) => ({ wrapped: e.id }) : undefined,
                  { overflow: s.overflow },
                );
                const sub: Sub = {
                  types: s.types,
                  expected: [],
                  seen,
                  dead,
                  active: true,
                  unsubscribe: () => handle.unsubscribe(),
                  module: {
                    overflow: s.overflow,
                    stopped: false,
                    stop: () => server.stop(),
                    shutdown: () => dispatcher.shutdown(),
                  },
                };
                subs.push(sub);
                break;
              }
              case 'unsubscribe': {
                const sub = subs[s.which % Math.max(subs.length, 1)];
                if (sub === undefined) break;
                sub.unsubscribe();
                sub.active = false;
                break;
              }
              case 'stop': {
                const modules = subs.filter((sub) => sub.module !== undefined);
                const sub = modules[s.which % Math.max(modules.length, 1)];
                if (sub?.module === undefined) break;
                sub.module.stop();
                sub.module.stopped = true;
                sub.active = false;
                break;
              }
              case 'release':
                release();
                break;
              case 'gap':
                await (s.macrotask ? new Promise((resolve) => setTimeout(resolve, 0)) : Promise.resolve());
                break;
            }
          }
          final = true;
          release();
          await Promise.all(publishes); // none hangs, none rejects
          await Promise.all(subs.map((sub) => sub.module?.shutdown()));
          for (const sub of subs) {
            const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
            // In publish order, each at most once.
            expect(sub.seen).toEqual(sorted([...new Set(sub.seen)]));
            if (sub.module === undefined || (sub.module.overflow === 'wait' && !sub.module.stopped)) {
              expect(sub.seen).toEqual(sub.expected);
              expect(sub.dead).toEqual([]);
            } else {
              // Exactly once: started or a dead letter, never both, nothing else.
              expect(sorted([...sub.seen, ...sub.dead])).toEqual(sub.expected);
            }
          }
          bus.close();
        },
      ),
      { numRuns: runs(150) },
    ));
});
