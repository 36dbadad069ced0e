// examples/pipeline.ts end to end, in virtual time: symbols through the quotes module's requests
// into the ledger module's commands, both modules' errors in one stream, and cancellation flowing
// from the pipeline's subscriber to the quote handler's context.signal.
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { createTradingPipeline } from '../../examples/pipeline.js';

const prices = new Map([
  ['ACME', 12],
  ['GLOBEX', 250],
  ['INITECH', 7],
]);

function setup(latencyMs = 3) {
  const aborted: string[] = [];
  const pipeline = createTradingPipeline({
    prices,
    latencyMs,
    tradeLimit: 100,
    onQuoteAborted: (symbol) => aborted.push(symbol),
  });
  return { ...pipeline, aborted };
}

const scheduler = (): TestScheduler =>
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('a pipeline of modules (examples/pipeline.ts)', () => {
  it('quotes each symbol in order and records each trade; both modules report their failures in one stream', () => {
    const { trade, errors$, entries } = setup();
    scheduler().run(({ hot, expectObservable, flush }) => {
      // a..d arrive faster than quotes are answered: they are quoted one at a time, in order.
      const symbols = hot('-abcd-----------|', { a: 'ACME', b: 'UNKNOWN', c: 'GLOBEX', d: 'INITECH' });
      const record = (symbol: string) => ({ type: 'Record', symbol, price: prices.get(symbol) });
      expectObservable(trade(symbols)).toBe('----a-----c--d--|', {
        a: record('ACME'),
        c: record('GLOBEX'),
        d: record('INITECH'),
      });
      // UNKNOWN's quote fails after its latency (frame 7); GLOBEX is over the ledger's limit, so
      // its Record command fails as it is handled (frame 10). The pipeline goes on.
      expectObservable(
        errors$.pipe(map(({ kind, message, error }) => `${kind} ${message.type}: ${error.message}`)),
      ).toBe('-------u--g-', {
        u: 'request Quote: No price for UNKNOWN',
        g: 'command Record: Trade of GLOBEX at 250 is over the limit',
      });
      flush();
    });
    expect(entries).toEqual([
      { symbol: 'ACME', price: 12 },
      { symbol: 'INITECH', price: 7 },
    ]);
  });

  it('unsubscribing from the pipeline aborts the quote in flight, and nothing reaches the ledger', () => {
    const { trade, entries, aborted, quotes } = setup(5);
    scheduler().run(({ hot, expectObservable, flush }) => {
      const symbols = hot('-ab---', { a: 'ACME', b: 'INITECH' });
      expectObservable(trade(symbols), '^--!').toBe('---');
      flush();
    });
    // ACME was being quoted: its handler saw context.signal abort. INITECH was never sent.
    expect(aborted).toEqual(['ACME']);
    expect(entries).toEqual([]);
    expect(quotes.server.stats()).toMatchObject({ handled: 1, failed: 0 });
  });

  it('completes the errors stream once both modules have shut down', async () => {
    const { errors$, shutdown } = setup();
    let completed = false;
    errors$.subscribe({ complete: () => (completed = true) });
    await shutdown();
    expect(completed).toBe(true);
  });
});
