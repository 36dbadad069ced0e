/**
 * One measurement, inside its own child process (bench/child.ts): one implementation, one
 * scenario, one handler kind, one round. Warms the implementation up, takes the samples with
 * tinybench (each sample times itself, so answer checks stay out of the timing), checks every
 * answer and the per-client order, and says how it went. Nothing else runs in the process.
 */
import { setImmediate as tick } from 'node:timers/promises';

import { Bench } from 'tinybench';

import type { Config } from './config.js';
import type { Peer } from './peers/peer.js';
import type { TimeScenario } from './scenarios.js';
import { CheckFailure, type HandlerKind, PeerFailure, Workload } from './workload.js';

/** How a child's result line starts on its stdout. */
export const RESULT_PREFIX = 'BENCH-RESULT ';

/** What a child reports to the parent (one JSON line). */
export interface Measurement {
  readonly status: 'ok' | 'failed';
  /** Per-message cost (µs), one per sample; or bytes per pending request (the heap scenario). */
  readonly samples: number[];
  /** Why it failed. */
  readonly note?: string;
  /** A wrong answer, a lost or reordered message: fails the run whoever it is. */
  readonly checkFailed?: boolean;
}

/** Errors nobody caught (RxJS reports some with a thrown timeout): the measurement fails. */
const strays: unknown[] = [];
export function recordStray(error: unknown): void {
  strays.push(error);
}

export async function measureTime(
  config: Config,
  peer: Peer,
  scenario: TimeScenario,
  kind: HandlerKind,
): Promise<Measurement> {
  const samples: number[] = [];
  const where = `${peer.id} ${scenario.id}/${kind}`;
  try {
    const work = new Workload(kind);
    const bus = await peer.create(work.handler, () => work.next());
    // Warm-up in batches of at most 10,000 (a 100,000-message warm-up batch would double the
    // run), until warmupMessages have run or warmupMs have passed (at least one batch).
    const warm = scenario.warmup ?? scenario;
    const batches = Math.ceil(config.warmupMessages / warm.messages);
    const until = performance.now() + config.warmupMs;
    for (let i = 0; i < batches && (i === 0 || performance.now() < until); i++) {
      await guard(config, warm.run(bus, work), work);
    }
    work.verify(`${where} warm-up`);
    throwStray();

    const bench = new Bench({
      time: 0,
      iterations: config.iterations(scenario.messages),
      warmup: false,
      retainSamples: true,
      throws: false,
    });
    bench.add(peer.id, async () => {
      const ms = await guard(config, scenario.run(bus, work), work);
      work.verify(where);
      throwStray();
      return { overriddenDuration: ms };
    });
    await bench.run();
    const task = bench.getTask(peer.id)!;
    if (task.result.state === 'errored') throw task.result.error;
    if (task.result.state !== 'completed') throw new Error(`tinybench: task ${task.result.state}`);
    for (const ms of task.result.latency.samples ?? []) samples.push((ms * 1000) / scenario.messages);
    await guard(config, bus.close());
    throwStray();
    return { status: 'ok', samples };
  } catch (error: unknown) {
    return failed(samples, error);
  }
}

/**
 * Heap retained per pending request: `heapPending` requests queued behind a handler blocked on
 * the first one, measured after full GCs (needs --expose-gc). The backlog is then released and
 * must drain with every answer right; a peer that leaves requests unanswered fails.
 */
export async function measureHeap(config: Config, peer: Peer): Promise<Measurement> {
  const n = config.heapPending;
  const samples: number[] = [];
  try {
    const work = new Workload('sync');
    const bus = await peer.create(work.handler, () => work.next());
    for (let i = 0; i < 64; i++) {
      const m = work.next();
      Workload.check(m, await bus.request(m)); // warm: lazy state is allocated before measuring
    }
    const messages = new Array<number>(n).fill(0);
    const pending = new Array<unknown>(n).fill(null);
    const release = work.block();
    const first = work.next();
    const blocker = bus.request(first); // the handler is now busy until release()
    await tick();
    const before = heapUsed();
    for (let i = 0; i < n; i++) pending[i] = bus.request((messages[i] = work.next()));
    await tick(); // whatever can run now has run: what is left is what waits
    const after = heapUsed();
    release();
    samples.push((after - before) / n); // the heap figure stands even if the drain fails
    const answers = await guard(config, Promise.all([blocker, ...pending]), work);
    Workload.check(first, answers[0]);
    for (let i = 0; i < n; i++) Workload.check(messages[i]!, answers[i + 1]);
    work.verify(`${peer.id} heap`);
    await guard(config, bus.close());
    throwStray();
    return { status: 'ok', samples };
  } catch (error: unknown) {
    return failed(samples, error);
  }
}

/** A failed measurement, with its root cause. */
export function failed(samples: number[], error: unknown): Measurement {
  const stray = strays.shift();
  const cause = error instanceof PeerFailure && stray !== undefined ? stray : error; // the root cause
  return {
    status: 'failed',
    samples,
    note: describeFailure(cause),
    checkFailed: error instanceof CheckFailure,
  };
}

/** Throws the first error nobody caught, if any. */
export function throwStray(): void {
  if (strays.length > 0) throw strays.shift();
}

/** What the stall watchdog watches: messages (or deliveries) handled against those owed. */
export interface Progressing {
  readonly handled: number;
  readonly issued: number;
}

/**
 * Rejects with a PeerFailure when `promise` has not settled within the watchdog time, or when
 * the handler has made no progress for a whole stall window (lost messages never come back).
 */
export function guard<T>(config: Config, promise: Promise<T> | T, work?: Progressing): Promise<T> {
  const { watchdogMs, stallMs } = config;
  const started = Date.now();
  let seen = work?.handled ?? 0;
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const handled = work?.handled ?? 0;
      if (work !== undefined && handled === seen && handled < work.issued) {
        const left = work.issued - handled;
        reject(new PeerFailure(`${left} message(s) never handled: no progress for ${stallMs / 1000} s`));
      } else if (Date.now() - started > watchdogMs) {
        reject(new PeerFailure(`not finished within ${watchdogMs / 1000} s`));
      }
      seen = handled;
    }, stallMs);
  });
  return Promise.race([promise, watchdog]).finally(() => clearInterval(timer));
}

export function describeFailure(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message)) return 'failed (stack overflow)';
  if (error instanceof PeerFailure) return `failed (stack overflow / unanswered): ${error.message}`;
  if (error instanceof CheckFailure) return `failed check: ${error.message}`;
  return `failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}

export const gc = (globalThis as { gc?: () => void }).gc;

/** Heap used after two full GCs (needs --expose-gc). */
export function heapUsed(): number {
  if (gc === undefined) throw new Error('the heap scenario needs node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
