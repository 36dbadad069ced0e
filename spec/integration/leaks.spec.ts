// Leak checks: run with `node --expose-gc` (npm test does); skipped otherwise.
import { getEventListeners } from 'node:events';

import { NEVER, Subject } from 'rxjs';

import { SparkChannelCancellationToken, spawnModule } from '../../lib/index.js';
import { codeOf } from '../support/helpers.js';
import { settledHeap, withGc } from '../support/heap.js';

// Each test pushes 110,000 messages through coverage instrumentation: on a loaded machine that
// outlasts jest's default 30 s. The timeout only guards against a hang; speed is the bench's job.
jest.setTimeout(120_000);

/**
 * Counts the timers created through the global timer functions (which RxJS's schedulers call)
 * and not yet cleared or fired since `track()`, that keep the process alive: the process-wide
 * count would also see jest's. An unref'd timer does not count: an emptied signal fan-out sweeps
 * on one (and on the platform's own timers an idle timeout bucket keeps one for the next request).
 */
function trackTimers(): { live: () => number; stop: () => void } {
  const live = new Set<unknown>();
  const realSetInterval = globalThis.setInterval;
  const realClearInterval = globalThis.clearInterval;
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const g = globalThis as unknown as Record<string, unknown>;
  g.setInterval = (...args: Parameters<typeof setInterval>) => {
    const id = realSetInterval(...args);
    live.add(id);
    return id;
  };
  g.clearInterval = (id: Parameters<typeof clearInterval>[0]) => {
    live.delete(id);
    realClearInterval(id);
  };
  g.setTimeout = (handler: () => void, ms?: number) => {
    const id: unknown = realSetTimeout(() => {
      live.delete(id);
      handler();
    }, ms);
    live.add(id);
    return id;
  };
  g.clearTimeout = (id: Parameters<typeof clearTimeout>[0]) => {
    live.delete(id);
    realClearTimeout(id);
  };
  return {
    live: () => [...live].filter((id) => (id as { hasRef?: () => boolean }).hasRef?.() !== false).length,
    stop: () => {
      Object.assign(g, {
        setInterval: realSetInterval,
        clearInterval: realClearInterval,
        setTimeout: realSetTimeout,
        clearTimeout: realClearTimeout,
      });
    },
  };
}

/** Resolves after the next macrotask (a 0 ms timer). */
const macrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

// The bound: 2 MiB over the baseline. A leak of even one small object per cycle (~50 bytes)
// over 100,000 cycles would show as 5 MB; the bound leaves room for the JIT and jest itself.
const BOUND = 2 * 1024 * 1024;

describe('no leaks', () => {
  withGc('returns to its baseline heap after 100,000 request/response cycles', async () => {
    const { dispatcher, server } = spawnModule<number, number>({
      handleRequest: (n) => (n % 2 === 0 ? n : Promise.resolve(n)),
      handleCommand: () => undefined,
    });
    const controller = new AbortController();
    const warm = async (): Promise<void> => {
      for (let batch = 0; batch < 10; batch++) {
        const answers: Promise<number>[] = [];
        for (let i = 0; i < 1_000; i++) {
          answers.push(
            i % 4 === 0
              ? dispatcher.request(i, { timeoutMs: 60_000, signal: controller.signal })
              : dispatcher.request(i),
          );
        }
        await Promise.all(answers);
      }
    };
    await warm(); // JIT and pools warm up before the baseline
    const before = await settledHeap();
    const timers = trackTimers();
    for (let round = 0; round < 10; round++) await warm();
    timers.stop();
    const after = await settledHeap();
    expect({ growth: after - before, withinBound: after - before < BOUND }).toMatchObject({
      withinBound: true,
    });
    expect(timers.live()).toBe(0);
    await macrotask(); // the native abort listener goes one macrotask after the last request
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(server.stats()).toMatchObject({ queued: 0, running: 0, handled: 110_000 });
    await dispatcher.shutdown();
  });

  withGc(
    'keeps nothing per message while events$, deadLetters$ and an instrument watch 100,000 messages',
    async () => {
      const { dispatcher, server } = spawnModule<number, number>(
        {
          handleRequest: (n) => (n % 3 === 0 ? Promise.reject(new Error('odd one')) : n),
          handleCommand: () => undefined,
        },
        {
          logger: { error: () => undefined },
          instrument: {
            sent: ({ id }) => ({ id }),
            run: (_s, _m, handle) => handle(),
            settled: () => undefined,
          },
        },
      );
      let settled = 0;
      let letters = 0;
      server.events$.subscribe((e) => e.type === 'settled' && settled++);
      server.deadLetters$.subscribe(() => letters++);
      const controller = new AbortController();
      const warm = async (): Promise<void> => {
        for (let batch = 0; batch < 10; batch++) {
          const answers: Promise<unknown>[] = [];
          for (let i = 0; i < 1_000; i++) {
            answers.push(dispatcher.request(i, { signal: controller.signal }).catch(() => undefined));
          }
          await Promise.all(answers);
        }
      };
      await warm();
      const before = await settledHeap();
      for (let round = 0; round < 10; round++) await warm();
      const after = await settledHeap();
      expect({ growth: after - before, withinBound: after - before < BOUND }).toMatchObject({
        withinBound: true,
      });
      expect(settled).toBe(110_000);
      expect(letters).toBe(0);
      await dispatcher.shutdown();
    },
  );

  withGc('frees everything when a server with thousands of pending requests is stopped', async () => {
    const before = await settledHeap();
    const timers = trackTimers();
    const controller = new AbortController();
    const source = new Subject<number>();
    const token = new SparkChannelCancellationToken();
    let module: ReturnType<typeof spawnModule<number, number>> | undefined = spawnModule<number, number>(
      { handleRequest: (n) => (n === 0 ? source : NEVER), handleCommand: () => undefined },
      { capacity: 2_000, token },
    );
    const outcomes: Promise<string>[] = [];
    for (let i = 0; i < 5_000; i++) {
      const options = i % 2 === 0 ? { timeoutMs: 60_000, signal: controller.signal } : {};
      outcomes.push(codeOf(module.dispatcher.request(i, options))); // 2,000 queue, the rest wait for room
    }
    expect(module.server.stats()).toMatchObject({ queued: 2_000, running: 1 });
    expect(timers.live()).toBeGreaterThan(0);
    expect(source.observed).toBe(true);
    token.cancel(); // stop at once through the token
    const codes = await Promise.all(outcomes);
    expect(codes.filter((c) => c === 'RECEIVE_FAILED')).toHaveLength(2_001);
    expect(codes.filter((c) => c === 'SEND_FAILED')).toHaveLength(2_999);
    expect(source.observed).toBe(false); // the handler's observable was unsubscribed
    expect(timers.live()).toBe(0); // every request timeout was cleared
    timers.stop();
    await macrotask(); // the native abort listener goes one macrotask after the last request
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    module = undefined;
    outcomes.length = 0;
    const after = await settledHeap();
    expect(after - before).toBeLessThan(BOUND);
  });

  withGc(
    'holds memory flat under a producer far faster than its handler, with a bounded channel',
    async () => {
      const { dispatcher, server } = spawnModule<number, number>(
        {
          handleRequest: (n) => n,
          handleCommand: () => new Promise<void>((resolve) => setImmediate(resolve)),
        },
        { capacity: 100 },
      );
      const produce = async (count: number): Promise<void> => {
        for (let i = 0; i < count; i++) await dispatcher.sendCommand(i); // waits for room: backpressure
      };
      await produce(2_000);
      const before = await settledHeap();
      let peakQueued = 0;
      const sub = server.stats$.subscribe((s) => (peakQueued = Math.max(peakQueued, s.queued)));
      await produce(20_000);
      sub.unsubscribe();
      const after = await settledHeap();
      expect(peakQueued).toBeLessThanOrEqual(100);
      expect(after - before).toBeLessThan(BOUND);
      await dispatcher.shutdown();
    },
  );
});
