// internal/time: the module clock, timers, request deadlines and rate limits.
import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
// RxJS's own monotonic clock: `performance.now()`, unless `TestScheduler.run` has patched in
// virtual time (it patches this provider along with asyncScheduler's timers and `now()`).
import { performanceTimestampProvider } from 'rxjs/internal/scheduler/performanceTimestampProvider';

/**
 * The longest delay a timer takes as given. Node runs a longer one after 1 ms instead (with a
 * TimeoutOverflowWarning), and so do browsers, silently: a longer wait has to be made of steps.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The library's default clock: RxJS's `asyncScheduler` for the timers, but `performance.now()`
 * for the time. `asyncScheduler.now()` is `Date.now()`, the wall clock, which steps when the
 * system clock is set (NTP, a user, a VM resumed): 5 s back would make a 200 ms timeout fire at
 * 5.2 s. `performance.now()` only moves forward.
 *
 * Both are looked up at each call, so fake timers installed later (jest's modern fake timers;
 * vitest ≥ 3 by default, vitest 2 with `'performance'` in `toFake`) and `TestScheduler.run`
 * drive it too.
 */
class MonotonicScheduler implements SchedulerLike {
  now(): number {
    return performanceTimestampProvider.now();
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
    // The action is asyncScheduler's own, so work that reschedules itself (`this.schedule`, as
    // `timer` and `interval` do) stays on real timers.
    return asyncScheduler.schedule(work, delay, state);
  }
}

/**
 * The default clock of dispatchers and module servers: `asyncScheduler`'s timers on a monotonic
 * time. Pass it wherever a module has no `scheduler` option of its own.
 */
export const monotonicScheduler: SchedulerLike = new MonotonicScheduler();

/**
 * Calls `fire` once `delayMs` have passed on `scheduler`'s clock, however long that is: up to
 * {@link MAX_TIMER_MS} it is one timer (as RxJS's `timer(delayMs, scheduler)`); beyond, a chain
 * of steps of at most that long, each re-reading the clock when it wakes, so it neither fires
 * early nor spins. Unsubscribing the result cancels it, whichever step is pending.
 *
 * @example
 * const deadline = longTimer(deadlineMs, scheduler, () => this.#halt('the deadline passed'));
 * // later: deadline.unsubscribe();
 */
export function longTimer(delayMs: number, scheduler: SchedulerLike, fire: () => void): Subscription {
  if (!(delayMs > MAX_TIMER_MS)) return scheduler.schedule(() => fire(), timerDelay(delayMs));
  const due = scheduler.now() + delayMs;
  return scheduler.schedule(function step(this: SchedulerAction<undefined>) {
    const left = due - scheduler.now();
    // Rescheduling the action itself keeps the first subscription the one that cancels it all.
    if (left > 0) this.schedule(undefined, Math.min(left, MAX_TIMER_MS));
    else fire();
  }, MAX_TIMER_MS);
}

/**
 * Whether `TestScheduler.run` has put the default clock on virtual time: work deferred to a
 * microtask would then never run inside `run()`, so the loop defers it on the clock as well.
 */
export function isVirtualTime(): boolean {
  return performanceTimestampProvider.delegate !== undefined;
}

/** A delay a timer takes as given: at most {@link MAX_TIMER_MS}, never negative. */
export function timerDelay(delayMs: number): number {
  return delayMs > MAX_TIMER_MS ? MAX_TIMER_MS : delayMs > 0 ? delayMs : 0;
}
