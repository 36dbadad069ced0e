/** How much the bench runs: the full run (numbers for the docs) or `--quick` (CI: proves it works). */
export interface Config {
  readonly quick: boolean;
  /**
   * Measured rounds. A round runs every implementation once, each in a fresh child process, in an
   * order rotated from round to round; ratios to floor-queue are paired within a round.
   */
  readonly rounds: number;
  /**
   * Untimed messages before the samples, in each child process: every child starts cold, and in
   * a fresh process V8 needs 75,000 (floor-queue) to 150,000 (spark-channel) messages before the
   * cost per message settles. Cut short at `warmupMs` for the slow implementations, whose own
   * per-message work dwarfs what tiering up saves.
   */
  readonly warmupMessages: number;
  readonly warmupMs: number;
  /** Requests awaited one after another per sample. */
  readonly sequential: number;
  /** Sizes of the pipelined run; the middle one (10,000 in the full run) is the headline. */
  readonly pipelined: readonly number[];
  /** Commands per sample, in both command scenarios (each send awaited; fire-and-forget). */
  readonly commands: number;
  /** Sequential requests per client loop per sample, 8 loops at once. */
  readonly perClient: number;
  /** Requests queued behind a blocked handler, and how many times (child processes) that is measured. */
  readonly heapPending: number;
  readonly heapSamples: number;
  /** Subscribers in the fan-out scenarios (bench/fanout/): one table column each. */
  readonly fanoutSubscribers: readonly number[];
  /** Deliveries (events × subscribers) per fan-out sample, whatever the subscriber count. */
  readonly fanoutDeliveries: number;
  /**
   * Fan-out warm-up: at least this many events published, besides `warmupMessages` deliveries
   * (the first of `warmupMs` to pass ends it). With 100 subscribers a sample publishes only 1,000
   * events, and the publish path tiers up by its own calls: spark-channel's cost per event at 100
   * observers settled only after about 12,000 events (8× lower than before).
   */
  readonly fanoutWarmupEvents: number;
  /** Samples per fan-out child process. */
  readonly fanoutSamples: number;
  /** Module subscribers in the heap-per-pending-event scenario. */
  readonly heapSubscribers: number;
  /** Samples per child process: more for short samples, so each process costs about the same. */
  readonly iterations: (messages: number) => number;
  /** A sample not answered within this is a failure ("unanswered"), not a hang. */
  readonly watchdogMs: number;
  /** A sample whose handler makes no progress for this long has lost messages: a failure. */
  readonly stallMs: number;
  /** A child process still running after this is killed and its measurement failed. */
  readonly childTimeoutMs: number;
}

export const FULL: Config = {
  quick: false,
  rounds: 7,
  warmupMessages: 200_000,
  warmupMs: 1_500,
  sequential: 5_000,
  pipelined: [1_000, 10_000, 100_000],
  commands: 100_000,
  perClient: 1_000,
  heapPending: 10_000,
  heapSamples: 5,
  fanoutSubscribers: [1, 10, 100],
  fanoutDeliveries: 100_000,
  fanoutWarmupEvents: 50_000,
  fanoutSamples: 5,
  heapSubscribers: 10,
  iterations: (messages) => (messages <= 1_000 ? 12 : messages <= 10_000 ? 4 : 1),
  watchdogMs: 60_000,
  stallMs: 2_000,
  childTimeoutMs: 300_000,
};

export const QUICK: Config = {
  quick: true,
  rounds: 2,
  warmupMessages: 2_000,
  warmupMs: 200,
  sequential: 500,
  pipelined: [100, 1_000, 5_000],
  commands: 5_000,
  perClient: 100,
  heapPending: 1_000,
  heapSamples: 1,
  fanoutSubscribers: [1, 10, 100],
  fanoutDeliveries: 5_000,
  fanoutWarmupEvents: 1_000,
  fanoutSamples: 1,
  heapSubscribers: 10,
  iterations: () => 1,
  watchdogMs: 20_000,
  stallMs: 1_000,
  childTimeoutMs: 60_000,
};

/** The configuration a run uses: `--quick` or the full one, with `--rounds` applied. */
export function configFor(quick: boolean, rounds?: number): Config {
  const base = quick ? QUICK : FULL;
  return rounds === undefined ? base : { ...base, rounds, heapSamples: Math.min(base.heapSamples, rounds) };
}
