// A dispatcher's timeout buckets, one per duration in use (see deadlines.ts).
import type { SchedulerLike } from 'rxjs';

import { Deadlines } from './deadlines.js';

/**
 * The {@link Deadlines} buckets of one dispatcher. The bucket of its default `timeoutMs` is kept
 * while the dispatcher lives. Of the per-request `timeoutMs` values, every pending bucket is
 * kept, so requests of one duration share it, and the last one to go idle, so a run of requests
 * with the same override does not build a bucket each. Any other idle bucket leaves: a caller
 * picking a new timeout per request (jittered, or what is left of a budget) would otherwise keep
 * one per value, forever.
 */
export class DeadlineBuckets {
  #default: Deadlines | undefined;
  readonly #byDuration = new Map<number, Deadlines>();
  #lastIdle: Deadlines | undefined;
  /** The per-request bucket looked up last: a run of requests mostly passes one `timeoutMs`. */
  #recent: Deadlines | undefined;
  readonly #onIdle = (deadlines: Deadlines): void => {
    const last = this.#lastIdle;
    if (last !== undefined && last !== deadlines && last.idle) {
      this.#byDuration.delete(last.durationMs);
      if (this.#recent === last) this.#recent = undefined;
      last.release();
    }
    this.#lastIdle = deadlines;
  };

  constructor(
    private readonly defaultMs: number,
    private readonly scheduler: SchedulerLike,
  ) {}

  /** How many per-request buckets are held (the tests' window on them). */
  get size(): number {
    return this.#byDuration.size;
  }

  /** The bucket for `timeoutMs`, made on first use. */
  of(timeoutMs: number): Deadlines {
    if (timeoutMs === this.defaultMs) return (this.#default ??= new Deadlines(timeoutMs, this.scheduler));
    const recent = this.#recent;
    if (recent?.durationMs === timeoutMs) return recent;
    let deadlines = this.#byDuration.get(timeoutMs);
    if (deadlines === undefined) {
      deadlines = new Deadlines(timeoutMs, this.scheduler, this.#onIdle);
      this.#byDuration.set(timeoutMs, deadlines);
    }
    return (this.#recent = deadlines);
  }
}
