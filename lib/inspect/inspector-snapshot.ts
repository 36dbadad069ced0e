import type { DeadLetterReason } from '../dead-letter.js';
import type { MessageOutcome } from '../module-event.js';
import type { ModuleServerStats } from '../module-server-types.js';

/**
 * Queue wait or handling time over a module's most recent settled messages (the inspector's
 * `latencySamples` option, 1,000 by default), in milliseconds on the module's clock. Each
 * percentile is the nearest-rank one: the smallest sample with at least that share of the
 * samples at or below it. `undefined` while there is no sample.
 *
 * @example
 * const handling: LatencyPercentiles | undefined = inspector.snapshot().modules[0]?.handling;
 * console.log(`p95 ${handling?.p95} ms over ${handling?.count} messages`);
 */
export interface LatencyPercentiles {
  /** How many samples the percentiles are taken over (at most `latencySamples`). */
  readonly count: number;
  readonly p50?: number;
  readonly p95?: number;
  readonly p99?: number;
  readonly max?: number;
}

/**
 * How a watched module looks right now: one card of the page.
 *
 * @example
 * const billing: ModuleSnapshot | undefined = inspector.snapshot().modules.find((m) => m.name === 'billing');
 * console.log(billing?.status, billing?.stats.queued, billing?.throughput); // "idle" 0 12
 */
export interface ModuleSnapshot {
  /** The name it was watched under. */
  readonly name: string;
  /** Numbers each `watch()` call, so a name watched again (a new server) starts a fresh lane. */
  readonly serial: number;
  /** `running`: a handler is in progress; `idle`: none is; `stopped`: the server stopped. */
  readonly status: 'running' | 'idle' | 'stopped';
  /** Why it stopped, in the server's words ("the module server shut down", …). */
  readonly stopReason?: string;
  /** When it stopped, on the inspector's clock. */
  readonly stoppedAt?: number;
  /** `server.stats()`: queued, running, handled, failed. */
  readonly stats: ModuleServerStats;
  /** Settled messages seen while watched, by outcome. */
  readonly outcomes: { readonly [K in MessageOutcome]: number };
  /** Handled messages per second over the last sampling interval. */
  readonly throughput: number;
  /** Queue depth (`stats().queued`) sampled every `sampleMs`, oldest first, over the last minute. */
  readonly depth: readonly number[];
  /** Acceptance → start. */
  readonly queueWait: LatencyPercentiles;
  /** Start → settlement. */
  readonly handling: LatencyPercentiles;
  /** Dead letters and handler errors seen while watched, and restarts by a supervision policy. */
  readonly deadLetters: number;
  readonly errors: number;
  readonly restarts: number;
}

/**
 * One message on the timeline: accepted → started → settled, each time on the module's clock
 * (absent when it did not happen, or happened before the module was watched).
 *
 * @example
 * const failed: TimelineEntry[] = inspector.snapshot().timeline.filter((entry) => entry.outcome === 'error');
 * for (const { module, id, message, error } of failed) console.log(`${module} #${id} ${message}: ${error}`);
 */
export interface TimelineEntry {
  readonly module: string;
  /** The module's `serial`: with `id`, what identifies the message. */
  readonly serial: number;
  /** The message's number in its server (`events$`' `id`). */
  readonly id: number;
  readonly kind: 'request' | 'command';
  readonly acceptedAt?: number;
  readonly startedAt?: number;
  readonly settledAt?: number;
  /** Absent while it is not settled. */
  readonly outcome?: MessageOutcome;
  /** The message, rendered as short text (JSON where it can be, at most 200 characters). */
  readonly message: string;
  /** The error it settled with, as short text. */
  readonly error?: string;
}

/**
 * A dead letter of a watched module (`server.deadLetters$`).
 *
 * @example
 * const letters: readonly DeadLetterEntry[] = inspector.snapshot().deadLetters;
 * for (const { module, reason, message } of letters) console.log(`${module}: ${reason} ${message}`); // "billing: refused …"
 */
export interface DeadLetterEntry {
  /** Orders the dead letters and errors of one inspector. */
  readonly seq: number;
  readonly module: string;
  /** When it was seen, on the inspector's clock. */
  readonly at: number;
  readonly reason: DeadLetterReason;
  readonly kind: 'request' | 'command';
  readonly message: string;
  readonly error?: string;
  /** The `SparkChannelError` code of `error`, when it has one. */
  readonly code?: string;
}

/**
 * A handler failure of a watched module (`server.errors$`).
 *
 * @example
 * const errors: readonly ErrorEntry[] = inspector.snapshot().errors;
 * const billingErrors = errors.filter((entry) => entry.module === 'billing').map((entry) => entry.error);
 */
export interface ErrorEntry {
  readonly seq: number;
  readonly module: string;
  /** When it was seen, on the inspector's clock. */
  readonly at: number;
  readonly kind: 'request' | 'command';
  readonly message: string;
  readonly error: string;
  /** The error's `code` when it is a string (a `SparkChannelError`'s), else its `name`. */
  readonly code?: string;
}

/**
 * An event type seen on a watched bus.
 *
 * @example
 * const placed: BusTypeSnapshot | undefined = inspector.snapshot().buses[0]?.types.find((t) => t.type === 'OrderPlaced');
 * console.log(placed?.published, placed?.perSecond); // 42 1.5
 */
export interface BusTypeSnapshot {
  readonly type: string;
  /** Events of this type published since the bus was watched. */
  readonly published: number;
  /** Per second, over the last ten sampling intervals. */
  readonly perSecond: number;
}

/**
 * A module subscription of a watched bus: an edge from an event type to a module.
 *
 * @example
 * const edges: readonly BusEdgeSnapshot[] = inspector.snapshot().buses[0]?.edges ?? [];
 * edges.map((edge) => `${edge.type} → ${edge.module}`); // ['OrderPlaced → mailer']
 */
export interface BusEdgeSnapshot {
  readonly type: string;
  /** The watched module behind the dispatcher, or `subscriber #n` when it is not watched. */
  readonly module: string;
  /** Whether `module` names a watched module. */
  readonly watched: boolean;
  readonly overflow: 'wait' | 'drop-newest' | 'drop-oldest';
  /** Events turned into commands for this subscriber since it subscribed. */
  readonly delivered: number;
  /** Per second, over the last ten sampling intervals. */
  readonly perSecond: number;
}

/**
 * A watched event bus: its event types and which modules subscribe to which.
 *
 * @example
 * const shop: BusSnapshot | undefined = inspector.snapshot().buses.find((bus) => bus.name === 'shop');
 * console.log(shop?.closed, shop?.types.map((t) => t.type), shop?.edges.length); // false ['OrderPlaced'] 1
 */
export interface BusSnapshot {
  readonly name: string;
  readonly closed: boolean;
  readonly types: readonly BusTypeSnapshot[];
  readonly edges: readonly BusEdgeSnapshot[];
}

/**
 * Everything an inspector shows, as plain JSON-ready data: what `inspector.snapshot()` returns,
 * what `mount()` renders and what `serve()` streams.
 *
 * @example
 * const snapshot: InspectorSnapshot = inspector.snapshot();
 * console.log(snapshot.modules.length, snapshot.timeline.length, snapshot.buses.length);
 * const changes = inspector.snapshot({ since: snapshot.cursor }); // only what changed since
 */
export interface InspectorSnapshot {
  /** The inspector's clock (the same as the modules' by default: `performance.now()`). */
  readonly now: number;
  /** Pass it back as `since` to get only what changed after this snapshot. */
  readonly cursor: number;
  /** The inspector's options that bound what a page keeps. */
  readonly limits: {
    readonly timelineSize: number;
    readonly listSize: number;
    readonly sampleMs: number;
  };
  readonly modules: readonly ModuleSnapshot[];
  /** Messages that changed since `since` (all those kept, without it), by module, oldest first. */
  readonly timeline: readonly TimelineEntry[];
  /** Dead letters seen since `since`, oldest first. */
  readonly deadLetters: readonly DeadLetterEntry[];
  /** Handler errors seen since `since`, oldest first. */
  readonly errors: readonly ErrorEntry[];
  readonly buses: readonly BusSnapshot[];
}
