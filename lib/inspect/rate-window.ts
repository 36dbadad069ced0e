// inspect: a per-second rate from a running count, read at each sampling tick. Per event: the
// caller's `count++`; per tick: one store.

/** How many ticks a rate spans: ten sampling intervals (ten seconds by default). */
const SPAN = 10;

/** Remembers a running count at each of the last ticks, to tell how fast it grows. */
export class RateWindow {
  readonly #counts = new Float64Array(SPAN + 1);
  readonly #times = new Float64Array(SPAN + 1);
  #next = 0;
  #filled = 0;

  /** Records `count` as it was at `now`. */
  tick(count: number, now: number): void {
    this.#counts[this.#next] = count;
    this.#times[this.#next] = now;
    this.#next = (this.#next + 1) % (SPAN + 1);
    if (this.#filled < SPAN + 1) this.#filled++;
  }

  /** Growth per second of `count` since the oldest tick kept; 0 before two ticks. */
  perSecond(count: number, now: number): number {
    if (this.#filled === 0) return 0;
    const oldest = this.#filled < SPAN + 1 ? 0 : this.#next;
    const elapsed = now - (this.#times[oldest] as number);
    return elapsed > 0 ? ((count - (this.#counts[oldest] as number)) * 1_000) / elapsed : 0;
  }
}
