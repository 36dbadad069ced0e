/**
 * Observability in one file: latency percentiles from `events$`, a log of dead letters, and a
 * supervised handler that rebuilds its state after a fatal failure. docs/observability.md quotes
 * it; spec/integration/observability-example.spec.ts runs it.
 *
 * Run it with `npx tsx examples/observability.ts`.
 */
import { filter, type Observable, scan } from 'rxjs';

import {
  type DeadLetter,
  type MessageOutcome,
  type MessageSettledEvent,
  type ModuleServerLogger,
  type ModuleEvent,
  type SparkGenericModuleHandler,
  spawnModule,
  supervise,
} from '../lib/index.js';

// --- Latency percentiles from events$ -------------------------------------------------------

/** Per outcome: how many, and the handling time percentiles in milliseconds. */
export type LatencyReport = Partial<
  Record<MessageOutcome, { count: number; p50: number; p95: number; p99: number; maxQueuedMs: number }>
>;

/** Folds settled events into a report, updated on each one (a dashboard can `sample` it). */
export function latencies<M>(events$: Observable<ModuleEvent<M>>): Observable<LatencyReport> {
  return events$.pipe(
    filter((e): e is MessageSettledEvent<M> => e.type === 'settled'),
    scan(
      (samples, e) => {
        const bucket = (samples[e.outcome] ??= { handling: [], maxQueuedMs: 0 });
        bucket.handling.push(e.handlingMs ?? 0); // never started (given up while queued): 0
        bucket.maxQueuedMs = Math.max(bucket.maxQueuedMs, e.queuedMs ?? 0);
        return samples;
      },
      {} as Partial<Record<MessageOutcome, { handling: number[]; maxQueuedMs: number }>>,
    ),
    // A real dashboard would keep a histogram (e.g. HdrHistogram); sorting suits a demo.
    scan((_, samples) => {
      const report: LatencyReport = {};
      for (const [outcome, { handling, maxQueuedMs }] of Object.entries(samples)) {
        const sorted = [...handling].sort((a, b) => a - b);
        const at = (q: number): number =>
          sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
        report[outcome as MessageOutcome] = {
          count: sorted.length,
          p50: at(0.5),
          p95: at(0.95),
          p99: at(0.99),
          maxQueuedMs,
        };
      }
      return report;
    }, {} as LatencyReport),
  );
}

// --- A supervised cache ----------------------------------------------------------------------

export type CacheMessage =
  | { type: 'Get'; key: string }
  | { type: 'Put'; key: string; value: number }
  | { type: 'Load'; bytes: string };

/** Thrown when a load leaves the cache half-written: its state can no longer be trusted. */
export class CorruptCacheError extends Error {
  override readonly name = 'CorruptCacheError';
}

export class CacheHandler implements SparkGenericModuleHandler<CacheMessage, number | undefined> {
  readonly #entries = new Map<string, number>();

  handleRequest(message: CacheMessage): number | undefined {
    if (message.type === 'Get') return this.#entries.get(message.key);
    throw new Error(`${message.type} is a command`);
  }

  handleCommand(message: CacheMessage): void {
    if (message.type === 'Put') this.#entries.set(message.key, message.value);
    if (message.type === 'Load') {
      for (const pair of message.bytes.split(',')) {
        const [key, value] = pair.split('=');
        if (key === undefined || value === undefined) throw new CorruptCacheError(`bad entry "${pair}"`);
        this.#entries.set(key, Number(value)); // entries before the bad one are already in
      }
    }
  }
}

/** The cache, rebuilt empty after a corrupt load; three corrupt loads in a minute stop it. */
export function spawnCache(logger: ModuleServerLogger = console) {
  return spawnModule(
    supervise(() => new CacheHandler(), {
      maxRestarts: 2,
      withinMs: 60_000,
      isFatal: (error) => error instanceof CorruptCacheError,
    }),
    { logger, timeoutMs: 1_000 },
  );
}

/** One line per dead letter, for a log. */
export function describeDeadLetter(letter: DeadLetter<CacheMessage>): string {
  const code = (letter.error as { code?: string } | undefined)?.code;
  return `${letter.reason}: ${letter.kind} ${letter.message.type}${code === undefined ? '' : ` (${code})`}`;
}

async function main(): Promise<void> {
  const quiet = { error: () => undefined, warn: () => undefined };
  const { dispatcher, server } = spawnCache(quiet);
  let report: LatencyReport = {};
  latencies(server.events$).subscribe((r) => (report = r));
  server.deadLetters$.subscribe((letter) => console.log('dead letter →', describeDeadLetter(letter)));
  server.events$
    .pipe(filter((e) => e.type === 'restarted' || e.type === 'stopped'))
    .subscribe((e) =>
      console.log(`module ${e.type}:`, e.type === 'stopped' ? e.reason : `restart ${e.restarts}`),
    );

  await dispatcher.sendCommand({ type: 'Put', key: 'a', value: 1 });
  for (let i = 0; i < 100; i++) await dispatcher.request({ type: 'Get', key: 'a' });
  await dispatcher.sendCommand({ type: 'Load', bytes: 'b=2,broken' }); // fatal: rebuilt empty
  console.log('after the corrupt load, a =', await dispatcher.request({ type: 'Get', key: 'a' }));
  await dispatcher.sendCommand({ type: 'Load', bytes: 'oops' });
  await dispatcher.sendCommand({ type: 'Load', bytes: 'again' }); // third in a minute: stops
  await server.stopped;
  await dispatcher.sendCommand({ type: 'Put', key: 'c', value: 3 }).catch(() => undefined); // refused
  console.log('latency (ms):', JSON.stringify(report.ok));
}

if (require.main === module) void main();
