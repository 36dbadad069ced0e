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

/** Records the delay of every action scheduled on `scheduler` (which still runs them). */
export function recordDelays(scheduler: SchedulerLike): number[] {
  const delays: number[] = [];
  const realSchedule = scheduler.schedule.bind(scheduler);
  jest.spyOn(scheduler, 'schedule').mockImplementation((work, delay, state) => {
    delays.push(delay ?? 0);
    return realSchedule(work, delay, state);
  });
  return delays;
}
