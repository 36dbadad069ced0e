// The line of senders waiting for room in a full channel, first come first served. A sender that
// gives up stays as a tombstone (skipped), compacted away once tombstones outnumber the living.
import type { SparkGenericModuleMessage } from '../../module-message.js';
import { RingQueue } from './ring-queue.js';

/** Tombstones are compacted away once they outnumber live entries past this many. */
export const COMPACT_AFTER = 64;

/** A sender waiting for room in a full channel. */
export interface Waiter {
  readonly message: SparkGenericModuleMessage<unknown, unknown, unknown, unknown>;
  readonly trusted: boolean;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  gone: boolean;
}

export class WaitingSenders {
  readonly #line = new RingQueue<Waiter>();
  #count = 0;

  /** How many senders wait (tombstones not counted). */
  get count(): number {
    return this.#count;
  }

  push(waiter: Waiter): void {
    this.#line.push(waiter);
    this.#count++;
  }

  /** Removes and returns the first sender still waiting. */
  next(): Waiter | undefined {
    for (let waiter = this.#line.shift(); waiter !== undefined; waiter = this.#line.shift()) {
      if (waiter.gone) continue;
      this.#count--;
      return waiter;
    }
    return undefined;
  }

  /** `waiter` gave up: it stays in line as a tombstone until {@link compact} or {@link next}. */
  leave(waiter: Waiter): void {
    waiter.gone = true;
    this.#count--;
  }

  /** Drops the tombstones once they outnumber the living (past COMPACT_AFTER). */
  compact(): void {
    if (this.#line.length > COMPACT_AFTER && this.#line.length > 2 * this.#count) {
      this.#line.retain((w) => !w.gone);
    }
  }

  /** Hands every sender still waiting to `each`, in order, and empties the line. */
  clear(each: (waiter: Waiter) => void): void {
    for (let waiter = this.#line.shift(); waiter !== undefined; waiter = this.#line.shift()) {
      if (!waiter.gone) each(waiter);
    }
    this.#count = 0;
  }
}
