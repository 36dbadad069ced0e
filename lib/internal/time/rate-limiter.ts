// Per send under the limit: a stamp written into a fixed ring. Per send over it: one Ticket and
// the leave closure; one scheduled action serves the whole line.
import type { SchedulerLike, Subscription } from 'rxjs';

import { monotonicScheduler, timerDelay } from './clock.js';
import { RingQueue } from '../channel/ring-queue.js';

interface Ticket {
  readonly run: () => void;
  gone: boolean;
}

/**
 * A sliding-window limiter: at most `limit` grants in any `intervalMs` window. Callers over the
 * limit wait in FIFO order; none is dropped. Time comes from the module's clock (an RxJS scheduler;
 * by default a monotonic one on asyncScheduler's timers) so tests can run it in virtual time. A
 * window longer than a timer can take (2³¹−1 ms) is waited for in steps: each wake re-checks.
 */
export class RateLimiter {
  // The times of the last `limit` grants, oldest at `#next` once the ring is full.
  readonly #stamps: number[] = [];
  #next = 0;
  readonly #queue = new RingQueue<Ticket>();
  #waiting = 0;
  #timer: Subscription | undefined;

  constructor(
    readonly limit: number,
    readonly intervalMs: number,
    readonly scheduler: SchedulerLike = monotonicScheduler,
  ) {}

  /** Takes a grant now, or returns false (never waits). */
  tryAcquire(): boolean {
    if (this.#waiting > 0) return false; // those in line come first
    const now = this.scheduler.now();
    if (!this.#hasRoom(now)) return false;
    this.#record(now);
    return true;
  }

  /** Runs `run` as soon as a grant is free, in call order. Returns a function that leaves the line. */
  acquire(run: () => void): () => void {
    if (this.tryAcquire()) {
      run();
      return noop;
    }
    const ticket: Ticket = { run, gone: false };
    this.#queue.push(ticket);
    this.#waiting++;
    this.#schedule();
    return () => {
      if (ticket.gone) return;
      ticket.gone = true;
      this.#waiting--;
      if (this.#waiting === 0) this.#cancelTimer();
    };
  }

  #hasRoom(now: number): boolean {
    return this.#stamps.length < this.limit || now - (this.#stamps[this.#next] ?? 0) >= this.intervalMs;
  }

  #record(now: number): void {
    this.#stamps[this.#next] = now;
    this.#next = (this.#next + 1) % this.limit;
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    const oldest = this.#stamps[this.#next] ?? 0;
    const delay = oldest + this.intervalMs - this.scheduler.now();
    this.#timer = this.scheduler.schedule(() => {
      this.#timer = undefined;
      this.#drain(); // too early (a step of a long wait, a timer a little fast): waits again
    }, timerDelay(delay));
  }

  #drain(): void {
    const now = this.scheduler.now();
    while (this.#waiting > 0 && this.#hasRoom(now)) {
      const ticket = this.#queue.shift();
      if (ticket === undefined) break;
      if (ticket.gone) continue;
      ticket.gone = true;
      this.#waiting--;
      this.#record(now);
      ticket.run();
    }
    if (this.#waiting > 0) this.#schedule();
    else this.#queue.retain(() => false);
  }

  /** Runs every waiting caller now, in order (their sends then meet a closed channel). */
  flush(): void {
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    this.#queue.clear((ticket) => {
      if (ticket.gone) return;
      ticket.gone = true;
      this.#waiting--;
      ticket.run();
    });
  }

  #cancelTimer(): void {
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    this.#queue.retain(() => false);
  }
}

function noop(): void {}
