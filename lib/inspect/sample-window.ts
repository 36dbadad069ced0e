// inspect: the last N latency samples of a module, in a fixed typed array. Per message: one
// store, nothing allocated; the percentiles are computed when a snapshot asks for them.
import type { LatencyPercentiles } from './inspector-snapshot.js';

/** A ring of the most recent `size` samples, with nearest-rank percentiles over them. */
export class SampleWindow {
  readonly #samples: Float64Array;
  #next = 0;
  #count = 0;

  constructor(size: number) {
    this.#samples = new Float64Array(size);
  }

  push(value: number): void {
    this.#samples[this.#next] = value;
    this.#next = (this.#next + 1) % this.#samples.length;
    if (this.#count < this.#samples.length) this.#count++;
  }

  /** p50, p95, p99 and max over the samples kept; only `count` when there is none. */
  percentiles(): LatencyPercentiles {
    const count = this.#count;
    if (count === 0) return { count };
    // Order does not matter for percentiles: the filled part of the ring, sorted numerically.
    const sorted = this.#samples.slice(0, count).sort();
    return {
      count,
      p50: nearestRank(sorted, 0.5),
      p95: nearestRank(sorted, 0.95),
      p99: nearestRank(sorted, 0.99),
      max: sorted[count - 1] as number,
    };
  }
}

/** The smallest sample with at least a `q` share of the samples at or below it. */
export function nearestRank(sorted: ArrayLike<number>, q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] as number;
}
