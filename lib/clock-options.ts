import type { SchedulerLike } from 'rxjs';

/**
 * The `scheduler` option, shared by a server's options and a dispatcher's: one module clock for
 * everything that waits on time.
 *
 * @example
 * const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
 * const { dispatcher } = spawnModule(handler, { scheduler, timeoutMs: 1_000 }); // virtual time
 */
export interface ClockOptions {
  /**
   * The module's clock: request timeouts, rate-limit windows, drain deadlines and supervision
   * windows run on it, and lifecycle events are stamped with its `now()`. Any RxJS scheduler; by
   * default `asyncScheduler`'s timers on a monotonic clock (`performance.now()`: setting the
   * system clock moves no deadline, and durations are sub-millisecond). Tests pass a
   * `TestScheduler`, or keep the default under jest's or vitest's fake timers.
   */
  scheduler?: SchedulerLike;
}
