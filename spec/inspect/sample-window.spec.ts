import fc from 'fast-check';

import { nearestRank, SampleWindow } from '../../lib/inspect/sample-window.js';
import { RateWindow } from '../../lib/inspect/rate-window.js';
import { BoundedList } from '../../lib/inspect/bounded-list.js';

/**
 * The reference, written from the definition rather than from an index formula: the smallest
 * sample with at least a `q` share of all samples at or below it.
 */
function reference(samples: readonly number[], q: number): number | undefined {
  const candidates = [...new Set(samples)].sort((a, b) => a - b);
  return candidates.find((v) => samples.filter((x) => x <= v).length >= q * samples.length);
}

const latency = fc.double({ min: 0, max: 10_000, noNaN: true });

describe('SampleWindow', () => {
  it('gives the nearest-rank p50, p95, p99 and max of the last `size` samples, for any samples', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(latency, { maxLength: 300 }), (size, samples) => {
        const window = new SampleWindow(size);
        for (const sample of samples) window.push(sample);
        const kept = samples.slice(Math.max(0, samples.length - size));
        const got = window.percentiles();
        expect(got.count).toBe(kept.length);
        expect(got.p50).toBe(reference(kept, 0.5));
        expect(got.p95).toBe(reference(kept, 0.95));
        expect(got.p99).toBe(reference(kept, 0.99));
        expect(got.max).toBe(kept.length === 0 ? undefined : Math.max(...kept));
      }),
    );
  });

  it('has no percentile before its first sample', () => {
    expect(new SampleWindow(4).percentiles()).toEqual({ count: 0 });
  });

  it('sorts numerically, not as text', () => {
    const window = new SampleWindow(3);
    for (const sample of [10, 9, 100]) window.push(sample);
    expect(window.percentiles()).toMatchObject({ p50: 10, max: 100 });
  });

  it('takes the first sample for tiny shares (rank 1)', () => {
    expect(nearestRank([1, 2, 3], 0)).toBe(1);
    expect(nearestRank([1, 2, 3], 1)).toBe(3);
  });
});

describe('RateWindow', () => {
  it('is 0 before any tick, then the growth per second since the oldest of the last ten ticks', () => {
    const rate = new RateWindow();
    expect(rate.perSecond(5, 1_000)).toBe(0);
    rate.tick(0, 0);
    expect(rate.perSecond(0, 0)).toBe(0); // no time has passed
    expect(rate.perSecond(10, 500)).toBe(20);
    for (let t = 1; t <= 20; t++) rate.tick(t * 100, t * 1_000); // 100 per second
    // The oldest kept is tick 10 (count 1,000 at 10 s): the first ten have rolled out.
    expect(rate.perSecond(2_000, 20_000)).toBe(100);
    expect(rate.perSecond(2_500, 20_000)).toBe(150);
  });
});

describe('BoundedList', () => {
  it('keeps the newest `size` entries, oldest first, and filters by seq', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.nat(100), fc.nat(100), (size, count, since) => {
        const list = new BoundedList<{ seq: number }>(size);
        for (let seq = 1; seq <= count; seq++) list.push({ seq });
        const kept = Array.from({ length: count }, (_, i) => i + 1).slice(Math.max(0, count - size));
        expect(list.length).toBe(kept.length);
        expect(list.since(since).map((e) => e.seq)).toEqual(kept.filter((seq) => seq > since));
      }),
    );
  });

  it('drops what `retain` refuses, keeping the order', () => {
    const list = new BoundedList<{ seq: number }>(4);
    for (let seq = 1; seq <= 6; seq++) list.push({ seq });
    list.retain((e) => e.seq % 2 === 0);
    expect(list.since(0).map((e) => e.seq)).toEqual([4, 6]);
    list.push({ seq: 7 });
    expect(list.since(0).map((e) => e.seq)).toEqual([4, 6, 7]);
  });
});
