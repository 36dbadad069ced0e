import fc from 'fast-check';
import { asyncScheduler, mergeMap, Observable, takeUntil, timer, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { MAX_TIMER_MS } from '../../lib/internal/time/clock.js';
import { RateLimiter } from '../../lib/internal/time/rate-limiter.js';
import { recordDelays } from '../support/clock.js';

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Asks `limiter` for a grant on subscribe, emits `id` when granted; unsubscribing leaves the line. */
function acquire$(limiter: RateLimiter, id: string): Observable<string> {
  return new Observable<string>((subscriber) =>
    limiter.acquire(() => {
      subscriber.next(id);
      subscriber.complete();
    }),
  );
}

/** Each value of `calls$` asks for a grant; the result emits the ids as they are granted. */
function granted$(limiter: RateLimiter, calls$: Observable<string>): Observable<string> {
  return calls$.pipe(mergeMap((id) => acquire$(limiter, id)));
}

describe('RateLimiter', () => {
  describe('in virtual time (marbles)', () => {
    it('grants at once while under the limit', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const limiter = new RateLimiter(3, 10);
        expectObservable(granted$(limiter, cold('a-b-c'))).toBe('a-b-c');
      });
    });

    it('makes calls over the limit wait until the window has room, FIFO', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const limiter = new RateLimiter(2, 5);
        // a, b at 0 and 1; c may go at 5 (a's grant + 5), d at 6 (b's + 5), e at 10 (c's + 5).
        expectObservable(granted$(limiter, cold('abcde'))).toBe('ab---cd---e');
      });
    });

    it('is a sliding window, not a fixed one: room comes back grant by grant', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const limiter = new RateLimiter(2, 10);
        // a at 0, b at 6: c waits for a's grant to leave the window (10), d for b's (16).
        expectObservable(granted$(limiter, cold('a 5ms b 1ms c 1ms d'))).toBe('a 5ms b 3ms c 5ms d');
      });
    });

    it('with limit 1 spaces grants exactly intervalMs apart', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const limiter = new RateLimiter(1, 4);
        expectObservable(granted$(limiter, cold('(abc)'))).toBe('a 3ms b 3ms c');
      });
    });

    it('lets a call made after the window has passed go at once', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const limiter = new RateLimiter(1, 3);
        expectObservable(granted$(limiter, cold('a 9ms b'))).toBe('a 9ms b');
      });
    });

    it('skips a waiter that left the line: it takes no grant, the next one moves up', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const limiter = new RateLimiter(1, 5);
        const a$ = acquire$(limiter, 'a');
        const b$ = acquire$(limiter, 'b').pipe(takeUntil(cold('--x'))); // leaves at 2
        const c$ = acquire$(limiter, 'c');
        // Without b, c takes the grant b would have had at 5.
        expectObservable(
          cold('(abc)').pipe(mergeMap((id) => ({ a: a$, b: b$, c: c$ })[id] as Observable<string>)),
        ).toBe('a----c');
      });
    });

    it('frees the line entirely when its only waiter leaves: the next call goes at once if there is room', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const limiter = new RateLimiter(1, 5);
        const calls = {
          a: acquire$(limiter, 'a'),
          b: acquire$(limiter, 'b').pipe(takeUntil(cold('-x'))), // waits at 0, leaves at 1
          c: acquire$(limiter, 'c'), // at 6: a's grant has left the window
        };
        // A group takes as many frames as it has characters: c is called at 4 + 2 = 6.
        expectObservable(cold('(ab) 2ms c').pipe(mergeMap((id) => calls[id as keyof typeof calls]))).toBe(
          'a 5ms c',
        );
      });
    });
  });

  describe('tryAcquire', () => {
    it('grants while under the limit, then refuses without waiting', () => {
      testScheduler().run(() => {
        const limiter = new RateLimiter(2, 10);
        expect([limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire()]).toEqual([
          true,
          true,
          false,
        ]);
      });
    });

    it('grants again once the oldest grant has left the window, not before', () => {
      const seen: [number, boolean][] = [];
      testScheduler().run(() => {
        const limiter = new RateLimiter(1, 10);
        limiter.tryAcquire();
        for (const t of [9, 10]) timer(t).subscribe(() => seen.push([t, limiter.tryAcquire()]));
      });
      expect(seen).toEqual([
        [9, false],
        [10, true],
      ]);
    });

    it('counts grants made by acquire(), and acquire() counts those of tryAcquire()', () => {
      testScheduler().run(() => {
        const limiter = new RateLimiter(2, 10);
        const run = jest.fn();
        limiter.acquire(run);
        expect(run).toHaveBeenCalledTimes(1);
        expect(limiter.tryAcquire()).toBe(true);

        limiter.acquire(run);
        expect(run).toHaveBeenCalledTimes(1); // over the limit: waits
      });
    });

    it('refuses while others wait, even when the window has room: those in line come first', () => {
      const seen: string[] = [];
      testScheduler().run(() => {
        const limiter = new RateLimiter(1, 10);
        // Scheduled before the limiter's own timer, so it runs first at t = 10, when there is room.
        timer(10).subscribe(() => seen.push(`try:${String(limiter.tryAcquire())}`));
        limiter.acquire(() => seen.push('a'));
        limiter.acquire(() => seen.push('b')); // waits for t = 10
      });
      expect(seen).toEqual(['a', 'try:false', 'b']);
    });

    it('grants again once the only waiter has left the line', () => {
      const seen: [number, boolean][] = [];
      testScheduler().run(() => {
        const limiter = new RateLimiter(1, 10);
        limiter.tryAcquire();
        const leave = limiter.acquire(() => seen.push([-1, true]));
        timer(5).subscribe(() => leave());
        for (const t of [9, 10]) timer(t).subscribe(() => seen.push([t, limiter.tryAcquire()]));
      });
      // The waiter never ran, and left no one in line to stop tryAcquire once there is room.
      expect(seen).toEqual([
        [9, false],
        [10, true],
      ]);
    });
  });

  describe('acquire', () => {
    it('runs a call that is under the limit synchronously, and its leave function is harmless', () => {
      testScheduler().run(() => {
        const limiter = new RateLimiter(1, 10);
        const run = jest.fn();

        const leave = limiter.acquire(run);

        expect(run).toHaveBeenCalledTimes(1);
        expect(() => leave()).not.toThrow();
        expect(limiter.tryAcquire()).toBe(false); // the grant still counts
      });
    });

    it('leaving after the grant changes nothing', () => {
      const seen: string[] = [];
      testScheduler().run(() => {
        const limiter = new RateLimiter(1, 5);
        limiter.acquire(() => seen.push('a'));
        const leaveB = limiter.acquire(() => seen.push(`b@${asyncScheduler.now()}`));
        limiter.acquire(() => seen.push(`c@${asyncScheduler.now()}`));
        timer(7).subscribe(() => {
          leaveB(); // b was granted at 5 already
          leaveB();
        });
      });
      expect(seen).toEqual(['a', 'b@5', 'c@10']);
    });

    it('leaving twice counts once', () => {
      const seen: string[] = [];
      testScheduler().run(() => {
        const limiter = new RateLimiter(1, 5);
        limiter.acquire(() => seen.push('a'));
        const leaveB = limiter.acquire(() => seen.push('b'));
        limiter.acquire(() => seen.push(`c@${asyncScheduler.now()}`));
        limiter.acquire(() => seen.push(`d@${asyncScheduler.now()}`));
        leaveB();
        leaveB();
      });
      expect(seen).toEqual(['a', 'c@5', 'd@10']);
    });

    it('lets a granted call join the line again from inside its run, behind those already waiting', () => {
      const seen: string[] = [];
      testScheduler().run(() => {
        const limiter = new RateLimiter(2, 10);
        limiter.acquire(() => seen.push('a@0'));
        limiter.acquire(() => seen.push('b@0'));
        limiter.acquire(() => {
          seen.push(`c@${asyncScheduler.now()}`);
          limiter.acquire(() => seen.push(`c2@${asyncScheduler.now()}`));
        });
        limiter.acquire(() => seen.push(`d@${asyncScheduler.now()}`));
      });
      expect(seen).toEqual(['a@0', 'b@0', 'c@10', 'd@10', 'c2@20']);
    });
  });

  describe('windows longer than a timer can take', () => {
    it('waits in steps of at most 2³¹−1 ms and grants exactly when the window has room', () => {
      const scheduler = new VirtualTimeScheduler();
      const delays = recordDelays(scheduler);
      const long = 2 * MAX_TIMER_MS + 3;
      const limiter = new RateLimiter(1, long, scheduler);
      const granted: number[] = [];
      limiter.acquire(() => granted.push(scheduler.now()));
      limiter.acquire(() => granted.push(scheduler.now()));
      scheduler.flush();
      expect(granted).toEqual([0, long]);
      expect(delays).toEqual([MAX_TIMER_MS, MAX_TIMER_MS, 3]);
    });

    it('a timer that wakes early only waits again', () => {
      // The timer fires, but the clock says the window has not passed yet (a real timer may be
      // a fraction of a millisecond fast): nobody is granted early, and it waits the rest.
      const scheduler = new VirtualTimeScheduler();
      let skew = 0;
      const clock = { now: () => scheduler.now() - skew, schedule: scheduler.schedule.bind(scheduler) };
      const limiter = new RateLimiter(1, 10, clock);
      const granted: number[] = [];
      limiter.acquire(() => granted.push(clock.now()));
      limiter.acquire(() => granted.push(clock.now()));
      skew = 2;
      scheduler.flush();
      expect(granted).toEqual([0, 10]);
    });
  });

  describe('flush', () => {
    it('runs every waiting caller at once, in call order, skipping those that left', () => {
      const seen: string[] = [];
      testScheduler().run(() => {
        const limiter = new RateLimiter(1, 10);
        limiter.acquire(() => seen.push(`a@${asyncScheduler.now()}`));
        limiter.acquire(() => seen.push(`b@${asyncScheduler.now()}`));
        const leaveC = limiter.acquire(() => seen.push(`c@${asyncScheduler.now()}`));
        limiter.acquire(() => seen.push(`d@${asyncScheduler.now()}`));
        timer(2).subscribe(() => leaveC());
        timer(3).subscribe(() => limiter.flush());
      });
      // Nobody runs twice: the cancelled timer grants nothing at t = 10.
      expect(seen).toEqual(['a@0', 'b@3', 'd@3']);
    });

    it('leaves nobody waiting, so tryAcquire depends on the window alone afterwards', () => {
      const seen: [number, boolean][] = [];
      testScheduler().run(() => {
        const limiter = new RateLimiter(1, 10);
        limiter.acquire(() => undefined);
        limiter.acquire(() => undefined);
        timer(3).subscribe(() => limiter.flush());
        for (const t of [9, 10]) timer(t).subscribe(() => seen.push([t, limiter.tryAcquire()]));
      });
      expect(seen).toEqual([
        [9, false],
        [10, true],
      ]);
    });

    it('makes leave functions of flushed callers harmless', () => {
      const run = jest.fn();
      testScheduler().run(() => {
        const limiter = new RateLimiter(1, 10);
        limiter.tryAcquire();
        const leave = limiter.acquire(run);
        limiter.flush();
        leave();
        leave();
      });
      expect(run).toHaveBeenCalledTimes(1);
    });

    it('with nobody waiting does nothing', () => {
      testScheduler().run(() => {
        const limiter = new RateLimiter(2, 10);
        limiter.flush();
        expect([limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire()]).toEqual([
          true,
          true,
          false,
        ]);
      });
    });
  });

  /**
   * Calls `acquire` at each arrival time (ties in array order) and records when each is granted.
   * `leaveAt[i]`, when set, makes call i leave the line at that time.
   */
  function simulate(
    limit: number,
    intervalMs: number,
    arrivals: readonly number[],
    leaveAt: readonly (number | undefined)[] = [],
  ): { id: number; at: number }[] {
    const grants: { id: number; at: number }[] = [];
    testScheduler().run(() => {
      const limiter = new RateLimiter(limit, intervalMs);
      arrivals.forEach((t, id) => {
        timer(t).subscribe(() => {
          const leave = limiter.acquire(() => grants.push({ id, at: asyncScheduler.now() }));
          const at = leaveAt[id];
          if (at !== undefined) timer(at - t).subscribe(leave);
        });
      });
    });
    return grants;
  }

  /** Call ids in the order the calls were made: by time, ties in array order. */
  function callOrder(arrivals: readonly number[]): number[] {
    return arrivals
      .map((t, id) => ({ t, id }))
      .sort((x, y) => x.t - y.t || x.id - y.id)
      .map(({ id }) => id);
  }

  /** The most grants any window [t, t + intervalMs) holds. */
  function busiestWindow(times: readonly number[], intervalMs: number): number {
    let most = 0;
    for (const start of times)
      most = Math.max(most, times.filter((t) => t >= start && t < start + intervalMs).length);
    return most;
  }

  const limits = fc.integer({ min: 1, max: 5 });
  const intervals = fc.integer({ min: 1, max: 20 });
  const arrivalTimes = fc.array(fc.nat({ max: 60 }), { maxLength: 30 });

  it('property: never more than `limit` grants in any window of intervalMs, all granted, in call order', () => {
    fc.assert(
      fc.property(limits, intervals, arrivalTimes, (limit, intervalMs, arrivals) => {
        const grants = simulate(limit, intervalMs, arrivals);

        expect(grants.map((g) => g.id)).toEqual(callOrder(arrivals));
        expect(
          busiestWindow(
            grants.map((g) => g.at),
            intervalMs,
          ),
        ).toBeLessThanOrEqual(limit);
        for (const { id, at } of grants) expect(at).toBeGreaterThanOrEqual(arrivals[id] as number);
      }),
    );
  });

  it('property: each call is granted at the earliest time FIFO and the window allow', () => {
    // The k-th call (in call order) goes at max(its arrival, the (k-1)-th grant, the (k-limit)-th grant + intervalMs).
    fc.assert(
      fc.property(limits, intervals, arrivalTimes, (limit, intervalMs, arrivals) => {
        const grants = simulate(limit, intervalMs, arrivals);

        const expected: number[] = [];
        callOrder(arrivals).forEach((id, k) => {
          expected.push(
            Math.max(
              arrivals[id] as number,
              expected[k - 1] ?? 0,
              (expected[k - limit] ?? -Infinity) + intervalMs,
            ),
          );
        });
        expect(grants.map((g) => g.at)).toEqual(expected);
      }),
    );
  });

  it('property: with calls leaving the line, the window still holds and the rest keep call order', () => {
    fc.assert(
      fc.property(
        limits,
        intervals,
        fc.array(fc.tuple(fc.nat({ max: 60 }), fc.option(fc.nat({ max: 40 }), { nil: undefined })), {
          maxLength: 30,
        }),
        (limit, intervalMs, calls) => {
          const arrivals = calls.map(([t]) => t);
          const leaveAt = calls.map(([t, stay]) => (stay === undefined ? undefined : t + stay));
          const grants = simulate(limit, intervalMs, arrivals, leaveAt);

          const granted = grants.map((g) => g.id);
          // In call order, and nobody granted twice.
          expect(granted).toEqual(callOrder(arrivals).filter((id) => granted.includes(id)));
          expect(new Set(granted).size).toBe(granted.length);
          expect(
            busiestWindow(
              grants.map((g) => g.at),
              intervalMs,
            ),
          ).toBeLessThanOrEqual(limit);
          for (const { id, at } of grants) {
            const left = leaveAt[id];
            // A call that left the line was granted before it left, if at all (ties: the grant may come first).
            if (left !== undefined) expect(at).toBeLessThanOrEqual(left);
          }
          // Everyone who never left is granted.
          calls.forEach(([, stay], id) => {
            if (stay === undefined) expect(granted).toContain(id);
          });
        },
      ),
    );
  });
});
