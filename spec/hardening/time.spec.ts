// Timer hardening: timeout buckets are freed once idle, timers longer than 2³¹−1 ms are honoured
// (never a TimeoutOverflowWarning, never a busy loop), and the default clock is monotonic.
// The heap checks run with `node --expose-gc` (npm test does); skipped otherwise.
import { NEVER, VirtualTimeScheduler } from 'rxjs';

import { SparkGenericModuleDispatcher, spawnModule } from '../../lib/index.js';
import { kDeadlineBuckets } from '../../lib/internal/time/deadlines.js';
import { codeOf, deferred, isSettled } from '../support/helpers.js';
import { settledHeap, withGc } from '../support/heap.js';

// The heap checks run 100,000 messages and many gc passes: a hang guard for a loaded machine, not a speed check.
jest.setTimeout(120_000);

/** The longest delay Node's and browsers' timers take as given (a longer one becomes 1 ms). */
const MAX_DELAY = 2 ** 31 - 1;

// Taken before any test spies on it, so the waits of the tests themselves are not recorded.
const unwatchedSetTimeout = globalThis.setTimeout;

/** Resolves after `ms` of real time. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => unwatchedSetTimeout(resolve, ms));
}

/** What `promise` settles with, or `late` if it takes more than `ms` of real time: a wait that must not hang. */
async function within<T>(promise: Promise<T>, ms: number, late: string): Promise<T | string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<string>((resolve) => (timer = unwatchedSetTimeout(resolve, ms, late))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Records every delay handed to the global timer functions (which RxJS's schedulers call) until
 * `stop()`. Node emits a TimeoutOverflowWarning exactly when a delay passes 2³¹−1 ms (and runs
 * it after 1 ms instead), but on the real `process`, which jest's sandboxed one never hears
 * from: the delays themselves are what can be watched here.
 */
function watchTimers(): { delays: number[]; stop: () => void } {
  const delays: number[] = [];
  // Patched by hand, not with jest.spyOn: restoreAllMocks after a test would put back whatever
  // was there when the spy was made, the fake timers' functions included, long after they went.
  const g = globalThis as unknown as Record<'setInterval' | 'setTimeout', (...args: unknown[]) => unknown>;
  const { setInterval: originalInterval, setTimeout: originalTimeout } = g;
  const watched =
    (original: (...args: unknown[]) => unknown) =>
    (handler: unknown, ms?: unknown, ...args: unknown[]): unknown => {
      delays.push(typeof ms === 'number' ? ms : 0);
      return original(handler, ms, ...args);
    };
  g.setInterval = watched(originalInterval);
  g.setTimeout = watched(originalTimeout);
  return {
    delays,
    stop: () => {
      g.setInterval = originalInterval;
      g.setTimeout = originalTimeout;
    },
  };
}

/** The watched delays that were not 0: a module server may start its next message on a 0 ms timer. */
const waits = (delays: number[]): number[] => delays.filter((ms) => ms > 0);

type Msg = { op: 'hang' | 'ok' | 'later'; n: number };

describe('timeout buckets are freed once their requests settle', () => {
  withGc('returns to the baseline heap after 100,000 requests with distinct timeouts', async () => {
    const { dispatcher, server } = spawnModule<number, number>({
      handleRequest: (n) => n,
      handleCommand: () => undefined,
    });
    let distinct = 0;
    const round = async (count: number): Promise<void> => {
      for (let batch = 0; batch < count / 1_000; batch++) {
        const answers: Promise<number>[] = [];
        // A distinct timeout per request: each is a bucket of its own while it is pending.
        for (let i = 0; i < 1_000; i++)
          answers.push(dispatcher.request(i, { timeoutMs: 60_000 + ++distinct }));
        await Promise.all(answers);
      }
    };
    await round(10_000); // JIT and pools warm up before the baseline
    const before = await settledHeap();
    await round(100_000);
    const growth = (await settledHeap()) - before;
    // Retained, this would be ~35 MB (≈350 bytes a bucket); the bound leaves room for jest.
    expect({ growth, withinBound: growth < 2 * 1024 * 1024 }).toMatchObject({ withinBound: true });
    server.stop();
  });
});

describe('timeout buckets, counted', () => {
  const buckets = (dispatcher: SparkGenericModuleDispatcher<Msg, number>): number =>
    dispatcher[kDeadlineBuckets];

  it('holds one bucket per pending duration, and lets the idle ones go but the last', async () => {
    const answers: ((n: number) => void)[] = [];
    const { dispatcher, server } = spawnModule<Msg, number>(
      {
        handleRequest: () => new Promise<number>((resolve) => answers.push(resolve)),
        handleCommand: () => undefined,
      },
      { concurrency: 4 },
    );
    const pending = [100, 100, 200, 300].map((timeoutMs, n) =>
      dispatcher.request({ op: 'later', n }, { timeoutMs }),
    );
    await Promise.resolve();
    expect(buckets(dispatcher)).toBe(3); // the two of 100 ms share one
    answers.forEach((answer, n) => answer(n));
    await Promise.all(pending);
    // Idle now: only the last to go idle stays, for a next request of its duration.
    expect(buckets(dispatcher)).toBe(1);
    for (let i = 0; i < 100; i++) {
      const request = dispatcher.request({ op: 'later', n: i }, { timeoutMs: 1_000 + i });
      await Promise.resolve();
      answers[answers.length - 1]?.(i);
      await request;
    }
    expect(buckets(dispatcher)).toBe(1);
    server.stop();
  });

  it('frees the bucket of timeouts that fired', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { dispatcher, server } = spawnModule<Msg, number>(
      { handleRequest: () => NEVER, handleCommand: () => undefined },
      { scheduler },
    );
    const codes = [10, 20, 30].map((timeoutMs) =>
      codeOf(dispatcher.request({ op: 'hang', n: 1 }, { timeoutMs })),
    );
    expect(buckets(dispatcher)).toBe(3);
    scheduler.flush();
    expect(await Promise.all(codes)).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT']);
    expect(buckets(dispatcher)).toBe(1);
    server.stop();
  });

  it('keeps the dispatcher-wide timeout out of the count: its one bucket lives with the dispatcher', async () => {
    const { dispatcher, server } = spawnModule<Msg, number>(
      { handleRequest: (m) => m.n, handleCommand: () => undefined },
      { timeoutMs: 5_000 },
    );
    await dispatcher.request({ op: 'ok', n: 1 });
    await dispatcher.request({ op: 'ok', n: 2 }, { timeoutMs: 5_000 }); // the same duration: the same bucket
    expect(buckets(dispatcher)).toBe(0);
    server.stop();
  });
});

describe('timers longer than 2³¹−1 ms', () => {
  it('a timeout of Number.MAX_SAFE_INTEGER schedules no overflowing timer and the request still answers', async () => {
    const answer = deferred<number>();
    const { dispatcher, server } = spawnModule<Msg, number>({
      handleRequest: (m) => (m.op === 'later' ? answer.promise : m.n),
      handleCommand: () => undefined,
    });
    const timers = watchTimers();
    try {
      const pending = dispatcher.request({ op: 'later', n: 1 }, { timeoutMs: Number.MAX_SAFE_INTEGER });
      await sleep(50);
      answer.resolve(42);
      await expect(pending).resolves.toBe(42);
      // One timer of 2³¹−1 ms: an overflowing one would have run after 1 ms, and again, about
      // fifty times by now.
      expect(waits(timers.delays)).toEqual([MAX_DELAY]);
    } finally {
      timers.stop();
      server.stop();
    }
  });

  it('a rate-limit window of Number.MAX_SAFE_INTEGER ms schedules no overflowing timer', async () => {
    const { dispatcher, server } = spawnModule<Msg, number>(
      { handleRequest: (m) => m.n, handleCommand: () => undefined },
      { rateLimit: { limit: 1, intervalMs: Number.MAX_SAFE_INTEGER } },
    );
    const timers = watchTimers();
    try {
      await expect(dispatcher.request({ op: 'ok', n: 1 })).resolves.toBe(1);
      const waiting = codeOf(dispatcher.request({ op: 'ok', n: 2 })); // waits for the window
      await sleep(50);
      expect(waits(timers.delays)).toEqual([MAX_DELAY]);
      server.stop(); // lets the waiting send through, to be refused
      expect(await waiting).toBe('SEND_FAILED');
    } finally {
      timers.stop();
      server.stop();
    }
  });

  it('under jest fake timers, a timeout of 2³¹ + 1000 ms fires at that time, not a millisecond before', async () => {
    jest.useFakeTimers();
    const timers = watchTimers(); // the fake timer functions, watched
    const { dispatcher, server } = spawnModule<Msg, number>({
      handleRequest: () => NEVER,
      handleCommand: () => undefined,
    });
    try {
      const long = 2 ** 31 + 1_000;
      const outcome = codeOf(dispatcher.request({ op: 'hang', n: 1 }, { timeoutMs: long }));
      await jest.advanceTimersByTimeAsync(long - 1);
      expect(await isSettled(outcome)).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(await outcome).toBe('TIMEOUT');
      // Two steps (2³¹−1 ms, then the rest), not a thousand 1 ms wakes of an overflowed timer.
      expect(waits(timers.delays)).toEqual([MAX_DELAY, long - MAX_DELAY]);
    } finally {
      server.stop();
      timers.stop();
      jest.useRealTimers();
    }
  });

  it('under jest fake timers, a rate-limit window of 2³¹ + 1000 ms opens at that time', async () => {
    jest.useFakeTimers();
    const long = 2 ** 31 + 1_000;
    const { dispatcher, server } = spawnModule<Msg, number>(
      { handleRequest: (m) => m.n, handleCommand: () => undefined },
      { rateLimit: { limit: 1, intervalMs: long } },
    );
    const timers = watchTimers(); // the fake timer functions, watched
    try {
      await dispatcher.request({ op: 'ok', n: 1 });
      const second = dispatcher.request({ op: 'ok', n: 2 });
      await jest.advanceTimersByTimeAsync(long - 1);
      expect(await isSettled(second)).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(await second).toBe(2);
      expect(waits(timers.delays)).toEqual([MAX_DELAY, long - MAX_DELAY]);
    } finally {
      server.stop();
      timers.stop();
      jest.useRealTimers();
    }
  });

  it('a timeout of 2³¹ + 1000 ms fires at exactly that time on a virtual clock, not earlier', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { dispatcher, server } = spawnModule<Msg, number>(
      { handleRequest: () => NEVER, handleCommand: () => undefined },
      { scheduler },
    );
    const long = 2 ** 31 + 1_000;
    const seen: [string, number][] = [];
    dispatcher.request$({ op: 'hang', n: 1 }, { timeoutMs: long }).subscribe({
      error: (error: { code: string }) => seen.push([error.code, scheduler.now()]),
    });
    scheduler.flush();
    expect(seen).toEqual([['TIMEOUT', long]]);
    server.stop();
    await Promise.resolve();
  });

  it('a rate-limit window of 2³¹ + 1000 ms lets the next send go at exactly that time', async () => {
    const scheduler = new VirtualTimeScheduler();
    const long = 2 ** 31 + 1_000;
    const { dispatcher, server } = spawnModule<Msg, number>(
      { handleRequest: (m) => m.n, handleCommand: () => undefined },
      { scheduler, rateLimit: { limit: 1, intervalMs: long } },
    );
    const sent: number[] = [];
    const first = dispatcher.sendCommand({ op: 'ok', n: 1 }).then(() => sent.push(scheduler.now()));
    const second = dispatcher.sendCommand({ op: 'ok', n: 2 }).then(() => sent.push(scheduler.now()));
    await first;
    scheduler.flush();
    await second;
    expect(sent).toEqual([0, long]);
    server.stop();
  });
});

describe('the default clock is monotonic', () => {
  it('a 200 ms timeout still fires on time when the system clock steps back 5 s', async () => {
    const { dispatcher, server } = spawnModule<Msg, number>({
      handleRequest: () => NEVER,
      handleCommand: () => undefined,
    });
    try {
      const outcome = codeOf(dispatcher.request({ op: 'hang', n: 1 }, { timeoutMs: 200 }));
      const realNow = Date.now.bind(Date);
      jest.spyOn(Date, 'now').mockImplementation(() => realNow() - 5_000);
      // On wall-clock time it would fire at 5.2 s: the bound is well below that.
      expect(await within(outcome, 2_000, 'still pending after 2 s')).toBe('TIMEOUT');
    } finally {
      server.stop();
    }
  });

  it('a rate-limited send still goes on time when the system clock steps back 5 s', async () => {
    const { dispatcher, server } = spawnModule<Msg, number>(
      { handleRequest: (m) => m.n, handleCommand: () => undefined },
      { rateLimit: { limit: 1, intervalMs: 200 } },
    );
    try {
      await expect(dispatcher.request({ op: 'ok', n: 1 })).resolves.toBe(1);
      const second = dispatcher.request({ op: 'ok', n: 2 }); // waits for the window
      const realNow = Date.now.bind(Date);
      jest.spyOn(Date, 'now').mockImplementation(() => realNow() - 5_000);
      expect(await within(second, 2_000, 'still waiting after 2 s')).toBe(2);
    } finally {
      server.stop();
    }
  });

  it('an explicit scheduler keeps its own clock', async () => {
    const scheduler = new VirtualTimeScheduler();
    const channelDispatcher = spawnModule<Msg, number>(
      { handleRequest: () => NEVER, handleCommand: () => undefined },
      { scheduler },
    );
    const dispatcher: SparkGenericModuleDispatcher<Msg, number> = channelDispatcher.dispatcher;
    const pending = codeOf(dispatcher.request({ op: 'hang', n: 1 }, { timeoutMs: 200 }));
    scheduler.flush();
    expect(await pending).toBe('TIMEOUT');
    expect(scheduler.now()).toBe(200);
    channelDispatcher.server.stop();
  });
});

describe('a burst of timed requests shares clock readings, and no timeout fires early', () => {
  it('times out every request of a burst queued behind a hung one no earlier than its timeoutMs after its call', async () => {
    const { dispatcher, server } = spawnModule<Msg, number>({
      handleRequest: (m) =>
        m.op === 'hang'
          ? new Promise<number>(() => undefined)
          : m.op === 'later'
            ? Promise.resolve(m.n)
            : m.n,
      handleCommand: () => undefined,
    });
    const controller = new AbortController();
    const timeoutMs = 20;
    // The bucket reads the clock for this one, then not for 25 ms: a burst counted from that
    // reading would fire early.
    await dispatcher.request({ op: 'later', n: -1 }, { timeoutMs, signal: controller.signal });
    const hung = codeOf(dispatcher.request({ op: 'hang', n: 0 })); // every timed one queues behind it
    await sleep(25);
    const calls = Array.from({ length: 300 }, (_, i) => {
      const calledAt = performance.now();
      return codeOf(dispatcher.request({ op: 'ok', n: i }, { timeoutMs, signal: controller.signal })).then(
        (code) => ({ code, after: performance.now() - calledAt }),
      );
    });
    const outcomes = await Promise.all(calls);
    expect(new Set(outcomes.map((o) => o.code))).toEqual(new Set(['TIMEOUT']));
    expect(outcomes.filter((o) => o.after < timeoutMs)).toEqual([]);
    server.stop();
    await hung;
  });
});
