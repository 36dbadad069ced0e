import { config } from 'rxjs';

import { SparkChannelCancellationToken, type SparkChannelCancellationTrait } from '../../lib/index.js';

/** Records what a token's `cancelled$` delivers to one subscriber. */
function watch(token: SparkChannelCancellationToken): { events: string[] } {
  const events: string[] = [];
  token.cancelled$.subscribe({
    next: (value) => events.push(`next:${String(value)}`),
    error: () => events.push('error'),
    complete: () => events.push('complete'),
  });
  return { events };
}

describe('SparkChannelCancellationToken', () => {
  it('starts live: not cancelled, signal not aborted, cancelled$ silent', () => {
    const token = new SparkChannelCancellationToken();
    const { events } = watch(token);

    expect(token.isCancelled).toBe(false);
    expect(token.signal.aborted).toBe(false);
    expect(events).toEqual([]);
  });

  it('satisfies the loose cancellation trait', () => {
    const trait: SparkChannelCancellationTrait = new SparkChannelCancellationToken();
    trait.cancel();
    expect((trait as SparkChannelCancellationToken).isCancelled).toBe(true);
  });

  it('cancel() sets isCancelled, aborts the signal and emits once on cancelled$, then completes', () => {
    const token = new SparkChannelCancellationToken();
    const { events } = watch(token);
    const onAbort = jest.fn();
    token.signal.addEventListener('abort', onAbort);

    token.cancel();

    expect(token.isCancelled).toBe(true);
    expect(token.signal.aborted).toBe(true);
    expect(onAbort).toHaveBeenCalledTimes(1);
    expect(events).toEqual(['next:undefined', 'complete']);
  });

  it('cancel() is idempotent: a second call emits nothing and aborts nothing again', () => {
    const token = new SparkChannelCancellationToken();
    const { events } = watch(token);
    const onAbort = jest.fn();
    token.signal.addEventListener('abort', onAbort);

    token.cancel();
    const signal = token.signal;
    expect(() => token.cancel()).not.toThrow();
    token.cancel();

    expect(token.isCancelled).toBe(true);
    expect(token.signal).toBe(signal);
    expect(onAbort).toHaveBeenCalledTimes(1);
    expect(events).toEqual(['next:undefined', 'complete']);
  });

  it('replays the cancellation to a subscriber that comes after cancel()', () => {
    const token = new SparkChannelCancellationToken();
    token.cancel();

    const { events } = watch(token);

    expect(events).toEqual(['next:undefined', 'complete']);
  });

  it('exposes the same signal every time', () => {
    const token = new SparkChannelCancellationToken();
    expect(token.signal).toBe(token.signal);
  });

  it('keeps its subject private: cancelled$ cannot be used to cancel', () => {
    const token = new SparkChannelCancellationToken();
    expect('next' in token.cancelled$).toBe(false);
    expect('complete' in token.cancelled$).toBe(false);
  });

  it('is already cancelled when the signal aborts and when cancelled$ emits', () => {
    const token = new SparkChannelCancellationToken();
    const seen: boolean[] = [];
    token.signal.addEventListener('abort', () => seen.push(token.isCancelled));
    token.cancelled$.subscribe(() => seen.push(token.isCancelled));

    token.cancel();

    expect(seen).toEqual([true, true]);
  });

  it('cancelling again from inside its own cancelled$ subscriber is harmless', () => {
    const token = new SparkChannelCancellationToken();
    const { events } = watch(token);
    token.cancelled$.subscribe(() => token.cancel());

    token.cancel();

    expect(events).toEqual(['next:undefined', 'complete']);
  });

  it('still cancels its children when a cancelled$ subscriber throws', async () => {
    const previous = config.onUnhandledError;
    // RxJS reports a throwing subscriber asynchronously, on its own hook.
    const reported = new Promise<unknown>((resolve) => (config.onUnhandledError = resolve));
    try {
      const parent = new SparkChannelCancellationToken();
      const child = parent.child();
      const boom = new Error('subscriber failed');
      parent.cancelled$.subscribe(() => {
        throw boom;
      });

      parent.cancel();

      expect(parent.isCancelled).toBe(true);
      expect(child.isCancelled).toBe(true);
      await expect(reported).resolves.toBe(boom);
    } finally {
      config.onUnhandledError = previous;
    }
  });

  describe('child()', () => {
    it('returns a new, live token distinct from its parent', () => {
      const parent = new SparkChannelCancellationToken();
      const child = parent.child();

      expect(child).toBeInstanceOf(SparkChannelCancellationToken);
      expect(child).not.toBe(parent);
      expect(child.isCancelled).toBe(false);
      expect(child.signal).not.toBe(parent.signal);
    });

    it('is cancelled when its parent is: isCancelled, signal and cancelled$', () => {
      const parent = new SparkChannelCancellationToken();
      const child = parent.child();
      const { events } = watch(child);

      parent.cancel();

      expect(child.isCancelled).toBe(true);
      expect(child.signal.aborted).toBe(true);
      expect(events).toEqual(['next:undefined', 'complete']);
    });

    it('cancels every child of a parent', () => {
      const parent = new SparkChannelCancellationToken();
      const children = Array.from({ length: 5 }, () => parent.child());

      parent.cancel();

      expect(children.map((c) => c.isCancelled)).toEqual([true, true, true, true, true]);
    });

    it('cancelling a child leaves the parent and its siblings alone', () => {
      const parent = new SparkChannelCancellationToken();
      const child = parent.child();
      const sibling = parent.child();
      const { events } = watch(parent);

      child.cancel();

      expect(child.isCancelled).toBe(true);
      expect(parent.isCancelled).toBe(false);
      expect(parent.signal.aborted).toBe(false);
      expect(sibling.isCancelled).toBe(false);
      expect(events).toEqual([]);
    });

    it('a child cancelled on its own emits only once when the parent is cancelled later', () => {
      const parent = new SparkChannelCancellationToken();
      const child = parent.child();
      const { events } = watch(child);
      const onAbort = jest.fn();
      child.signal.addEventListener('abort', onAbort);

      child.cancel();
      parent.cancel();

      expect(events).toEqual(['next:undefined', 'complete']);
      expect(onAbort).toHaveBeenCalledTimes(1);
    });

    it('a child of an already cancelled token is born cancelled', () => {
      const parent = new SparkChannelCancellationToken();
      parent.cancel();

      const child = parent.child();

      expect(child.isCancelled).toBe(true);
      expect(child.signal.aborted).toBe(true);
      expect(watch(child).events).toEqual(['next:undefined', 'complete']);
    });

    it('a child of a cancelled child is born cancelled, and the root stays live', () => {
      const root = new SparkChannelCancellationToken();
      const child = root.child();
      child.cancel();

      expect(child.child().isCancelled).toBe(true);
      expect(root.isCancelled).toBe(false);
    });

    it('cancels grandchildren when the root is cancelled', () => {
      const root = new SparkChannelCancellationToken();
      const child = root.child();
      const grandchild = child.child();
      const greatGrandchild = grandchild.child();

      root.cancel();

      expect([child, grandchild, greatGrandchild].map((t) => t.isCancelled)).toEqual([true, true, true]);
    });

    it('cancelling a middle token cancels its descendants but neither its ancestors nor their other branches', () => {
      const root = new SparkChannelCancellationToken();
      const middle = root.child();
      const uncle = root.child();
      const grandchild = middle.child();
      const cousin = uncle.child();

      middle.cancel();

      expect(grandchild.isCancelled).toBe(true);
      expect(root.isCancelled).toBe(false);
      expect(uncle.isCancelled).toBe(false);
      expect(cousin.isCancelled).toBe(false);

      root.cancel();
      expect(uncle.isCancelled).toBe(true);
      expect(cousin.isCancelled).toBe(true);
    });

    it('cancels parents before their children, depth first in creation order', () => {
      const order: string[] = [];
      const root = new SparkChannelCancellationToken();
      const a = root.child();
      const a1 = a.child();
      const b = root.child();
      const tokens: [string, SparkChannelCancellationToken][] = [
        ['root', root],
        ['a', a],
        ['a1', a1],
        ['b', b],
      ];
      for (const [name, token] of tokens) token.cancelled$.subscribe(() => order.push(name));

      root.cancel();

      expect(order).toEqual(['root', 'a', 'a1', 'b']);
    });

    it('a child cancelled while its parent is being cancelled is cancelled once', () => {
      const parent = new SparkChannelCancellationToken();
      const first = parent.child();
      const second = parent.child();
      // The first child's cancellation cancels its sibling while the parent is iterating its children.
      first.cancelled$.subscribe(() => second.cancel());
      const { events } = watch(second);

      parent.cancel();

      expect(second.isCancelled).toBe(true);
      expect(events).toEqual(['next:undefined', 'complete']);
    });
  });

  describe('no leak from cancelled children', () => {
    it('drops cancelled children: cancelling the parent later does not revisit them', () => {
      const parent = new SparkChannelCancellationToken();
      const children = Array.from({ length: 10_000 }, () => parent.child());
      for (const child of children) child.cancel();
      const live = parent.child();

      const cancel = jest.spyOn(SparkChannelCancellationToken.prototype, 'cancel');
      try {
        parent.cancel();
        // The parent itself and its one live child: the 10 000 cancelled ones are gone.
        expect(cancel).toHaveBeenCalledTimes(2);
      } finally {
        cancel.mockRestore();
      }
      expect(parent.isCancelled).toBe(true);
      expect(live.isCancelled).toBe(true);
    });

    it('a long-lived parent keeps working after 10 000 short-lived children came and went', () => {
      const parent = new SparkChannelCancellationToken();
      for (let i = 0; i < 10_000; i++) parent.child().cancel();
      const { events } = watch(parent);
      const child = parent.child();

      expect(parent.isCancelled).toBe(false);
      parent.cancel();

      expect(events).toEqual(['next:undefined', 'complete']);
      expect(child.isCancelled).toBe(true);
    });

    const gc = (globalThis as { gc?: () => void }).gc;
    // Runs under `npm run test:unit` (node --expose-gc); skipped when the GC is not exposed.
    (gc === undefined ? it.skip : it)(
      'lets a cancelled child be collected while its parent lives',
      async () => {
        const parent = new SparkChannelCancellationToken();
        let child: SparkChannelCancellationToken | undefined = parent.child();
        const ref = new WeakRef(child);
        child.cancel();
        child = undefined;

        // A WeakRef target is kept alive until the current job ends.
        await new Promise<void>((resolve) => setImmediate(resolve));
        gc?.();

        expect(ref.deref()).toBeUndefined();
        expect(parent.isCancelled).toBe(false);
      },
    );

    // The control for the test above: a live child that can still be observed must stay
    // reachable, its parent has to cancel it. (One nothing can observe may go: see
    // spec/hardening/child-tokens.spec.ts.)
    (gc === undefined ? it.skip : it)(
      'keeps a live child that is still held cancellable by its parent',
      async () => {
        const parent = new SparkChannelCancellationToken();
        const child = parent.child();
        const ref = new WeakRef(child);

        await new Promise<void>((resolve) => setImmediate(resolve));
        gc?.();

        expect(ref.deref()).toBe(child);
        parent.cancel();
        expect(child.isCancelled).toBe(true);
      },
    );
  });
});
