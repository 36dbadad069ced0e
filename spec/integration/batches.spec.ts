// Properties of the batched loop (one message at a time, unkeyed): the server's Subject carries a
// batch — the run of messages queued at that moment — or a lone message, and one concatMap inner
// handles a batch in order, pausing on a handler that goes asynchronous. Whatever mix of
// synchronous, promise and observable handlers falls on either side of a batch boundary, and
// however the sends are spread over turns, every message is handled once, in send order, one at
// a time; and a stop inside a batch settles the rest of it, and everything after, exactly once.
import fc from 'fast-check';
import { EMPTY, finalize, map, Observable, of, timer } from 'rxjs';

import type { DeadLetter } from '../../lib/index.js';
import { SparkChannelError, spawnModule } from '../../lib/index.js';

type Kind = 'sync' | 'throw' | 'microtask' | 'macrotask' | 'of' | 'timer' | 'empty';
interface Spec {
  readonly request: boolean;
  readonly kind: Kind;
  /** The handler sends a command to its own module (a re-entrant send, queued behind everything). */
  readonly echo: boolean;
}
type Gap = 'none' | 'microtask' | 'macrotask';

const kinds: Kind[] = ['sync', 'throw', 'microtask', 'macrotask', 'of', 'timer', 'empty'];
const spec: fc.Arbitrary<Spec> = fc.record({
  request: fc.boolean(),
  kind: fc.constantFrom(...kinds),
  echo: fc.integer({ min: 0, max: 9 }).map((n) => n < 3),
});
const bursts = fc.array(
  fc.record({
    messages: fc.array(spec, { minLength: 1, maxLength: 12 }),
    gap: fc.constantFrom<Gap>('none', 'microtask', 'macrotask'),
  }),
  { minLength: 1, maxLength: 8 },
);

const pause = (gap: Gap): Promise<void> =>
  gap === 'macrotask'
    ? new Promise((resolve) => setTimeout(resolve, 0))
    : gap === 'microtask'
      ? Promise.resolve()
      : (undefined as unknown as Promise<void>);

/** What the handler of message `id` returns, as its spec says; its value is `id * 10`. */
function act(id: number, kind: Kind): unknown {
  switch (kind) {
    case 'sync':
      return id * 10;
    case 'throw':
      throw new Error(`failure ${id}`);
    case 'microtask':
      return Promise.resolve().then(() => id * 10);
    case 'macrotask':
      return new Promise((resolve) => setTimeout(() => resolve(id * 10), 0));
    case 'of':
      return of(id * 10);
    case 'timer':
      return timer(0).pipe(map(() => id * 10));
    case 'empty':
      return EMPTY; // a request fails (no value), a command succeeds
  }
}

const runs = (n: number): number => Number(process.env.FUZZ_RUNS ?? n);

describe('batches: order and exactly-once across batch boundaries', () => {
  it('handles every message once, in send order, one at a time, with every outcome as its handler said', async () => {
    await fc.assert(
      fc.asyncProperty(bursts, async (plan) => {
        interface Msg {
          readonly id: number;
          readonly spec: Spec;
        }
        const started: number[] = [];
        const settledBy = new Map<number, number>(); // id → how many times its caller heard back
        let running = 0;
        let overlap = false;
        let nextId = 0;
        const specs = new Map<number, Spec>();
        const echoes: number[] = [];
        const track = (result: unknown): unknown => {
          const end = (): void => void running--;
          if (result instanceof Promise) return result.finally(end);
          if (result instanceof Observable) return result.pipe(finalize(end));
          end();
          return result;
        };
        const run = (m: Msg): unknown => {
          if (running !== 0) overlap = true;
          running++;
          started.push(m.id);
          if (m.spec.echo) {
            const id = nextId++;
            specs.set(id, { request: false, kind: 'sync', echo: false });
            echoes.push(id);
            void dispatcher.sendCommand({ id, spec: { request: false, kind: 'sync', echo: false } });
          }
          let result: unknown;
          try {
            result = act(m.id, m.spec.kind);
          } catch (error: unknown) {
            running--;
            throw error;
          }
          return track(result);
        };
        const { dispatcher, server } = spawnModule<Msg, number>({
          handleRequest: (m) => run(m) as number,
          handleCommand: (m) => run(m) as void,
        });
        const requests: Promise<void>[] = [];
        const sent: number[] = [];
        for (const burst of plan) {
          for (const s of burst.messages) {
            const id = nextId++;
            specs.set(id, s);
            sent.push(id);
            if (s.request) {
              requests.push(
                dispatcher.requestResult({ id, spec: s }).then((result) => {
                  settledBy.set(id, (settledBy.get(id) ?? 0) + 1);
                  if (s.kind === 'throw') {
                    expect(result.ok).toBe(false);
                    expect((result as { error: Error }).error.message).toBe(`failure ${id}`);
                  } else if (s.kind === 'empty') {
                    expect(result.ok).toBe(false);
                  } else {
                    expect(result).toEqual({ ok: true, value: id * 10 });
                  }
                }),
              );
            } else {
              void dispatcher.sendCommand({ id, spec: s });
            }
          }
          if (burst.gap !== 'none') await pause(burst.gap);
        }
        await Promise.all(requests);
        // Commands (and the echoes their handlers send) may still be queued or running: a
        // Shutdown now would close the channel to the echoes still to come.
        for (let turns = 0; started.length < specs.size || running > 0; turns++) {
          if (turns > 1000) throw new Error(`stalled: ${started.length} of ${specs.size} started`);
          await pause('macrotask');
        }
        await dispatcher.shutdown();
        expect(overlap).toBe(false);
        // Every message started exactly once; the ones sent from the test in send order, and the
        // echoes after the message whose handler sent them.
        expect([...started].sort((a, b) => a - b)).toEqual([...specs.keys()].sort((a, b) => a - b));
        expect(started.filter((id) => !echoes.includes(id))).toEqual(sent);
        for (const id of sent) if (specs.get(id)?.request) expect(settledBy.get(id)).toBe(1);
        const stats = server.stats();
        expect(stats.handled).toBe(specs.size);
        expect(stats.queued).toBe(0);
      }),
      { numRuns: runs(150) },
    );
  });
});

describe('batches: a stop inside a batch', () => {
  it('settles the rest of the batch and everything after exactly once, and starts nothing more', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ request: fc.boolean(), kind: fc.constantFrom(...kinds) }), {
          minLength: 2,
          maxLength: 30,
        }),
        fc.nat(),
        fc.constantFrom('sync', 'async'),
        async (messages, at, when) => {
          const stopAt = at % messages.length;
          const started: number[] = [];
          const dead: DeadLetter<number>[] = [];
          const { dispatcher, server } = spawnModule<number, number>({
            handleRequest: (id) => handle(id) as number,
            handleCommand: (id) => handle(id) as void,
          });
          server.deadLetters$.subscribe((letter) => dead.push(letter));
          const handle = (id: number): unknown => {
            started.push(id);
            if (id === stopAt) {
              if (when === 'sync') {
                server.stop();
                return id * 10;
              }
              return new Promise((resolve) =>
                setTimeout(() => {
                  server.stop();
                  resolve(id * 10);
                }, 0),
              );
            }
            return act(id, (messages[id] as { kind: Kind }).kind);
          };
          const outcomes = new Map<number, { ok: boolean; code?: string | undefined }>();
          let settledTwice = false;
          const pending: Promise<void>[] = [];
          // One synchronous burst: the first message runs at once, the rest is one batch.
          messages.forEach((m, id) => {
            if (!m.request) return void dispatcher.sendCommand(id).catch(() => undefined);
            pending.push(
              dispatcher.requestResult(id).then((result) => {
                if (outcomes.has(id)) settledTwice = true;
                outcomes.set(id, {
                  ok: result.ok,
                  code: result.ok ? undefined : (result.error as SparkChannelError).code,
                });
              }),
            );
          });
          await Promise.all(pending);
          await server.stopped;
          expect(settledTwice).toBe(false);
          // Nothing starts after the message that stopped the server, and it started in order.
          expect(started).toEqual(Array.from({ length: stopAt + 1 }, (_, i) => i));
          messages.forEach((m, id) => {
            if (!m.request) return;
            const outcome = outcomes.get(id);
            expect(outcome).toBeDefined();
            if (id === stopAt && when === 'async') {
              expect(outcome).toEqual({ ok: false, code: 'RECEIVE_FAILED' }); // running at the stop
            } else if (id > stopAt) {
              // Queued at the stop, or sent after it (the first message of a burst runs at once,
              // so a stop there comes before the rest is sent).
              expect(outcome?.ok).toBe(false);
              expect(['RECEIVE_FAILED', 'SEND_FAILED']).toContain(outcome?.code);
            }
          });
          // Every message after the stop is reported once as a dead letter: dropped by the stop,
          // or refused because it came after it.
          const lost = dead.filter((d) => d.reason === 'dropped' || d.reason === 'refused');
          expect(lost.map((d) => d.message)).toEqual(messages.map((_, id) => id).filter((id) => id > stopAt));
          expect(server.stats()).toMatchObject({ queued: 0, running: 0 });
        },
      ),
      { numRuns: runs(150) },
    );
  });
});

describe('batches: a long synchronous burst', () => {
  it('keeps at most one batch waiting: a burst that fills a batch is handed over at once, in order', async () => {
    const handled: number[] = [];
    const { dispatcher, server } = spawnModule<number, never>({
      handleRequest: () => {
        throw new Error('no requests');
      },
      handleCommand: (n) => void handled.push(n),
    });
    let mostQueued = 0;
    for (let i = 0; i < 5_000; i++) {
      void dispatcher.sendCommand(i);
      mostQueued = Math.max(mostQueued, server.stats().queued);
    }
    expect(mostQueued).toBeLessThan(1_024);
    expect(handled.length).toBeGreaterThan(4_000); // all but the last part-batch, on the senders' stack
    await Promise.resolve();
    expect(handled).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
    await dispatcher.shutdown();
  });
});
