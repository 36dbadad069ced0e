/**
 * Runs every scenario for every implementation, interleaved: each round runs every
 * implementation once more, in a rotated order, so a noisy moment on the machine hits them all
 * alike. tinybench times the samples (warm-up, iterations, hooks); the ratios to floor-queue are
 * taken round by round, then their median.
 */
import { setImmediate as tick } from 'node:timers/promises';

import { Bench } from 'tinybench';

import type { Config } from './config.js';
import { type Bus, FLOOR, type Peer } from './peers/index.js';
import type { TimeScenario } from './scenarios.js';
import { median, quantile, spread } from './stats.js';
import { CheckFailure, type HandlerKind, PeerFailure, Workload } from './workload.js';

export interface Cell {
  readonly peer: string;
  status: 'ok' | 'failed' | 'n/a';
  /** Why it failed, or why it does not apply. */
  note?: string;
  /** Per-message cost (µs) or bytes per pending request, one per sample. */
  samples: number[];
  /** The median of each round's samples, in round order (the ratios pair these up). */
  rounds: (number | undefined)[];
  median?: number;
  p25?: number;
  p75?: number;
  /** ±(p75 − p25) / 2 / median. */
  spread?: number;
  /** To floor-queue: the median over rounds of this round's median / floor's. */
  ratio?: number;
}

export interface ScenarioResult {
  readonly id: string;
  readonly group: TimeScenario['group'] | 'heap';
  readonly title: string;
  readonly unit: string;
  readonly kind: HandlerKind;
  readonly messages: number;
  readonly cells: Cell[];
}

export interface Progress {
  start(total: number): void;
  step(label: string): void;
  stop(): void;
}

/** Errors nobody caught (RxJS reports some with a thrown timeout), by the cell that was running. */
let running: Cell | undefined;
const strays: { cell: Cell | undefined; error: unknown }[] = [];
export function recordStray(error: unknown): void {
  strays.push({ cell: running, error });
}
/** Uncaught errors raised while no implementation was running: each fails the run. */
export function unattributedStrays(): unknown[] {
  return strays.filter((s) => s.cell === undefined).map((s) => s.error);
}

export class Runner {
  /** Why the run must exit non-zero: a wrong answer anywhere, any failure of ours. */
  readonly fatal: string[] = [];
  readonly results: ScenarioResult[] = [];

  constructor(
    private readonly config: Config,
    private readonly peers: readonly Peer[],
    private readonly progress: Progress,
  ) {}

  async time(scenario: TimeScenario, kind: HandlerKind): Promise<ScenarioResult> {
    const { config } = this;
    const cells = this.peers.map((peer): Cell => {
      const cell: Cell = { peer: peer.id, status: 'ok', samples: [], rounds: [] };
      if (!scenario.applies(peer)) {
        cell.status = 'n/a';
        cell.note = 'same code path as the default options';
      }
      return cell;
    });
    const result: ScenarioResult = { ...pick(scenario), kind, cells };
    const live = new Map<Peer, { bus: Bus; work: Workload; cell: Cell }>();
    for (const [i, peer] of this.peers.entries()) {
      const cell = cells[i]!;
      if (cell.status !== 'ok') continue;
      const work = new Workload(kind);
      try {
        const bus = await peer.create(work.handler, () => work.next());
        live.set(peer, { bus, work, cell });
      } catch (error: unknown) {
        this.#fail(peer, cell, error, `${scenario.id}/${kind}`);
      }
    }

    const iterations = config.iterations(scenario.messages);
    for (let round = 0; round < config.rounds; round++) {
      const order = rotate([...live.keys()], round);
      // Warm-up runs in each task's beforeAll, right before its samples, in batches of at most
      // 10,000 (a 100,000-message warm-up batch would double the run for nothing).
      const warm = scenario.warmup ?? scenario;
      const warmBatches = Math.ceil(
        (round === 0 ? config.warmupMessages.first : config.warmupMessages.later) / warm.messages,
      );
      const bench = new Bench({
        time: 0,
        iterations,
        warmup: false,
        retainSamples: true,
        throws: false,
      });
      for (const peer of order) {
        const { bus, work, cell } = live.get(peer)!;
        bench.add(
          peer.id,
          async () => {
            running = cell;
            const ms = await this.#guard(scenario.run(bus, work), work);
            work.verify(`${peer.id} ${scenario.id}/${kind}`);
            return { overriddenDuration: ms };
          },
          {
            async: true,
            beforeAll: async () => {
              running = cell;
              for (let i = 0; i < warmBatches; i++) await this.#guard(warm.run(bus, work), work);
              work.verify(`${peer.id} ${scenario.id}/${kind} warm-up`);
            },
          },
        );
      }
      await bench.run();
      running = undefined;
      for (const peer of order) {
        const entry = live.get(peer)!;
        const task = bench.getTask(peer.id)!;
        const { cell } = entry;
        const stray = this.#strayFor(cell);
        if (task.result.state === 'errored' || stray !== undefined) {
          const error: unknown = task.result.state === 'errored' ? task.result.error : stray;
          this.#fail(peer, cell, error, `${scenario.id}/${kind}`);
          live.delete(peer); // broken: not closed (it may never answer), just dropped
          continue;
        }
        if (task.result.state !== 'completed') continue;
        const perMessage = (task.result.latency.samples ?? []).map((ms) => (ms * 1000) / scenario.messages);
        cell.samples.push(...perMessage);
        cell.rounds[round] = median(perMessage);
        this.progress.step(`${scenario.id} ${kind} ${peer.id}`);
      }
    }
    for (const [peer, { bus, cell }] of live) {
      try {
        await this.#guard(bus.close());
      } catch (error: unknown) {
        this.#fail(peer, cell, error, `${scenario.id}/${kind} close`);
      }
    }
    summarize(cells);
    this.results.push(result);
    return result;
  }

  /**
   * Heap retained per pending request: `pending` requests queued behind a handler blocked on the
   * first one, measured after full GCs (needs --expose-gc). The backlog is then released and
   * must drain with every answer right; a peer that leaves requests unanswered fails.
   */
  async heap(): Promise<ScenarioResult> {
    const n = this.config.heapPending;
    const cells = this.peers.map((peer): Cell => {
      const cell: Cell = { peer: peer.id, status: 'ok', samples: [], rounds: [] };
      if (!peer.mailbox) {
        cell.status = 'n/a';
        cell.note = 'no mailbox: a request runs at once, nothing queues';
      }
      return cell;
    });
    const result: ScenarioResult = {
      id: 'heap',
      group: 'heap',
      title: `Heap retained per pending request (${n.toLocaleString('en-US')} queued behind a blocked handler)`,
      unit: 'bytes / request',
      kind: 'sync',
      messages: n,
      cells,
    };
    const candidates = this.peers.filter((_, i) => cells[i]!.status === 'ok');
    for (let sample = 0; sample < this.config.heapSamples; sample++) {
      for (const peer of rotate(candidates, sample)) {
        const cell = cells[this.peers.indexOf(peer)]!;
        if (cell.status !== 'ok') continue;
        running = cell;
        try {
          const bytes = await this.#heapSample(peer, n);
          cell.samples.push(bytes);
          cell.rounds[sample] = bytes;
          const stray = this.#strayFor(cell);
          if (stray !== undefined) throw stray;
        } catch (error: unknown) {
          const { bytes } = error as { bytes?: number };
          if (bytes !== undefined) {
            cell.samples.push(bytes);
            cell.rounds[sample] = bytes;
          }
          this.#fail(peer, cell, error, 'heap');
        }
        running = undefined;
        this.progress.step(`heap ${peer.id}`);
      }
    }
    summarize(cells);
    this.results.push(result);
    return result;
  }

  async #heapSample(peer: Peer, n: number): Promise<number> {
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
    const bytes = (after - before) / n;
    const answers = await this.#guard(Promise.all([blocker, ...pending]), work).catch((error: unknown) => {
      throw Object.assign(error as Error, { bytes }); // the heap figure stands; the drain failed
    });
    Workload.check(first, answers[0]);
    for (let i = 0; i < n; i++) Workload.check(messages[i]!, answers[i + 1]);
    work.verify(`${peer.id} heap`);
    await this.#guard(bus.close());
    return bytes;
  }

  /**
   * Rejects with a PeerFailure when `promise` has not settled within the watchdog time, or when
   * the handler has made no progress for a whole stall window (lost messages never come back).
   */
  #guard<T>(promise: Promise<T> | T, work?: Workload): Promise<T> {
    const { watchdogMs, stallMs } = this.config;
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

  #strayFor(cell: Cell): unknown {
    const index = strays.findIndex((s) => s.cell === cell);
    if (index < 0) return undefined;
    return strays.splice(index, 1)[0]!.error;
  }

  #fail(peer: Peer, cell: Cell, error: unknown, where: string): void {
    cell.status = 'failed';
    cell.note = describeFailure(error);
    const fatal = error instanceof CheckFailure || peer.ours;
    if (fatal) this.fatal.push(`${peer.id} ${where}: ${cell.note}`);
    process.stderr.write(`\n${fatal ? 'FAILED' : 'peer failed'}: ${peer.id} ${where}: ${cell.note}\n`);
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message)) return 'failed (stack overflow)';
  if (error instanceof PeerFailure) return `failed (stack overflow / unanswered): ${error.message}`;
  if (error instanceof CheckFailure) return `failed check: ${error.message}`;
  return `failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}

function summarize(cells: Cell[]): void {
  const floor = cells.find((c) => c.peer === FLOOR);
  for (const cell of cells) {
    if (cell.status === 'n/a' || cell.samples.length === 0) continue;
    cell.median = median(cell.samples);
    cell.p25 = quantile(cell.samples, 0.25);
    cell.p75 = quantile(cell.samples, 0.75);
    cell.spread = spread(cell.samples);
    if (floor?.status !== 'ok') continue;
    const ratios: number[] = [];
    cell.rounds.forEach((value, round) => {
      const base = floor.rounds[round];
      if (value !== undefined && base !== undefined && base > 0) ratios.push(value / base);
    });
    if (ratios.length > 0) cell.ratio = median(ratios);
  }
}

function pick(s: TimeScenario): Omit<ScenarioResult, 'kind' | 'cells'> {
  return { id: s.id, group: s.group, title: s.title, unit: s.unit, messages: s.messages };
}

function rotate<T>(items: T[], by: number): T[] {
  if (items.length === 0) return items;
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

const gc = (globalThis as { gc?: () => void }).gc;

function heapUsed(): number {
  if (gc === undefined) throw new Error('the heap scenario needs node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
