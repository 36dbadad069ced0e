// Property: under any interleaving of requests, commands, handler failures, timeouts, aborts and
// a Shutdown or stop() at any point, with any capacity and concurrency, nothing is lost:
// every request settles exactly once with its answer or a code that explains why not.
import fc from 'fast-check';
import { map, mergeMap, Observable, throwError, timer } from 'rxjs';

import { SparkChannelError, spawnModule } from '../../lib/index.js';

type Outcome = 'value' | 'throw' | 'reject' | 'observable-error' | 'non-error' | 'observable-value';
interface Behaviour {
  readonly outcome: Outcome;
  readonly delay: number;
}
type Op =
  | {
      readonly op: 'request';
      readonly b: Behaviour;
      readonly timeoutMs?: number;
      readonly abortAfter?: number;
    }
  | { readonly op: 'command'; readonly b: Behaviour }
  | { readonly op: 'tick'; readonly ms: number }
  | { readonly op: 'stop' }
  | { readonly op: 'shutdown' };

const behaviour = fc.record({
  outcome: fc.constantFrom<Outcome>(
    'value',
    'throw',
    'reject',
    'observable-error',
    'non-error',
    'observable-value',
  ),
  delay: fc.nat(5),
});
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('request' as const), b: behaviour }) },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        op: fc.constant('request' as const),
        b: behaviour,
        timeoutMs: fc.integer({ min: 1, max: 8 }),
        abortAfter: fc.nat(8),
      },
      { requiredKeys: ['op', 'b'] },
    ),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('command' as const), b: behaviour }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'stop' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'shutdown' as const }) },
);

/** What a handler does for message `i`: a value, or a failure in one of the ways a handler can fail. */
function act(i: number, b: Behaviour): unknown {
  const value = i * 10;
  const error = new Error(`failure ${i}`);
  switch (b.outcome) {
    case 'value':
      return b.delay === 0 ? value : new Promise((resolve) => setTimeout(() => resolve(value), b.delay));
    case 'observable-value':
      return timer(b.delay).pipe(map(() => value));
    case 'throw':
      throw error;
    case 'reject':
      return new Promise((_, reject) => setTimeout(() => reject(error), b.delay));
    case 'observable-error':
      return timer(b.delay).pipe(mergeMap(() => throwError(() => error)));
    case 'non-error':
      if (b.delay === 0) throw `failure ${i}`;
      return new Promise((_, reject) => setTimeout(() => reject(`failure ${i}`), b.delay));
  }
}

const expectedFailure = (i: number, b: Behaviour): string | undefined =>
  b.outcome === 'value' || b.outcome === 'observable-value' ? undefined : `failure ${i}`;

describe('any interleaving of messages, faults, timeouts, aborts and a stop', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('settles every request exactly once, in order, within concurrency and capacity', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 30 }),
        fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
        fc.integer({ min: 1, max: 3 }),
        async (ops, capacity, concurrency) => {
          runs++;
          const started: number[] = [];
          const behaviours = new Map<number, Behaviour>();
          let running = 0;
          let stopped = false;
          let startedAfterStop = 0;
          const maxSize = { value: 0 };
          const track = <T>(work: () => T): T => {
            running++;
            expect(running).toBeLessThanOrEqual(concurrency);
            let result: T;
            try {
              result = work();
            } catch (error: unknown) {
              running--;
              throw error;
            }
            if (result instanceof Promise) {
              return result.finally(() => running--) as T;
            }
            if (result instanceof Observable) {
              return new Observable((subscriber) => {
                const sub = result.subscribe(subscriber);
                return () => {
                  running--;
                  sub.unsubscribe();
                };
              }) as T;
            }
            running--;
            return result;
          };
          const handle = (i: number): unknown => {
            started.push(i);
            if (stopped) startedAfterStop++;
            maxSize.value = Math.max(maxSize.value, dispatcher.sender.size);
            return track(() => act(i, behaviours.get(i)!));
          };
          const { dispatcher, server } = spawnModule<number, number>(
            { handleRequest: handle as (i: number) => number, handleCommand: handle as (i: number) => void },
            { concurrency, ...(capacity === undefined ? {} : { capacity }) },
          );
          server.stopped.then(() => (stopped = true));

          const settled: {
            i: number;
            count: number;
            result?: unknown;
            error?: unknown;
            op: Op;
            stopSeen: boolean;
            startedBeforeGivingUp?: boolean;
          }[] = [];
          let stopSeen = false;
          const sentOrder: number[] = [];
          const commandSends: Promise<unknown>[] = [];
          for (const [i, o] of ops.entries()) {
            if (o.op === 'request') {
              behaviours.set(i, o.b);
              const controller = o.abortAfter === undefined ? undefined : new AbortController();
              if (controller !== undefined) setTimeout(() => controller.abort(), o.abortAfter);
              const record: (typeof settled)[number] = { i, count: 0, op: o as Op, stopSeen };
              settled.push(record);
              sentOrder.push(i);
              dispatcher
                .request(i, {
                  ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
                  ...(controller === undefined ? {} : { signal: controller.signal }),
                })
                .then(
                  (value) => {
                    record.count++;
                    record.result = value;
                  },
                  (error: unknown) => {
                    record.count++;
                    record.error = error;
                    record.startedBeforeGivingUp = started.includes(i);
                  },
                );
            } else if (o.op === 'command') {
              behaviours.set(i, o.b);
              sentOrder.push(i);
              commandSends.push(dispatcher.sendCommand(i).catch((e: unknown) => e));
            } else if (o.op === 'tick') {
              await jest.advanceTimersByTimeAsync(o.ms);
            } else if (o.op === 'stop') {
              stopSeen = true;
              server.stop();
            } else {
              stopSeen = true;
              void dispatcher.shutdown();
            }
            expect(dispatcher.sender.size).toBeLessThanOrEqual(capacity ?? Infinity);
          }
          void dispatcher.shutdown();
          await jest.advanceTimersByTimeAsync(1_000);
          await server.stopped;
          await Promise.all(commandSends);

          expect(startedAfterStop).toBe(0);
          expect(jest.getTimerCount()).toBe(0); // no timeout, rate or handler timer left behind
          expect(maxSize.value).toBeLessThanOrEqual(capacity ?? Infinity);
          // started in send order (a subsequence of it: some never start)
          const positions = started.map((i) => sentOrder.indexOf(i));
          expect(positions).toEqual([...positions].sort((a, b) => a - b));
          expect(new Set(started).size).toBe(started.length); // nothing handled twice

          for (const record of settled) {
            expect(record.count).toBe(1);
            const o = record.op as Extract<Op, { op: 'request' }>;
            const failure = expectedFailure(record.i, o.b);
            const allowed = new Set<string>();
            if (o.timeoutMs !== undefined) allowed.add('TIMEOUT');
            if (o.abortAfter !== undefined) allowed.add('CANCELLED');
            if (record.stopSeen) allowed.add('SEND_FAILED'); // sent after the channel closed
            if (ops.some((x) => x.op === 'stop')) {
              allowed.add('RECEIVE_FAILED'); // accepted, then the server stopped
              allowed.add('SEND_FAILED'); // still waiting for room when it stopped
            }
            if ('result' in record) {
              expect(failure).toBeUndefined();
              expect(record.result).toBe(record.i * 10);
              expect(started).toContain(record.i);
            } else if (record.error instanceof SparkChannelError) {
              expect(allowed).toContain(record.error.code);
              if (!record.startedBeforeGivingUp) expect(started).not.toContain(record.i); // never handed over
            } else {
              // a handler failure: the same value it threw, unchanged
              const thrown = record.error instanceof Error ? record.error.message : record.error;
              expect(thrown).toBe(failure);
            }
            if (allowed.size === 0) {
              // no timeout, no abort, no stop: exactly the handler's outcome
              expect(record.error instanceof SparkChannelError).toBe(false);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(runs).toBeGreaterThanOrEqual(300);
  });
});
