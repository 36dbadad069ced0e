// examples/shared-state.ts, the code behind docs/composition.md's "Shared state": the two ways to
// share state without lost updates, checked over any interleaving of callers.
import fc from 'fast-check';

import { AsyncMutex, spawnAccounts, spawnStore } from '../../examples/shared-state.js';
import { deferred } from '../support/helpers.js';

describe('shared state (examples/shared-state.ts)', () => {
  it('one owner: concurrent deposits and withdrawals never lose an update nor overdraw (property)', () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ deposit: fc.boolean(), amount: fc.integer({ min: 1, max: 10 }) }), {
          maxLength: 40,
        }),
        async (operations) => {
          const { dispatcher } = spawnAccounts();
          // Every caller at once, without awaiting in between: the module serializes them.
          const results = await Promise.allSettled(
            operations.map(({ deposit, amount }) =>
              dispatcher.request({ type: deposit ? 'Deposit' : 'Withdraw', account: 'alice', amount }),
            ),
          );
          let expected = 0;
          operations.forEach(({ deposit, amount }, i) => {
            // Handled in call order: a withdrawal fails exactly when it would overdraw.
            const ok = deposit || amount <= expected;
            expect(results[i]?.status).toBe(ok ? 'fulfilled' : 'rejected');
            if (ok) expected += deposit ? amount : -amount;
          });
          await expect(dispatcher.request({ type: 'Balance', account: 'alice' })).resolves.toBe(expected);
          await dispatcher.shutdown();
        },
      ),
    ));

  it('one owner: commands reach the same state', async () => {
    const { dispatcher, audit } = spawnAccounts();
    await dispatcher.sendCommand({ type: 'Audit', note: 'opened' });
    await dispatcher.shutdown();
    expect(audit).toEqual(['opened']);
  });

  it('two modules, one stock: with the mutex, no update is lost (property)', () =>
    fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { maxLength: 30 }), async (isOrder) => {
        const store = spawnStore(new Map([['widget', 3]]), { useMutex: true });
        const results = await Promise.allSettled(
          isOrder.map((order) =>
            order
              ? store.orders.dispatcher.request({ type: 'Order', item: 'widget' })
              : store.restock.dispatcher.sendCommand({ type: 'Restock', item: 'widget', count: 1 }),
          ),
        );
        await store.shutdown();
        const filled = results.filter(
          (result, i) => isOrder[i] === true && result.status === 'fulfilled',
        ).length;
        const restocked = isOrder.filter((order) => !order).length;
        expect(store.stock.get('widget')).toBe(3 - filled + restocked);
        expect(store.stock.get('widget')).toBeGreaterThanOrEqual(0);
      }),
    ));

  it('two modules, one stock: without the mutex, updates are lost (why the mutex is there)', async () => {
    const store = spawnStore(new Map([['widget', 10]]), { useMutex: false });
    await Promise.all(
      Array.from({ length: 5 }, () => [
        store.orders.dispatcher.request({ type: 'Order', item: 'widget' }),
        store.restock.dispatcher.sendCommand({ type: 'Restock', item: 'widget', count: 1 }),
      ]).flat(),
    );
    await store.shutdown();
    expect(store.stock.get('widget')).not.toBe(10);
  });

  describe('AsyncMutex', () => {
    it('runs sections one at a time, in call order, across awaits', async () => {
      const mutex = new AsyncMutex();
      const log: string[] = [];
      const gate = deferred();
      const first = mutex.runExclusive(async () => {
        log.push('first: start');
        await gate.promise;
        log.push('first: end');
        return 1;
      });
      const second = mutex.runExclusive(() => {
        log.push('second');
        return 2;
      });
      await Promise.resolve();
      expect(log).toEqual(['first: start']);
      gate.resolve();
      await expect(Promise.all([first, second])).resolves.toEqual([1, 2]);
      expect(log).toEqual(['first: start', 'first: end', 'second']);
    });

    it('rejects the caller of a failing section and releases the lock', async () => {
      const mutex = new AsyncMutex();
      const failure = new Error('section failed');
      const failed = mutex.runExclusive(() => {
        throw failure;
      });
      const next = mutex.runExclusive(() => 'next');
      await expect(failed).rejects.toBe(failure);
      await expect(next).resolves.toBe('next');
    });
  });
});
