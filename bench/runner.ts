/**
 * The parent side of the bench: every (implementation, scenario, handler kind) is measured in a
 * child process of its own (bench/child.ts, one per round), so no implementation shares an engine
 * with another: no JIT feedback, inline caches, heap or GC state carried over from the others.
 * Each round runs every implementation once, in an order rotated from round to round, so a noisy
 * moment of a shared machine hits them all alike; the ratio to floor-queue is taken within each
 * round (paired) and the median of those per-round ratios is reported, beside the medians of the
 * raw times.
 */
import { spawn } from 'node:child_process';

import type { Config } from './config.js';
import { type Measurement, RESULT_PREFIX } from './measure.js';
import type { FanoutGroup } from './fanout/scenarios.js';
import { FLOOR, type Peer } from './peers/index.js';
import type { TimeScenario } from './scenarios.js';
import { median, quantile, spread } from './stats.js';
import type { HandlerKind } from './workload.js';

export interface Cell {
  readonly peer: string;
  status: 'ok' | 'failed' | 'n/a';
  /** Why it failed, or why it does not apply. */
  note?: string;
  /** Per-message cost (µs) or bytes per pending request: every sample of every round. */
  samples: number[];
  /** The median of each round's samples (one child process each), in round order. */
  rounds: (number | undefined)[];
  /** This round's median / floor-queue's median in the same round, per round (paired). */
  roundRatios?: (number | undefined)[];
  median?: number;
  p25?: number;
  p75?: number;
  /** ±(p75 − p25) / 2 / median, over all samples. */
  spread?: number;
  /** To floor-queue: the median of the per-round ratios. */
  ratio?: number;
}

/** The scenario groups: requests and commands, their heap figure, and the event bus's. */
export type Group = TimeScenario['group'] | 'heap' | FanoutGroup | 'event-heap';

export interface ScenarioResult {
  readonly id: string;
  readonly group: Group;
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

/** How to start a child: the script (transpiled bench/child.ts), node flags, environment. */
export interface ChildSpec {
  readonly script: string;
  readonly nodeArgs: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** What the runner needs of an implementation: its id, whether it is ours, whether it queues. */
export interface Runnable {
  readonly id: string;
  readonly ours: boolean;
  readonly mailbox: boolean;
}

/** What the runner needs of a timed scenario (bench/scenarios.ts, bench/fanout/scenarios.ts). */
export interface RunScenario<P> {
  readonly id: string;
  readonly group: Group;
  readonly title: string;
  readonly unit: string;
  readonly messages: number;
  applies(peer: P): boolean;
}

/** A heap scenario: one child process per sample and implementation with a mailbox. */
export interface HeapScenario {
  readonly id: string;
  readonly group: Group;
  readonly title: string;
  readonly unit: string;
  readonly messages: number;
  /** The note of an implementation without a mailbox (nothing queues, so nothing to weigh). */
  readonly unqueued?: string;
}

export class Runner<P extends Runnable = Peer> {
  /** Why the run must exit non-zero: a wrong answer anywhere, any failure of ours. */
  readonly fatal: string[] = [];
  readonly results: ScenarioResult[] = [];

  constructor(
    private readonly config: Config,
    private readonly peers: readonly P[],
    private readonly progress: Progress,
    private readonly child: ChildSpec,
  ) {}

  /** Child processes a time scenario will start (for the progress bar). */
  static steps<Q>(config: Config, peers: readonly Q[], scenario: RunScenario<Q>): number {
    return peers.filter((p) => scenario.applies(p)).length * config.rounds;
  }

  async time(scenario: RunScenario<P>, kind: HandlerKind): Promise<ScenarioResult> {
    const cells = this.peers.map((peer): Cell => {
      const cell: Cell = { peer: peer.id, status: 'ok', samples: [], rounds: [] };
      if (!scenario.applies(peer)) {
        cell.status = 'n/a';
        cell.note = 'same code path as the default options';
      }
      return cell;
    });
    const result: ScenarioResult = { ...pick(scenario), kind, cells };
    const where = `${scenario.id}/${kind}`;
    const live = this.peers.filter((_, i) => cells[i]!.status === 'ok');
    for (let round = 0; round < this.config.rounds; round++) {
      for (const peer of rotate(live, round)) {
        const cell = cells[this.peers.indexOf(peer)]!;
        if (cell.status !== 'ok') continue; // failed in an earlier round: not run again
        const m = await this.#run(peer, [`--scenario=${scenario.id}`, `--kind=${kind}`], false);
        this.#record(peer, cell, m, round, where);
        this.progress.step(`${scenario.id} ${kind} ${peer.id}`);
      }
    }
    summarize(cells);
    this.results.push(result);
    return result;
  }

  /** Heap retained per pending request, one child process (under --expose-gc) per sample. */
  heap(): Promise<ScenarioResult> {
    const n = this.config.heapPending;
    return this.sampled({
      id: 'heap',
      group: 'heap',
      title: `Heap retained per pending request (${n.toLocaleString('en-US')} queued behind a blocked handler)`,
      unit: 'bytes / request',
      messages: n,
    });
  }

  /** A heap scenario: one child process (under --expose-gc) per sample and implementation. */
  async sampled(scenario: HeapScenario): Promise<ScenarioResult> {
    const cells = this.peers.map((peer): Cell => {
      const cell: Cell = { peer: peer.id, status: 'ok', samples: [], rounds: [] };
      if (!peer.mailbox) {
        cell.status = 'n/a';
        cell.note = scenario.unqueued ?? 'no mailbox: a request runs at once, nothing queues';
      }
      return cell;
    });
    const { unqueued: _, ...described } = scenario;
    const result: ScenarioResult = { ...described, kind: 'sync', cells };
    const candidates = this.peers.filter((_, i) => cells[i]!.status === 'ok');
    for (let sample = 0; sample < this.config.heapSamples; sample++) {
      for (const peer of rotate(candidates, sample)) {
        const cell = cells[this.peers.indexOf(peer)]!;
        if (cell.status !== 'ok') continue;
        const m = await this.#run(peer, [`--scenario=${scenario.id}`, '--kind=sync'], true);
        this.#record(peer, cell, m, sample, scenario.id);
        this.progress.step(`${scenario.id} ${peer.id}`);
      }
    }
    summarize(cells);
    this.results.push(result);
    return result;
  }

  #record(peer: P, cell: Cell, m: Measurement, round: number, where: string): void {
    if (m.samples.length > 0) {
      cell.samples.push(...m.samples);
      cell.rounds[round] = median(m.samples);
    }
    if (m.status === 'ok') return;
    cell.status = 'failed';
    cell.note = m.note ?? 'failed';
    const fatal = m.checkFailed === true || peer.ours;
    if (fatal) this.fatal.push(`${peer.id} ${where}: ${cell.note}`);
    this.progress.stop();
    process.stderr.write(`${fatal ? 'FAILED' : 'peer failed'}: ${peer.id} ${where}: ${cell.note}\n`);
  }

  /** Starts one child, waits for its result line; a crash or a hang is a failed measurement. */
  #run(peer: P, args: readonly string[], gc: boolean): Promise<Measurement> {
    const { script, nodeArgs, env, cwd } = this.child;
    const argv = [
      ...(gc ? ['--expose-gc'] : []),
      ...nodeArgs,
      script,
      `--peer=${peer.id}`,
      ...args,
      ...(this.config.quick ? ['--quick'] : []),
    ];
    return new Promise((resolve) => {
      const child = spawn(process.execPath, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), this.config.childTimeoutMs);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
        if (line !== undefined) {
          resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as Measurement);
          return;
        }
        const why =
          signal === 'SIGKILL'
            ? `killed after ${this.config.childTimeoutMs / 1000} s`
            : `exited with ${signal ?? `code ${String(code)}`}`;
        const last = stderr.trim().split('\n').slice(-3).join(' / ');
        resolve({ status: 'failed', samples: [], note: `failed: child ${why}${last ? `: ${last}` : ''}` });
      });
    });
  }
}

/** Medians, spread, and the ratio to floor-queue paired round by round. */
export function summarize(cells: Cell[]): void {
  const floor = cells.find((c) => c.peer === FLOOR);
  for (const cell of cells) {
    if (cell.status === 'n/a' || cell.samples.length === 0) continue;
    cell.median = median(cell.samples);
    cell.p25 = quantile(cell.samples, 0.25);
    cell.p75 = quantile(cell.samples, 0.75);
    cell.spread = spread(cell.samples);
    if (floor === undefined) continue;
    const paired = cell.rounds.map((value, round) => {
      const base = floor.rounds[round];
      return value !== undefined && base !== undefined && base > 0 ? value / base : undefined;
    });
    const ratios = paired.filter((r): r is number => r !== undefined);
    if (ratios.length > 0) {
      cell.roundRatios = paired;
      cell.ratio = median(ratios);
    }
  }
}

function pick<P>(s: RunScenario<P>): Omit<ScenarioResult, 'kind' | 'cells'> {
  return { id: s.id, group: s.group, title: s.title, unit: s.unit, messages: s.messages };
}

export function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
