import { asyncScheduler, type SchedulerLike, Subscription, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { timeoutProvider } from 'rxjs/internal/scheduler/timeoutProvider';

import { MAX_TIMER_MS } from '../../lib/internal/time/clock.js';
import { Deadlines, type Timed } from '../../lib/internal/time/deadlines.js';
import { recordDelays } from '../support/clock.js';

const virtual = (): TestScheduler => new TestScheduler((a, b) => expect(a).toEqual(b));

describe('Deadlines', () => {
  it('fires each timeout after its duration, in the order they were set', () =>
    virtual().run(({ flush }) => {
      const deadlines = new Deadlines(10);
      const fired: [string, number][] = [];
      const note = (name: string) => (): void => void fired.push([name, asyncScheduler.now()]);
      deadlines.add(note('a'));
      asyncScheduler.schedule(() => {
        deadlines.add(note('b'));
        deadlines.add(note('c'));
      }, 4);
      flush();
      expect(fired).toEqual([
        ['a', 10],
        ['b', 14],
        ['c', 14],
      ]);
    }));

  it('skips cancelled timeouts and schedules nothing once none is pending', () =>
    virtual().run(({ flush }) => {
      const deadlines = new Deadlines(5);
      const fired: string[] = [];
      const cancelA = deadlines.add(() => fired.push('a'));
      deadlines.add(() => fired.push('b'));
      cancelA();
      cancelA(); // idempotent
      flush();
      expect(fired).toEqual(['b']);
      const cancelC = deadlines.add(() => fired.push('c'));
      cancelC(); // the last pending one: the scheduled action is cancelled too
      flush();
      expect(fired).toEqual(['b']);
    }));

  it('keeps working across idle periods', () =>
    virtual().run(({ flush }) => {
      const deadlines = new Deadlines(3);
      const fired: number[] = [];
      deadlines.add(() => fired.push(asyncScheduler.now()));
      flush();
      asyncScheduler.schedule(() => deadlines.add(() => fired.push(asyncScheduler.now())), 20);
      flush();
      expect(fired).toEqual([3, 26]); // added at 3 + 20, fired 3 later
    }));

  it('tells onIdle when its last pending timeout is cancelled or fires, and is reusable after', () =>
    virtual().run(({ flush }) => {
      const idle = jest.fn();
      const deadlines = new Deadlines(5, undefined, idle);
      const fired: number[] = [];
      const cancelA = deadlines.add(() => fired.push(1));
      const cancelB = deadlines.add(() => fired.push(2));
      expect(deadlines.idle).toBe(false);
      cancelA();
      expect(idle).not.toHaveBeenCalled(); // B is still pending
      cancelB();
      expect(idle).toHaveBeenCalledTimes(1);
      expect(idle).toHaveBeenLastCalledWith(deadlines);
      expect(deadlines.idle).toBe(true);
      deadlines.add(() => fired.push(asyncScheduler.now()));
      flush();
      expect(fired).toEqual([5]);
      expect(idle).toHaveBeenCalledTimes(2); // idle again once it fired
    }));

  it('a timeout added from inside a firing one is served by the one timer', () => {
    jest.useFakeTimers();
    try {
      const deadlines = new Deadlines(5);
      const fired: string[] = [];
      deadlines.add(() => {
        fired.push('a');
        deadlines.add(() => fired.push('b'));
      });
      jest.advanceTimersByTime(5);
      expect(fired).toEqual(['a']);
      expect(jest.getTimerCount()).toBe(1); // b's, and no stray second one
      jest.advanceTimersByTime(5);
      expect(fired).toEqual(['a', 'b']);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('cancelling the last pending one from inside a firing one goes idle once, after it', () =>
    virtual().run(({ flush }) => {
      const idle = jest.fn();
      const deadlines = new Deadlines(5, undefined, idle);
      let cancelLater: () => void = () => undefined;
      deadlines.add(() => {
        cancelLater();
        expect(idle).not.toHaveBeenCalled(); // not while it is still expiring
      });
      asyncScheduler.schedule(() => (cancelLater = deadlines.add(() => undefined)), 1);
      flush();
      expect(idle).toHaveBeenCalledTimes(1);
    }));

  it('keeps the timer of the rest when a fire throws', () => {
    // A scheduler that runs by hand, so the error reaches the test instead of a timer.
    const queue: { work: () => void; at: number }[] = [];
    let now = 0;
    const scheduler: SchedulerLike = {
      now: () => now,
      schedule: (work: () => void, delay = 0) => {
        queue.push({ work, at: now + delay });
        return new Subscription();
      },
    } as SchedulerLike;
    const deadlines = new Deadlines(5, scheduler);
    const fired: string[] = [];
    deadlines.add(() => {
      throw new Error('boom');
    });
    now = 1;
    deadlines.add(() => fired.push('b'));
    now = 5;
    expect(() => queue.shift()?.work()).toThrow('boom');
    expect(queue).toEqual([{ work: expect.any(Function) as unknown, at: 6 }]);
    now = 6;
    queue.shift()?.work();
    expect(fired).toEqual(['b']);
  });

  it('waits longer than 2³¹−1 ms in steps a timer can take, firing exactly on time', () => {
    const scheduler = new VirtualTimeScheduler();
    const delays = recordDelays(scheduler);
    const long = 2 * MAX_TIMER_MS + 7;
    const deadlines = new Deadlines(long, scheduler);
    const fired: number[] = [];
    deadlines.add(() => fired.push(scheduler.now()));
    scheduler.flush();
    expect(fired).toEqual([long]);
    expect(delays).toEqual([MAX_TIMER_MS, MAX_TIMER_MS, 7]);
  });
});

describe('Deadlines on the default clock', () => {
  afterEach(() => jest.useRealTimers());

  it('on the platform’s timers, keeps one timer across idle periods instead of clearing and making one', async () => {
    const made = jest.spyOn(timeoutProvider, 'setTimeout');
    try {
      const deadlines = new Deadlines(30);
      for (let i = 0; i < 10; i++) deadlines.add(() => undefined)(); // idle after each
      expect(made).toHaveBeenCalledTimes(1); // unref'd while idle, ref'd again by the next
      const start = performance.now();
      const firedAt = await new Promise<number>((resolve) => deadlines.add(() => resolve(performance.now())));
      expect(firedAt - start).toBeGreaterThanOrEqual(30); // never early, though the timer is older
      expect(firedAt - start).toBeLessThan(30 + 25);
      deadlines.release();
    } finally {
      made.mockRestore();
    }
  });

  it('under fake timers, leaves no timer once none is pending', () => {
    jest.useFakeTimers();
    const deadlines = new Deadlines(20);
    deadlines.add(() => undefined)();
    expect(jest.getTimerCount()).toBe(0);
    const fired = jest.fn();
    deadlines.add(fired);
    jest.advanceTimersByTime(20);
    expect(fired).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('does not reuse an idle real timer once fake timers run the clock', () => {
    const deadlines = new Deadlines(5);
    deadlines.add(() => undefined)(); // a kept, idle, real timer
    jest.useFakeTimers();
    const fired = jest.fn();
    deadlines.add(fired);
    jest.advanceTimersByTime(5);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('drops cancelled heads at once, so a bucket that never goes idle does not grow', () => {
    jest.useFakeTimers();
    const deadlines = new Deadlines(1_000);
    const fired: string[] = [];
    let previous = deadlines.add(() => fired.push('first'));
    for (let i = 0; i < 10_000; i++) {
      const next = deadlines.add(() => fired.push('later'));
      previous(); // always one pending, as a client keeping one request in flight
      previous = next;
    }
    expect(deadlines.idle).toBe(false);
    jest.advanceTimersByTime(1_000);
    expect(fired).toEqual(['later']);
  });

  it('keeps due order when a timeout is armed with an earlier start than the ones before it', () =>
    virtual().run(({ flush }) => {
      const deadlines = new Deadlines(10);
      const fired: [string, number][] = [];
      const note = (name: string): Timed => ({
        dueAt: 0,
        timedBy: undefined,
        onDeadline: () => void fired.push([name, asyncScheduler.now()]),
      });
      asyncScheduler.schedule(() => {
        deadlines.arm(note('late'), 5);
        deadlines.arm(note('early'), 0); // a call started before, armed after (its send ran a handler)
        deadlines.arm(note('latest'), 5);
      }, 5);
      flush();
      expect(fired).toEqual([
        ['early', 10],
        ['late', 15],
        ['latest', 15],
      ]);
    }));

  it('on real timers, unrefs its kept timer one macrotask after going idle, not once per request', async () => {
    const probe = setTimeout(() => undefined, 0);
    const timeoutPrototype = Object.getPrototypeOf(probe) as { ref(): unknown; unref(): unknown };
    clearTimeout(probe);
    const ref = jest.spyOn(timeoutPrototype, 'ref');
    const unref = jest.spyOn(timeoutPrototype, 'unref');
    try {
      const deadlines = new Deadlines(60_000);
      for (let i = 0; i < 100; i++) deadlines.add(() => undefined)(); // a loop of sequential requests
      expect(deadlines.idle).toBe(true);
      expect(ref).not.toHaveBeenCalled();
      const unrefsBefore = unref.mock.calls.length;
      await new Promise((resolve) => setTimeout(resolve, 5));
      // The bucket's timer, and the sweep's own unref'd timer: nothing holds the process now.
      expect(unref.mock.calls.length - unrefsBefore).toBe(1);
      deadlines.release();
    } finally {
      ref.mockRestore();
      unref.mockRestore();
    }
  });
});

describe('Deadlines.armQueued: one clock reading for a run of queued requests', () => {
  afterEach(() => jest.restoreAllMocks());

  const entry = (onDeadline: () => void = () => undefined): Timed => ({
    dueAt: 0,
    timedBy: undefined,
    onDeadline,
  });
  /** Drives the default clock by hand (the timers stay the platform's, so armQueued defers). */
  const handClock = (start: number): { set(t: number): void; reads(): number } => {
    let now = start;
    const spy = jest.spyOn(performance, 'now').mockImplementation(() => now);
    return { set: (t) => void (now = t), reads: () => spy.mock.calls.length };
  };

  /**
   * Nine queued requests in quick succession, each read at once (the first, after a long idle,
   * starts the streak): the window grows to two.
   */
  const warm = (deadlines: Deadlines, clock: { set(t: number): void }, from: number): Timed[] =>
    Array.from({ length: 9 }, (_, i) => {
      const e = entry();
      clock.set(from + i / 8);
      deadlines.armQueued(e);
      return e;
    });

  it('stamps each window from a reading taken after its last send, never before any of them', async () => {
    const clock = handClock(100);
    const deadlines = new Deadlines(50);
    const first = warm(deadlines, clock, 100);
    expect(first.map((e) => e.dueAt)).toEqual([
      150, 150.125, 150.25, 150.375, 150.5, 150.625, 150.75, 150.875, 151,
    ]);
    const sent = Array.from({ length: 4 }, () => entry());
    clock.set(101.5);
    deadlines.armQueued(sent[0] as Timed); // waits for the next reading
    expect(sent[0]?.dueAt).toBe(Infinity);
    clock.set(101.75);
    deadlines.armQueued(sent[1] as Timed); // fills the window: one reading for both; window 4
    clock.set(102);
    deadlines.armQueued(sent[2] as Timed);
    deadlines.armQueued(sent[3] as Timed);
    clock.set(102.5);
    await Promise.resolve(); // the end of the synchronous run reads for the rest
    expect(sent.map((e) => e.dueAt)).toEqual([151.75, 151.75, 152.5, 152.5]);
    expect(clock.reads()).toBe(12); // thirteen requests: eleven readings, and the timer's one
    for (const e of [...first, ...sent]) deadlines.cancel(e);
    deadlines.release();
  });

  it('a window whose sends took over 1 ms shrinks to one request, read at once', () => {
    const clock = handClock(0);
    const deadlines = new Deadlines(50);
    const first = warm(deadlines, clock, 0);
    const sent = Array.from({ length: 3 }, () => entry());
    clock.set(1.5);
    deadlines.armQueued(sent[0] as Timed); // waits
    clock.set(6); // the caller worked 5 ms before its next send
    deadlines.armQueued(sent[1] as Timed); // fills the window: late by those 5 ms, never early
    clock.set(6.25);
    deadlines.armQueued(sent[2] as Timed); // that window was slow: read at once again
    expect(sent.map((e) => e.dueAt)).toEqual([56, 56, 56.25]);
    for (const e of [...first, ...sent]) deadlines.cancel(e);
    deadlines.release();
  });

  it('shrinks back to one when a run ends having made a single request wait', async () => {
    const clock = handClock(0);
    const deadlines = new Deadlines(50);
    const first = warm(deadlines, clock, 0);
    const lone = entry();
    clock.set(1.125);
    deadlines.armQueued(lone); // waits, alone in its run: the microtask reads for it
    clock.set(1.25);
    await Promise.resolve();
    expect(lone.dueAt).toBe(51.25);
    const next = entry();
    clock.set(2);
    deadlines.armQueued(next); // read at once: one request per turn gains nothing by waiting
    expect(next.dueAt).toBe(52);
    for (const e of [...first, lone, next]) deadlines.cancel(e);
    deadlines.release();
  });

  it('keeps its window when the requests that waited were answered before the run ended', async () => {
    const clock = handClock(0);
    const deadlines = new Deadlines(50);
    const first = warm(deadlines, clock, 0);
    for (const e of first) deadlines.cancel(e);
    const turn = (at: number): Timed[] => {
      clock.set(at);
      const sent = [entry()];
      deadlines.armQueued(sent[0] as Timed); // window 2: waits
      return sent;
    };
    const answered = turn(1.5);
    for (const e of answered) deadlines.cancel(e);
    const other = entry();
    deadlines.armQueued(other); // the second to wait this run: a reading saved
    deadlines.cancel(other);
    const readsBefore = clock.reads();
    await Promise.resolve();
    expect(clock.reads()).toBe(readsBefore); // nothing left to read for
    const later = turn(2); // still window 2: it waits again
    expect(later[0]?.dueAt).toBe(Infinity);
    await Promise.resolve();
    expect(later[0]?.dueAt).toBe(52);
    deadlines.release();
  });

  it('fires every queued timeout no earlier than its duration after its send, on real time', async () => {
    const deadlines = new Deadlines(15);
    const early: number[] = [];
    const fired = Array.from(
      { length: 200 },
      () =>
        new Promise<void>((resolve) => {
          const sentAt = performance.now();
          deadlines.armQueued(
            entry(() => {
              if (performance.now() - sentAt < 15) early.push(performance.now() - sentAt);
              resolve();
            }),
          );
        }),
    );
    await Promise.all(fired);
    expect(early).toEqual([]);
    expect(deadlines.idle).toBe(true);
    deadlines.release();
  });

  it('lets cancelled ones that never had a reading go, and reads nothing for them', async () => {
    const clock = handClock(0);
    const deadlines = new Deadlines(50);
    const first = warm(deadlines, clock, 0);
    const sent = [entry()];
    deadlines.armQueued(sent[0] as Timed); // waits
    const readsBefore = clock.reads();
    for (const e of [...first, ...sent]) deadlines.cancel(e);
    expect(deadlines.idle).toBe(true);
    await Promise.resolve();
    expect(clock.reads()).toBe(readsBefore);
    const next = entry();
    clock.set(10);
    deadlines.armQueued(next); // nothing left waiting; the run ended with one: read at once
    expect(next.dueAt).toBe(60);
    deadlines.release();
  });

  it('serves requests queued by a firing timeout, once their reading comes', async () => {
    const deadlines = new Deadlines(5);
    const sentAt = new Map<string, number>();
    const firedAfter = new Map<string, number>();
    const queue = (name: string): void => {
      sentAt.set(name, performance.now());
      deadlines.armQueued(entry(() => firedAfter.set(name, performance.now() - (sentAt.get(name) ?? 0))));
    };
    const done = new Promise<void>((resolve) => {
      // A run of four grows the window past one, so the ones the fire queues wait for a reading.
      for (const name of ['a', 'b', 'c']) queue(name);
      sentAt.set('d', performance.now());
      deadlines.armQueued(
        entry(() => {
          firedAfter.set('d', performance.now() - (sentAt.get('d') ?? 0));
          queue('e');
          queue('f');
        }),
      );
      const poll = (): void => void (firedAfter.has('f') ? resolve() : setTimeout(poll, 2));
      poll();
    });
    await done;
    expect([...firedAfter.keys()].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect([...firedAfter.values()].filter((ms) => ms < 5)).toEqual([]);
    deadlines.release();
  });

  it('reads at once under fake timers, which run no microtask the way real time does', () => {
    jest.useFakeTimers({ now: 0 });
    try {
      const deadlines = new Deadlines(20);
      const fired: number[] = [];
      const sent = [entry(() => fired.push(0)), entry(() => fired.push(1))];
      deadlines.armQueued(sent[0] as Timed);
      jest.advanceTimersByTime(5);
      deadlines.armQueued(sent[1] as Timed);
      expect(sent.map((e) => e.dueAt)).toEqual([20, 25]);
      jest.advanceTimersByTime(20);
      expect(fired).toEqual([0, 1]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('reads at once on a foreign scheduler', () =>
    virtual().run(({ flush }) => {
      const deadlines = new Deadlines(10, asyncScheduler);
      const fired: number[] = [];
      asyncScheduler.schedule(() => deadlines.armQueued(entry(() => fired.push(asyncScheduler.now()))), 3);
      flush();
      expect(fired).toEqual([13]);
    }));
});
