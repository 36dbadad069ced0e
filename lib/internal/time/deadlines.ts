// Per timed request: one Entry (and the cancel closure returned by `add`). A bucket (this class,
// its ring and one scheduled action) is shared by every pending request of one duration.
import type { SchedulerLike, Subscription } from 'rxjs';

import { monotonicScheduler, timerDelay } from './clock.js';
import { RingQueue } from '../channel/ring-queue.js';

interface Entry {
  readonly at: number;
  fire: (() => void) | undefined; // undefined once cancelled or fired
}

/**
 * The number of timeout buckets a dispatcher holds (pending ones, and at most one idle spare):
 * @internal for the tests that check idle buckets are let go.
 */
export const kDeadlineBuckets = Symbol('spark-channel.deadlineBuckets');

/**
 * Timeouts of one duration expire in the order they were set, so one RxJS-scheduled action
 * serves them all: adding a timeout is a push, not a timer of its own (a timer costs more than
 * the rest of a request). The action is cancelled as soon as no timeout is pending, so none
 * outlives its request, and `onIdle` hears of it, so whoever keeps buckets by duration can let
 * this one go. Time comes from the module's clock (an RxJS scheduler; by default a monotonic one
 * on asyncScheduler's timers), so fake timers and `TestScheduler` drive it. A duration longer
 * than a timer can take (2³¹−1 ms) is waited for in steps: each wake re-reads the clock.
 */
export class Deadlines {
  #entries = new RingQueue<Entry>();
  #live = 0;
  #action: Subscription | undefined;
  #expiring = false;

  constructor(
    readonly durationMs: number,
    readonly scheduler: SchedulerLike = monotonicScheduler,
    readonly onIdle?: (deadlines: Deadlines) => void,
  ) {}

  /** Whether no timeout is pending. */
  get idle(): boolean {
    return this.#live === 0;
  }

  /** Calls `fire` after the duration unless the returned function is called first. */
  add(fire: () => void): () => void {
    const entry: Entry = { at: this.scheduler.now() + this.durationMs, fire };
    this.#entries.push(entry);
    // While expiring, #expire schedules for whatever is left once it is done.
    if (this.#live++ === 0 && !this.#expiring) this.#schedule(this.durationMs);
    return () => {
      if (entry.fire === undefined) return;
      entry.fire = undefined;
      if (--this.#live === 0 && !this.#expiring) this.#idle();
    };
  }

  #schedule(delay: number): void {
    this.#action = this.scheduler.schedule(() => this.#expire(), timerDelay(delay));
  }

  #expire(): void {
    this.#action = undefined;
    this.#expiring = true;
    try {
      const now = this.scheduler.now();
      for (let head = this.#entries.peek(); head !== undefined; head = this.#entries.peek()) {
        if (head.fire !== undefined && head.at > now) break;
        this.#entries.shift();
        const fire = head.fire;
        if (fire === undefined) continue;
        head.fire = undefined;
        this.#live--;
        fire();
      }
    } finally {
      // Also after a fire that threw: the timeouts still pending must not lose their timer.
      this.#expiring = false;
      if (this.#live === 0) this.#idle();
      else this.#schedule((this.#entries.peek() as Entry).at - this.scheduler.now());
    }
  }

  #idle(): void {
    this.#action?.unsubscribe();
    this.#action = undefined;
    this.#entries = new RingQueue(); // every entry left is a cancelled one
    this.onIdle?.(this);
  }
}
