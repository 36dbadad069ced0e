import { asyncScheduler, type SchedulerLike, type Subscription, timer } from 'rxjs';

import { RingQueue } from './ring-queue.js';

interface Ticket {
  readonly run: () => void;
  gone: boolean;
}

/**
 * A sliding-window limiter: at most `limit` grants in any `intervalMs` window. Callers over the
 * limit wait in FIFO order; none is dropped. Time comes from the module's clock (an RxJS scheduler) so tests can
 * run it in virtual time.
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
    readonly scheduler: SchedulerLike = asyncScheduler,
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
    const delay = Math.max(0, oldest + this.intervalMs - this.scheduler.now());
    this.#timer = timer(delay, this.scheduler).subscribe(() => {
      this.#timer = undefined;
      this.#drain();
    });
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
