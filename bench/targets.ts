/**
 * The targets, computed from the results of this run (never typed in): each is met,
 * missed (and by how much), or unknown when a figure it needs is missing.
 */
import { EVENT_EMITTER, FLOOR, SPARK, SPARK_TIMEOUT, TEXTBOOK } from './peers/index.js';
import type { Cell, Group, ScenarioResult } from './runner.js';
import { median } from './stats.js';
import type { HandlerKind } from './workload.js';

export interface TargetResult {
  readonly target: string;
  readonly kind: HandlerKind | 'both';
  /** What was measured, e.g. `1.84×`. */
  readonly measured: string;
  readonly limit: string;
  readonly met: boolean | undefined;
  /** For a miss: by how much; for a per-scenario target: the scenarios that missed. */
  readonly detail: string;
}

const x = (v: number): string => `${v.toFixed(2)}×`;

/** The event bus's groups (bench/fanout/): their results have their own peers and targets. */
export const isFanoutGroup = (group: Group): boolean => group.startsWith('fanout-') || group === 'event-heap';

function cell(result: ScenarioResult | undefined, peer: string): Cell | undefined {
  return result?.cells.find((c) => c.peer === peer);
}

/** a / b, paired round by round (the same rounds ran both), then the median. */
export function pairedRatio(a: Cell | undefined, b: Cell | undefined): number | undefined {
  if (a?.median === undefined || b?.median === undefined) return undefined;
  const ratios: number[] = [];
  a.rounds.forEach((value, round) => {
    const base = b.rounds[round];
    if (value !== undefined && base !== undefined && base > 0) ratios.push(value / base);
  });
  return ratios.length > 0 ? median(ratios) : a.median / b.median;
}

function ceiling(
  target: string,
  kind: HandlerKind | 'both',
  value: number | undefined,
  limit: number,
): TargetResult {
  if (value === undefined)
    return { target, kind, measured: 'n/a', limit: `≤ ${x(limit)}`, met: undefined, detail: 'no figure' };
  const met = value <= limit;
  return {
    target,
    kind,
    measured: x(value),
    limit: `≤ ${x(limit)}`,
    met,
    detail: met ? '' : `missed by ${((value / limit - 1) * 100).toFixed(0)}%`,
  };
}

export function evaluateTargets(results: readonly ScenarioResult[], headline: string): TargetResult[] {
  const find = (id: string, kind: HandlerKind): ScenarioResult | undefined =>
    results.find((r) => r.id === id && r.kind === kind);
  const out: TargetResult[] = [];
  const kinds: HandlerKind[] = ['sync', 'async'];

  // The targets of the core rewrite (issue 15): [scenario, label, sync limit, async limit].
  const floorRatios: [string, string, number, number][] = [
    ['sequential', 'Sequential round trip vs floor-queue', 2.0, 2.0],
    [headline, 'Pipelined (headline size) vs floor-queue', 2.0, 2.5],
    ['commands-fire-and-forget', 'Commands (fire-and-forget) then drain vs floor-queue', 4.0, 4.0],
    ['clients-8', '8 clients vs floor-queue', 2.5, 2.5],
  ];
  for (const [id, label, syncLimit, asyncLimit] of floorRatios) {
    for (const kind of kinds) {
      const limit = kind === 'sync' ? syncLimit : asyncLimit;
      out.push(ceiling(label, kind, cell(find(id, kind), SPARK)?.ratio, limit));
    }
  }
  out.push(
    ceiling('Heap per pending request vs floor-queue', 'sync', cell(find('heap', 'sync'), SPARK)?.ratio, 2.0),
  );

  for (const kind of kinds) {
    const sizes = results.filter((r) => r.group === 'pipelined' && r.kind === kind);
    const costs = sizes.map((r) => cell(r, SPARK)?.median).filter((v): v is number => v !== undefined);
    const flat =
      costs.length === sizes.length && costs.length > 1 ? Math.max(...costs) / Math.min(...costs) : undefined;
    const sizesText = sizes.map((r) => r.messages.toLocaleString('en-US')).join(' / ');
    let result = ceiling(`Per-message cost flat across ${sizesText} (max / min)`, kind, flat, 1.3);
    // The hand-written floor's own spread across the same sizes: what the engine's GC of that
    // many pending promises costs any implementation, the measure this target is read against.
    const floorCosts = sizes.map((r) => cell(r, FLOOR)?.median).filter((v): v is number => v !== undefined);
    if (floorCosts.length === sizes.length && floorCosts.length > 1) {
      const floorFlat = Math.max(...floorCosts) / Math.min(...floorCosts);
      const note = `floor-queue itself ${x(floorFlat)}`;
      result = { ...result, detail: result.detail === '' ? note : `${result.detail}; ${note}` };
    }
    out.push(result);
  }

  // Per-scenario targets: the worst case decides, the misses are listed.
  const timed = results.filter((r) => r.group !== 'heap');
  const perScenario = (
    target: string,
    kind: HandlerKind | 'both',
    pool: readonly ScenarioResult[],
    measure: (r: ScenarioResult) => number | undefined,
    limit: number,
    direction: 'max' | 'min',
  ): void => {
    let worst: { value: number; id: string } | undefined;
    const misses: string[] = [];
    let missing = 0;
    for (const r of pool) {
      const value = measure(r);
      if (value === undefined) {
        missing++;
        continue;
      }
      const met = direction === 'max' ? value <= limit : value >= limit;
      if (!met) misses.push(`${r.id}/${r.kind} ${x(value)}`);
      if (worst === undefined || (direction === 'max' ? value > worst.value : value < worst.value)) {
        worst = { value, id: `${r.id}/${r.kind}` };
      }
    }
    const limitText = `${direction === 'max' ? '≤' : '≥'} ${x(limit)}`;
    if (worst === undefined) {
      out.push({ target, kind, measured: 'n/a', limit: limitText, met: undefined, detail: 'no figure' });
      return;
    }
    out.push({
      target,
      kind,
      measured: `worst ${x(worst.value)} (${worst.id})`,
      limit: limitText,
      met: misses.length === 0,
      detail:
        (misses.length > 0
          ? `missed in ${misses.length} of ${pool.length - missing}: ${misses.join(', ')}`
          : '') + (missing > 0 ? `${misses.length > 0 ? '; ' : ''}${missing} without a figure` : ''),
    });
  };

  const withOptions = (r: ScenarioResult): number | undefined =>
    pairedRatio(cell(r, SPARK_TIMEOUT), cell(r, SPARK));
  perScenario(
    'Sequential with timeoutMs + signal on every request, vs default options',
    'both',
    timed.filter((r) => r.id === 'sequential'),
    withOptions,
    1.3,
    'max',
  );
  perScenario(
    'Pipelined and 8 clients with timeoutMs + signal on every request, vs default options',
    'both',
    timed.filter((r) => r.group === 'pipelined' || r.id === 'clients-8'),
    withOptions,
    1.5,
    'max',
  );
  // They have no mailbox (no ordering across senders, no backpressure); we do, and must still lead.
  for (const [peer, name] of [
    [EVENT_EMITTER, 'eventemitter3 with correlation ids'],
    ['nestjs-cqrs', '@nestjs/cqrs'],
  ] as const) {
    perScenario(
      `Ahead of ${name} (its cost / ours): pipelined, commands, 8 clients`,
      'both',
      timed.filter((r) => r.group === 'pipelined' || r.group === 'commands' || r.id === 'clients-8'),
      (r) => pairedRatio(cell(r, peer), cell(r, SPARK)),
      1.0,
      'min',
    );
  }
  // The request/command family: the event bus's scenarios have targets of their own, below.
  const core = results.filter((r) => !isFanoutGroup(r.group));
  const ahead = (peer: string, label: string, limit: number): void =>
    perScenario(
      label,
      'both',
      core,
      (r) => {
        const other = cell(r, peer);
        const ours = cell(r, SPARK);
        if (other?.status === 'failed' && ours?.status === 'ok' && other.median === undefined)
          return Infinity;
        return pairedRatio(other, ours);
      },
      limit,
      'min',
    );
  ahead(TEXTBOOK, 'Faster than textbook RxJS (its cost / ours), every scenario', 3.0);
  ahead('p-queue', 'Ahead of p-queue (its cost / ours), every scenario', 1.0);
  ahead('emittery', 'Ahead of emittery (its cost / ours), every scenario', 1.0);

  // The event bus (issue 14): every fan-out size, observers and module subscribers alike.
  const fanout = results.filter((r) => r.group.startsWith('fanout-'));
  for (const [peer, name] of [
    ['emittery', 'emittery'],
    ['nestjs-cqrs', "@nestjs/cqrs's EventBus"],
  ] as const) {
    perScenario(
      `Fan-out: ahead of ${name} (its cost / ours), every size, observers and module subscribers (publish awaited and not)`,
      'sync',
      fanout,
      (r) => pairedRatio(cell(r, peer), cell(r, SPARK)),
      1.0,
      'min',
    );
  }
  perScenario(
    'Fan-out to observers only: within 2× of eventemitter3 (our cost / its), every size',
    'sync',
    fanout.filter((r) => r.group === 'fanout-observers'),
    (r) => pairedRatio(cell(r, SPARK), cell(r, EVENT_EMITTER)),
    2.0,
    'max',
  );
  out.push(
    ceiling(
      'Heap per pending event per module subscriber vs a pending command (spark-channel, paired by sample)',
      'sync',
      pairedRatio(cell(find('heap-event', 'sync'), SPARK), cell(find('heap-command', 'sync'), SPARK)),
      2.0,
    ),
  );
  return out;
}

/** The stretch goal: how spark-channel compares with the peers that give no mailbox guarantees. */
export function stretch(
  results: readonly ScenarioResult[],
): { peer: string; scenario: string; ratio: number }[] {
  const rows: { peer: string; scenario: string; ratio: number }[] = [];
  for (const r of results) {
    for (const peer of [EVENT_EMITTER, 'nestjs-cqrs']) {
      const ratio = pairedRatio(cell(r, SPARK), cell(r, peer));
      if (ratio !== undefined) rows.push({ peer, scenario: `${r.id}/${r.kind}`, ratio });
    }
  }
  return rows;
}
