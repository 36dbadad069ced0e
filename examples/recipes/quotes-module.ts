/**
 * The module behind the HTTP recipes (express-handlers.ts, fastify-handlers.ts): a price per
 * symbol, looked up in a source that honours an `AbortSignal`, and orders taken as commands. The
 * source is yours (a database, another service); the module puts one mailbox in front of it.
 */
import {
  createRouter,
  spawnTypedModule,
  type SpawnedTypedModule,
  type SparkChannelCancellationToken,
} from '../../lib/index.js';

/** What the quotes module answers and takes. */
export type QuotesApi = {
  Quote: { request: { symbol: string }; response: { symbol: string; price: number } };
  PlaceOrder: { command: { symbol: string; quantity: number } };
};

/** Where prices come from and orders go. Both calls get the message's `context.signal`. */
export interface QuoteSource {
  /** The price of `symbol`, or `undefined` for a symbol it does not know. */
  price(symbol: string, signal: AbortSignal): Promise<number | undefined>;
  record(order: { symbol: string; quantity: number }, signal: AbortSignal): Promise<void>;
}

/** A handler failure the HTTP layer maps to 404. */
export class UnknownSymbolError extends Error {
  override readonly name = 'UnknownSymbolError';
  constructor(readonly symbol: string) {
    super(`No quote for ${symbol}`);
  }
}

/** The quotes module; `capacity` bounds its mailbox (a full one makes `trySendCommand` throw `CHANNEL_FULL`). */
export function spawnQuotes(
  source: QuoteSource,
  capacity = 64,
): SpawnedTypedModule<QuotesApi, SparkChannelCancellationToken, Error> {
  return spawnTypedModule(
    createRouter<QuotesApi>({
      Quote: {
        request: async ({ symbol }, { signal }) => {
          const price = await source.price(symbol, signal);
          if (price === undefined) throw new UnknownSymbolError(symbol);
          return { symbol, price };
        },
      },
      PlaceOrder: { command: (order, { signal }) => source.record(order, signal) },
    }),
    { capacity },
  );
}
