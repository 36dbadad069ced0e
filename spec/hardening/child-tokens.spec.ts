// Child tokens that are never cancelled: collectable once nothing can observe them, still
// cancelled with their parent while anything can (their signal, or a cancelled$ subscriber).
// Runs with `node --expose-gc` (npm test does); skipped otherwise.
import { firstValueFrom } from 'rxjs';

import { SparkChannelCancellationToken } from '../../lib/index.js';
import { kChildCount } from '../../lib/cancellation-token.js';

// The heap checks run 100,000 messages and many gc passes: a hang guard for a loaded machine, not a speed check.
jest.setTimeout(120_000);

const gc = (globalThis as { gc?: () => void }).gc;
const withGc = gc === undefined ? it.skip : it;

/**
 * Full collections with macrotasks in between: a WeakRef target lives until the current job
 * ends, and FinalizationRegistry callbacks run in a task of their own after the collection.
 */
async function collect(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc?.();
  }
  await new Promise((resolve) => setImmediate(resolve));
}

/** Heap used after full collections: the lowest of three readings (jest and the JIT allocate too). */
async function settledHeap(): Promise<number> {
  const readings: number[] = [];
  for (let reading = 0; reading < 3; reading++) {
    await collect();
    readings.push(process.memoryUsage().heapUsed);
  }
  return Math.min(...readings);
}

/** Makes a child nobody keeps: the per-request child-token idiom whose request never cancels it. */
function dropChild(parent: SparkChannelCancellationToken): void {
  parent.child();
}

describe('uncancelled child tokens', () => {
  withGc('100,000 children never cancelled nor kept: the heap returns to its baseline', async () => {
    const parent = new SparkChannelCancellationToken();
    for (let i = 0; i < 10_000; i++) dropChild(parent); // JIT warm-up before the baseline
    await collect();
    const before = await settledHeap();
    for (let i = 0; i < 100_000; i++) dropChild(parent);
    const growth = (await settledHeap()) - before;
    // Retained, this would be ~38 MB (≈386 bytes a child); the bound leaves room for jest.
    expect({ growth, withinBound: growth < 2 * 1024 * 1024 }).toMatchObject({ withinBound: true });
    // The parent's record of its children shrinks with them.
    expect(parent[kChildCount]).toBeLessThan(1_000);
    const kept = parent.child();
    parent.cancel();
    expect(kept.isCancelled).toBe(true);
  });

  withGc('a child whose signal alone is kept (as fetch keeps it) still aborts with its parent', async () => {
    const parent = new SparkChannelCancellationToken();
    let signal: AbortSignal | undefined = parent.child().signal;
    const aborted = jest.fn();
    signal.addEventListener('abort', aborted);
    await collect();
    parent.cancel();
    expect(signal.aborted).toBe(true);
    expect(aborted).toHaveBeenCalledTimes(1);
    signal = undefined;
  });

  withGc('a child whose cancelled$ has a subscriber (the token dropped) is still notified', async () => {
    const parent = new SparkChannelCancellationToken();
    const notified = jest.fn();
    parent.child().cancelled$.subscribe(notified);
    const grandchildNotified = jest.fn();
    parent.child().child().cancelled$.subscribe(grandchildNotified); // two levels, both dropped
    const promised = firstValueFrom(parent.child().cancelled$);
    await collect();
    parent.cancel();
    expect(notified).toHaveBeenCalledTimes(1);
    expect(grandchildNotified).toHaveBeenCalledTimes(1);
    await expect(promised).resolves.toBeUndefined();
  });

  withGc('once its cancelled$ subscriber leaves, a dropped child is collectable again', async () => {
    const parent = new SparkChannelCancellationToken();
    let child: SparkChannelCancellationToken | undefined = parent.child();
    const ref = new WeakRef(child);
    const subscription = child.cancelled$.subscribe();
    child = undefined;
    await collect();
    expect(ref.deref()).toBeDefined(); // held for its subscriber
    subscription.unsubscribe();
    await collect();
    expect(ref.deref()).toBeUndefined();
    expect(parent[kChildCount]).toBe(0);
  });

  withGc('a grandchild whose signal is kept keeps its whole branch cancellable', async () => {
    const root = new SparkChannelCancellationToken();
    const signal = root.child().child().signal;
    await collect();
    root.cancel();
    expect(signal.aborted).toBe(true);
  });

  it('counts its live children: cancelled ones leave at once', () => {
    const parent = new SparkChannelCancellationToken();
    const children = [parent.child(), parent.child(), parent.child()];
    expect(parent[kChildCount]).toBe(3);
    children[1]?.cancel();
    expect(parent[kChildCount]).toBe(2);
    parent.cancel();
    expect(parent[kChildCount]).toBe(0);
  });

  it('a subscriber that subscribes after cancel, or unsubscribes after it, changes nothing', () => {
    const parent = new SparkChannelCancellationToken();
    const child = parent.child();
    const early = child.cancelled$.subscribe();
    parent.cancel();
    early.unsubscribe();
    const late = jest.fn();
    child.cancelled$.subscribe(late);
    expect(late).toHaveBeenCalledTimes(1);
    expect(parent[kChildCount]).toBe(0);
  });

  it('a cancelled$ subscriber of a child cancelled on its own leaves the parent alone', () => {
    const parent = new SparkChannelCancellationToken();
    const child = parent.child();
    const subscription = child.cancelled$.subscribe();
    child.cancel();
    subscription.unsubscribe();
    expect(parent[kChildCount]).toBe(0);
    expect(parent.isCancelled).toBe(false);
  });
});
