/**
 * A pipeline of two modules: a stream of ticker symbols goes through the `quotes` module's
 * requests (a price for each symbol) into the `ledger` module's commands (record each trade).
 * Errors from both modules are watched in one place with `mergeErrors`, and unsubscribing from
 * the pipeline cancels the quote request in flight: its handler sees `context.signal` abort.
 *
 * Run it with `npx tsx examples/pipeline.ts`. spec/integration/pipeline.spec.ts runs the same
 * pipeline in virtual time.
 */
import { interval, map, type Observable, take, timer } from 'rxjs';

import {
  commandVia,
  createRouter,
  mergeErrors,
  type MessageOf,
  type ModuleError,
  requestVia,
  spawnTypedModule,
} from '../lib/index.js';

/** The quotes module: one request type. */
export type QuotesApi = {
  Quote: { request: { symbol: string }; response: { symbol: string; price: number } };
};

/** The ledger module: a command to record a trade, a request to read the total. */
export type LedgerApi = {
  Record: { command: { symbol: string; price: number } };
  Total: { request: object; response: number };
};

export interface PipelineOptions {
  /** Prices by symbol; a symbol without a price fails its quote request. */
  readonly prices: ReadonlyMap<string, number>;
  /** How long a quote takes. */
  readonly latencyMs: number;
  /** The ledger refuses (fails the command for) any single trade above this. */
  readonly tradeLimit: number;
  /** Told when a quote's work is aborted (its caller gave up on it). */
  readonly onQuoteAborted?: (symbol: string) => void;
}

// Failures are watched on errors$ (below), so the servers need not log them too.
const quiet = { error: (): void => undefined };

/** Builds both modules and the pipeline between them. */
export function createTradingPipeline(options: PipelineOptions) {
  const quotes = spawnTypedModule(
    createRouter<QuotesApi>({
      Quote: {
        request: ({ symbol }, { signal }) => {
          signal.addEventListener('abort', () => options.onQuoteAborted?.(symbol), { once: true });
          // An observable answer: the server unsubscribes from it once answered, and it is timed
          // with RxJS's `timer`, so tests can run it in virtual time.
          return timer(options.latencyMs).pipe(
            map(() => {
              const price = options.prices.get(symbol);
              if (price === undefined) throw new Error(`No price for ${symbol}`);
              return { symbol, price };
            }),
          );
        },
      },
    }),
    { logger: quiet },
  );

  // The ledger's state is its own: one message at a time, so no lock is needed.
  const entries: { symbol: string; price: number }[] = [];
  const ledger = spawnTypedModule(
    createRouter<LedgerApi>({
      Record: {
        command: ({ symbol, price }) => {
          if (price > options.tradeLimit) throw new Error(`Trade of ${symbol} at ${price} is over the limit`);
          entries.push({ symbol, price });
        },
      },
      Total: { request: () => entries.reduce((sum, entry) => sum + entry.price, 0) },
    }),
    { logger: quiet },
  );

  /** Every handler failure of both modules, in one stream. */
  const errors$: Observable<
    ModuleError<MessageOf<QuotesApi>, Error> | ModuleError<MessageOf<LedgerApi>, Error>
  > = mergeErrors(quotes.server, ledger.server);

  /** Symbols in, recorded trades out. */
  const trade = (
    symbols$: Observable<string>,
  ): Observable<{ type: 'Record'; symbol: string; price: number }> =>
    symbols$.pipe(
      map((symbol) => ({ type: 'Quote' as const, symbol })),
      // One quote at a time, in order; a symbol without a price is skipped (and on errors$).
      requestVia(quotes.dispatcher, { onHandlerError: 'skip' }),
      map(({ symbol, price }) => ({ type: 'Record' as const, symbol, price })),
      // Each trade is recorded in order, once the ledger has room for it.
      commandVia(ledger.dispatcher),
    );

  const shutdown = async (): Promise<void> => {
    await Promise.all([quotes.dispatcher.shutdown(), ledger.dispatcher.shutdown()]);
  };

  return { quotes, ledger, entries, errors$, trade, shutdown };
}

async function main(): Promise<void> {
  const pipeline = createTradingPipeline({
    prices: new Map([
      ['ACME', 12],
      ['GLOBEX', 250],
      ['INITECH', 7],
    ]),
    latencyMs: 50,
    tradeLimit: 100,
    onQuoteAborted: (symbol) => console.log(`  [quotes] the quote for ${symbol} was aborted`),
  });
  pipeline.errors$.subscribe(({ kind, message, error }) =>
    console.log(`  [errors] ${kind} ${message.type} failed: ${error.message}`),
  );

  console.log('1. Trade four symbols: one has no price, one is over the limit');
  await new Promise<void>((resolve) => {
    pipeline
      .trade(
        interval(10).pipe(
          take(4),
          map((i) => ['ACME', 'UNKNOWN', 'GLOBEX', 'INITECH'][i] ?? ''),
        ),
      )
      .subscribe({
        next: ({ symbol, price }) => console.log(`  [pipeline] sent ${symbol} at ${price} to the ledger`),
        complete: resolve,
      });
  });
  console.log(`  ledger total: ${await pipeline.ledger.dispatcher.request({ type: 'Total' })}`);

  console.log('2. Start another trade, and unsubscribe while its quote is in flight');
  const subscription = pipeline.trade(timer(0).pipe(map(() => 'ACME'))).subscribe();
  await new Promise((resolve) => setTimeout(resolve, 20));
  subscription.unsubscribe();
  console.log(`  ledger total: ${await pipeline.ledger.dispatcher.request({ type: 'Total' })} (unchanged)`);

  await pipeline.shutdown();
  console.log('Done.');
}

if (process.argv[1]?.endsWith('pipeline.ts') === true) {
  main().catch((error: unknown) => {
    console.error('pipeline failed:', error);
    process.exitCode = 1;
  });
}
