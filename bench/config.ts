/** How much the bench runs: the full run (numbers for the docs) or `--quick` (CI: proves it works). */
export interface Config {
  readonly quick: boolean;
  /** Measured rounds; every round runs every implementation once more, in a rotated order. */
  readonly rounds: number;
  /**
   * Untimed messages per implementation before each round's samples: many before the first
   * (V8 needs tens of thousands of messages to optimise an RxJS-based path), fewer after, to
   * re-warm what running the other implementations in between may have deoptimised.
   */
  readonly warmupMessages: { readonly first: number; readonly later: number };
  /** Requests awaited one after another per sample. */
  readonly sequential: number;
  /** Sizes of the pipelined run; the middle one (10,000 in the full run) is the headline. */
  readonly pipelined: readonly number[];
  readonly commands: number;
  /** Sequential requests per client loop per sample, 8 loops at once. */
  readonly perClient: number;
  /** Requests queued behind a blocked handler, and how many times that is measured. */
  readonly heapPending: number;
  readonly heapSamples: number;
  /** Samples per round: more for short samples, so each round costs about the same. */
  readonly iterations: (messages: number) => number;
  /** A sample not answered within this is a failure ("unanswered"), not a hang. */
  readonly watchdogMs: number;
  /** A sample whose handler makes no progress for this long has lost messages: a failure. */
  readonly stallMs: number;
}

export const FULL: Config = {
  quick: false,
  rounds: 5,
  warmupMessages: { first: 50_000, later: 10_000 },
  sequential: 5_000,
  pipelined: [1_000, 10_000, 100_000],
  commands: 100_000,
  perClient: 1_000,
  heapPending: 10_000,
  heapSamples: 5,
  iterations: (messages) => (messages <= 1_000 ? 12 : messages <= 10_000 ? 4 : 1),
  watchdogMs: 60_000,
  stallMs: 2_000,
};

export const QUICK: Config = {
  quick: true,
  rounds: 2,
  warmupMessages: { first: 2_000, later: 500 },
  sequential: 500,
  pipelined: [100, 1_000, 5_000],
  commands: 5_000,
  perClient: 100,
  heapPending: 1_000,
  heapSamples: 1,
  iterations: () => 1,
  watchdogMs: 20_000,
  stallMs: 1_000,
};
