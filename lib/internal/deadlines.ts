import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';

import { RingQueue } from './ring-queue.js';

interface Entry {
  readonly at: number;
  fire: (() => void) | undefined; // undefined once cancelled or fired
}

/**
 * Timeouts of one duration expire in the order they were set, so one RxJS-scheduled action
 * serves them all: adding a timeout is a push, not a timer of its own (a timer costs more than
 * the rest of a request). The action is cancelled as soon as no timeout is pending, so none
 * outlives its request. Time comes from the module's clock (an RxJS scheduler, `asyncScheduler` by default), so fake
 * timers and `TestScheduler` drive it.
 */
export class Deadlines {
  #entries = new RingQueue<Entry>();
  #live = 0;
  #action: Subscription | undefined;

  constructor(
    readonly durationMs: number,
    readonly scheduler: SchedulerLike = asyncScheduler,
  ) {}

  /** Calls `fire` after the duration unless the returned function is called first. */
  add(fire: () => void): () => void {
    const entry: Entry = { at: this.scheduler.now() + this.durationMs, fire };
    this.#entries.push(entry);
    if (this.#live++ === 0) this.#schedule(this.durationMs);
    return () => {
      if (entry.fire === undefined) return;
      entry.fire = undefined;
      if (--this.#live === 0) this.#idle();
    };
  }

  #schedule(delay: number): void {
    this.#action = this.scheduler.schedule(() => this.#expire(), Math.max(0, delay));
  }

  #expire(): void {
    this.#action = undefined;
    const now = this.scheduler.now();
    for (let head = this.#entries.peek(); head !== undefined; head = this.#entries.peek()) {
      if (head.fire !== undefined && head.at > now) return this.#schedule(head.at - now);
      this.#entries.shift();
      const fire = head.fire;
      if (fire === undefined) continue;
      head.fire = undefined;
      this.#live--;
      fire();
    }
  }

  #idle(): void {
    this.#action?.unsubscribe();
    this.#action = undefined;
    this.#entries = new RingQueue(); // every entry left is a cancelled one
  }
}
