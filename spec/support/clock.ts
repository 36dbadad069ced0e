import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';

/** A clock the test sets by hand; scheduling still runs on real time (for event timestamps). */
export function manualClock(start = 0): SchedulerLike & { t: number } {
  const clock = {
    t: start,
    now: () => clock.t,
    schedule<T>(
      work: (this: SchedulerAction<T>, state?: T) => void,
      delay?: number,
      state?: T,
    ): Subscription {
      return asyncScheduler.schedule(work, delay, state);
    },
  };
  return clock;
}
