import { asyncScheduler, interval, lastValueFrom, NEVER, take, timer, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { SparkGenericModuleDispatcher, ModuleChannel, spawnModule } from '../lib/index.js';
import { longTimer, MAX_TIMER_MS, monotonicScheduler, timerDelay } from '../lib/internal/time/clock.js';
import { codeOf, deferred } from './support/helpers.js';
import { recordDelays } from './support/clock.js';

type Msg = { op: 'hang' | 'ok'; n: number };
const handler = {
  handleRequest: (m: Msg) => (m.op === 'hang' ? NEVER : m.n),
  handleCommand: () => undefined,
};

describe('the module clock (option scheduler)', () => {
  it('times requests out on the given scheduler', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { dispatcher, server } = spawnModule(handler, { scheduler, timeoutMs: 500 });
    const pending = codeOf(dispatcher.request({ op: 'hang', n: 1 }));
    scheduler.flush(); // 500 virtual ms pass at once
    expect(await pending).toBe('TIMEOUT');
    server.stop();
  });

  it('runs rate-limit windows on it', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { dispatcher, server } = spawnModule(handler, {
      scheduler,
      rateLimit: { limit: 1, intervalMs: 1_000 },
    });
    const sent: number[] = [];
    const a = dispatcher.sendCommand({ op: 'ok', n: 1 }).then(() => sent.push(scheduler.now()));
    const b = dispatcher.sendCommand({ op: 'ok', n: 2 }).then(() => sent.push(scheduler.now()));
    await a;
    scheduler.flush();
    await b;
    expect(sent).toEqual([0, 1_000]);
    server.stop();
  });

  it('runs drain deadlines on it', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { dispatcher, server } = spawnModule(handler, { scheduler });
    const pending = codeOf(dispatcher.request({ op: 'hang', n: 1 }));
    const report = server.drain(2_000);
    scheduler.flush();
    await expect(report).resolves.toMatchObject({ outcome: 'deadline', aborted: 1 });
    expect(await pending).toBe('RECEIVE_FAILED');
  });

  it('is driven by TestScheduler marbles where the code is purely observable', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ expectObservable }) => {
      const { dispatcher, server } = spawnModule(handler, { scheduler: testScheduler });
      expectObservable(dispatcher.request$({ op: 'ok', n: 7 })).toBe('(a|)', { a: 7 });
      // The handler never answers: the 300 ms timeout fires in virtual time.
      expectObservable(dispatcher.request$({ op: 'hang', n: 1 }, { timeoutMs: 300 })).toBe(
        '300ms #',
        undefined,
        expect.objectContaining({ code: 'TIMEOUT' }) as unknown,
      );
      testScheduler.schedule(() => server.stop(), 1_000);
    });
  });

  it('follows jest fake timers with the default scheduler', async () => {
    jest.useFakeTimers();
    try {
      const { dispatcher, server } = spawnModule(handler);
      const settled = deferred<string>();
      void codeOf(dispatcher.request({ op: 'hang', n: 1 }, { timeoutMs: 10_000 })).then(settled.resolve);
      await jest.advanceTimersByTimeAsync(9_999);
      let done = false;
      void settled.promise.then(() => (done = true));
      await Promise.resolve();
      expect(done).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(await settled.promise).toBe('TIMEOUT');
      server.stop();
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses a scheduler that is not one, naming it', () => {
    expect(() => new SparkGenericModuleDispatcher(new ModuleChannel(), { scheduler: {} as never })).toThrow(
      new TypeError(
        'Expected `scheduler` to be an RxJS scheduler (now() and schedule()), got an object ([object Object])',
      ),
    );
    expect(() => spawnModule(handler, { scheduler: Date as never })).toThrow(TypeError);
  });

  it('keeps the module on real time when none is given', async () => {
    const { dispatcher, server } = spawnModule(handler);
    await expect(lastValueFrom(dispatcher.request$({ op: 'ok', n: 3 }))).resolves.toBe(3);
    server.stop();
  });
});

describe('the default clock (monotonicScheduler)', () => {
  it('reads performance.now(), not Date.now()', () => {
    const now = jest.spyOn(performance, 'now').mockReturnValue(1_234.5);
    jest.spyOn(Date, 'now').mockReturnValue(99);
    expect(monotonicScheduler.now()).toBe(1_234.5);
    expect(now).toHaveBeenCalled();
  });

  it('runs timer() and interval() on real timers, rescheduling from inside the work', async () => {
    jest.useFakeTimers();
    try {
      const seen: number[] = [];
      timer(10, monotonicScheduler).subscribe(() => seen.push(monotonicScheduler.now()));
      interval(5, monotonicScheduler)
        .pipe(take(3))
        .subscribe(() => seen.push(monotonicScheduler.now()));
      const start = monotonicScheduler.now();
      await jest.advanceTimersByTimeAsync(20);
      expect(seen.map((t) => t - start)).toEqual([5, 10, 10, 15]);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('passes the state to the work, as asyncScheduler does', async () => {
    const state = await new Promise<string>((resolve) => {
      monotonicScheduler.schedule((value) => resolve(value as string), 0, 'the state');
    });
    expect(state).toBe('the state');
  });

  it('follows TestScheduler.run, which patches its clock with asyncScheduler’s', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ flush }) => {
      const seen: number[] = [];
      timer(7, monotonicScheduler).subscribe(() => seen.push(monotonicScheduler.now()));
      flush();
      expect(seen).toEqual([7]);
      expect(monotonicScheduler.now()).toBe(asyncScheduler.now());
    });
  });
});

describe('longTimer', () => {
  it('is one timer up to 2³¹−1 ms, fired on time', () => {
    const scheduler = new VirtualTimeScheduler();
    const schedule = jest.spyOn(scheduler, 'schedule');
    const fired: number[] = [];
    longTimer(MAX_TIMER_MS, scheduler, () => fired.push(scheduler.now()));
    scheduler.flush();
    expect(fired).toEqual([MAX_TIMER_MS]);
    expect(schedule).toHaveBeenCalledTimes(1);
  });

  it('waits longer in steps of at most 2³¹−1 ms, and fires exactly at the end', () => {
    const scheduler = new VirtualTimeScheduler();
    const delays = recordDelays(scheduler);
    const long = 3 * MAX_TIMER_MS + 5;
    const fired: number[] = [];
    longTimer(long, scheduler, () => fired.push(scheduler.now()));
    scheduler.flush();
    expect(fired).toEqual([long]);
    expect(delays).toEqual([MAX_TIMER_MS]); // the later steps reschedule the same action
  });

  it('is cancelled by its subscription, whichever step is pending', () => {
    const scheduler = new VirtualTimeScheduler();
    const fire = jest.fn();
    const subscription = longTimer(2 * MAX_TIMER_MS + 10, scheduler, fire);
    scheduler.schedule(() => subscription.unsubscribe(), MAX_TIMER_MS + 1); // during the second step
    scheduler.flush();
    expect(fire).not.toHaveBeenCalled();
  });

  it('takes a negative or NaN delay as 0, and Infinity as never', () => {
    const scheduler = new VirtualTimeScheduler();
    const fired: string[] = [];
    longTimer(-5, scheduler, () => fired.push('negative'));
    longTimer(Number.NaN, scheduler, () => fired.push('NaN'));
    const never = longTimer(Infinity, scheduler, () => fired.push('Infinity'));
    scheduler.schedule(() => never.unsubscribe(), 10 * MAX_TIMER_MS);
    scheduler.flush();
    expect(fired).toEqual(['negative', 'NaN']);
  });

  it('does not overflow real timers: a long wait is one pending timer of at most 2³¹−1 ms', () => {
    jest.useFakeTimers();
    try {
      const fire = jest.fn();
      const subscription = longTimer(Number.MAX_SAFE_INTEGER, monotonicScheduler, fire);
      jest.advanceTimersByTime(3 * MAX_TIMER_MS);
      expect(fire).not.toHaveBeenCalled();
      expect(jest.getTimerCount()).toBe(1);
      subscription.unsubscribe();
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('timerDelay', () => {
  it('clamps a delay to what a timer takes as given', () => {
    expect([-1, 0, 5.5, MAX_TIMER_MS, MAX_TIMER_MS + 1, Infinity, Number.NaN].map(timerDelay)).toEqual([
      0,
      0,
      5.5,
      MAX_TIMER_MS,
      MAX_TIMER_MS,
      MAX_TIMER_MS,
      0,
    ]);
  });
});
