/**
 * Shared state, the TypeScript way. The Rust crate shares state between handlers with
 * `Arc<Mutex<T>>`. On JavaScript's one event loop there is no data race, but there is still the
 * lost update: a read, an `await`, then a write based on what was read. Two answers:
 *
 * 1. **One owner** (the default): the state lives inside one module. The server runs one message
 *    at a time, so each handler is a critical section: the module *is* the mutex, and other code
 *    reads and changes the state by sending it messages.
 * 2. **A shared object behind an async mutex**: when several modules must change one object
 *    across `await`s, each change runs inside `mutex.runExclusive(…)`.
 *
 * Run it with `npx tsx examples/shared-state.ts`; spec/docs/shared-state.spec.ts checks it.
 */
import { createRouter, spawnTypedModule } from '../lib/index.js';

// ---------------------------------------------------------------------------------------------
// 1. One owner: the accounts module owns the balances.

export type AccountsApi = {
  Deposit: { request: { account: string; amount: number }; response: number };
  Withdraw: { request: { account: string; amount: number }; response: number };
  Balance: { request: { account: string }; response: number };
  Audit: { command: { note: string } };
};

/** A pretend write to storage: the `await` in the middle of a read-modify-write. */
const persist = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function spawnAccounts() {
  // Only the handlers below touch this map, one message at a time: no lock needed, even across
  // the `await` (the next message starts only when this handler's promise settles).
  const balances = new Map<string, number>();
  const audit: string[] = [];
  const module = spawnTypedModule(
    createRouter<AccountsApi>({
      Deposit: {
        request: async ({ account, amount }) => {
          const balance = (balances.get(account) ?? 0) + amount;
          await persist();
          balances.set(account, balance);
          return balance;
        },
      },
      Withdraw: {
        request: async ({ account, amount }) => {
          const balance = balances.get(account) ?? 0;
          if (amount > balance) throw new Error(`Insufficient funds in ${account}: ${balance} < ${amount}`);
          await persist();
          balances.set(account, balance - amount);
          return balance - amount;
        },
      },
      Balance: { request: ({ account }) => balances.get(account) ?? 0 },
      Audit: { command: ({ note }) => void audit.push(note) },
    }),
  );
  return { ...module, audit };
}

// ---------------------------------------------------------------------------------------------
// 2. A shared object behind an async mutex.

/**
 * Runs critical sections one at a time, in call order, even across `await`s: the TypeScript
 * counterpart of `tokio::sync::Mutex`. A failing section releases the lock and rejects its caller.
 */
export class AsyncMutex {
  #tail: Promise<unknown> = Promise.resolve();

  runExclusive<T>(section: () => T | Promise<T>): Promise<T> {
    const result = this.#tail.then(section);
    this.#tail = result.catch(() => undefined); // the next section waits, whatever this one did
    return result;
  }
}

export type OrdersApi = { Order: { request: { item: string }; response: number } };
export type RestockApi = { Restock: { command: { item: string; count: number } } };

/**
 * Two modules share one stock map: `orders` takes items out, `restock` puts them back. Each
 * module handles its own messages one at a time, but the two run side by side, so every
 * read-modify-write of the shared map runs inside the mutex.
 */
export function spawnStore(initial: ReadonlyMap<string, number>, options: { useMutex: boolean }) {
  const stock = new Map(initial);
  const mutex = new AsyncMutex();
  const exclusive = <T>(section: () => Promise<T>): Promise<T> =>
    options.useMutex ? mutex.runExclusive(section) : section();

  const orders = spawnTypedModule(
    createRouter<OrdersApi>({
      Order: {
        request: ({ item }) =>
          exclusive(async () => {
            const left = stock.get(item) ?? 0;
            if (left === 0) throw new Error(`${item} is out of stock`);
            await persist();
            stock.set(item, left - 1);
            return left - 1;
          }),
      },
    }),
  );
  const restock = spawnTypedModule(
    createRouter<RestockApi>({
      Restock: {
        command: ({ item, count }) =>
          exclusive(async () => {
            const left = stock.get(item) ?? 0;
            await persist();
            stock.set(item, left + count);
          }),
      },
    }),
  );
  const shutdown = async (): Promise<void> => {
    await Promise.all([orders.dispatcher.shutdown(), restock.dispatcher.shutdown()]);
  };
  return { orders, restock, stock, shutdown };
}

async function main(): Promise<void> {
  console.log('1. One owner: 100 concurrent deposits of 1 from many callers');
  const accounts = spawnAccounts();
  await Promise.all(
    Array.from({ length: 100 }, () =>
      accounts.dispatcher.request({ type: 'Deposit', account: 'alice', amount: 1 }),
    ),
  );
  console.log(
    `   balance: ${await accounts.dispatcher.request({ type: 'Balance', account: 'alice' })} (100)`,
  );
  await accounts.dispatcher.sendCommand({ type: 'Audit', note: 'deposits done' });
  await accounts.dispatcher.shutdown();

  for (const useMutex of [false, true]) {
    console.log(
      `2. Two modules share a stock of 10: 5 orders and 5 restocks, ${useMutex ? 'with' : 'without'} the mutex`,
    );
    const store = spawnStore(new Map([['widget', 10]]), { useMutex });
    await Promise.all(
      Array.from({ length: 5 }, () => [
        store.orders.dispatcher.request({ type: 'Order', item: 'widget' }),
        store.restock.dispatcher.sendCommand({ type: 'Restock', item: 'widget', count: 1 }),
      ]).flat(),
    );
    await store.shutdown();
    const left = store.stock.get('widget');
    console.log(`   widgets left: ${left} (${left === 10 ? 'right' : 'updates were lost'})`);
  }
}

if (process.argv[1]?.endsWith('shared-state.ts') === true) {
  main().catch((error: unknown) => {
    console.error('shared-state failed:', error);
    process.exitCode = 1;
  });
}
