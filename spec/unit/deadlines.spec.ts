import { asyncScheduler, type SchedulerLike, Subscription, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { MAX_TIMER_MS } from '../../lib/internal/time/clock.js';
import { Deadlines } from '../../lib/internal/time/deadlines.js';
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
