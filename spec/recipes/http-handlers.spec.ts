// examples/recipes/express-handlers.ts and fastify-handlers.ts on real HTTP servers (127.0.0.1,
// a free port), called with fetch: a quote answered, a handler's own failure, a timeout, a
// client that aborts mid-request (the running handler's context.signal must abort, and the
// module records the request as cancelled), a full mailbox shedding load, and a stopped module.
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { filter, firstValueFrom } from 'rxjs';

import { type MessageSettledEvent, SparkChannelError } from '../../lib/index.js';
import { createExpressApp } from '../../examples/recipes/express-handlers.js';
import { createFastifyApp } from '../../examples/recipes/fastify-handlers.js';
import { replyFor } from '../../examples/recipes/http-replies.js';
import { type QuoteSource, spawnQuotes, UnknownSymbolError } from '../../examples/recipes/quotes-module.js';

type Framework = 'express' | 'fastify';

interface Running {
  readonly url: string;
  /** Every response the HTTP server made, to see what the handlers wrote. */
  readonly responses: ServerResponse[];
  close(): Promise<void>;
}

async function serve(
  framework: Framework,
  module: ReturnType<typeof spawnQuotes>,
  timeoutMs: number,
): Promise<Running> {
  if (framework === 'fastify') {
    const app = createFastifyApp(module.dispatcher, timeoutMs);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const responses: ServerResponse[] = [];
    app.server.on('request', (_request, response: ServerResponse) => responses.push(response));
    return {
      url,
      responses,
      // As for Express below: a socket its client aborted would hold close() for seconds.
      close: () => {
        app.server.closeAllConnections();
        return app.close();
      },
    };
  }
  const server = createExpressApp(module.dispatcher, timeoutMs).listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  const responses: ServerResponse[] = [];
  server.on('request', (_request, response: ServerResponse) => responses.push(response));
  return {
    url: `http://127.0.0.1:${port}`,
    responses,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A promise and the function that resolves it. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves once `signal` aborts; rejects after 10 s, so a missing abort fails instead of hanging. */
function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('context.signal was never aborted')), 10_000);
    const done = (): void => {
      clearTimeout(timer);
      resolve(signal.reason);
    };
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
}

const prices = new Map([
  ['ACME', 12],
  ['GLOBEX', 250],
]);

describe.each<Framework>(['express', 'fastify'])(
  'examples/recipes/%s-handlers.ts (a real HTTP server)',
  (framework) => {
    let module: ReturnType<typeof spawnQuotes>;
    let running: Running;
    let source: QuoteSource & {
      hold: boolean;
      signals: AbortSignal[];
      entered: Array<() => void>;
      release: Array<() => void>;
    };

    beforeEach(async () => {
      source = {
        hold: false,
        signals: [],
        entered: [],
        release: [],
        async price(symbol, signal) {
          this.signals.push(signal);
          this.entered.shift()?.();
          // Held calls wait for their signal: only an abort (client gone, timeout) ends them.
          if (this.hold) await aborted(signal).then((reason) => Promise.reject(reason));
          return prices.get(symbol);
        },
        async record(_order, signal) {
          this.signals.push(signal);
          this.entered.shift()?.();
          if (this.hold) await new Promise<void>((resolve) => this.release.push(resolve));
        },
      };
      module = spawnQuotes(source, 1);
      running = await serve(framework, module, 300);
    });

    afterEach(async () => {
      module.server.stop();
      await running.close();
    });

    it('GET /quotes/:symbol answers with the module’s response', async () => {
      const response = await fetch(`${running.url}/quotes/ACME`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ symbol: 'ACME', price: 12 });
    });

    it('a handler’s own failure is mapped by the app: an unknown symbol is a 404', async () => {
      const response = await fetch(`${running.url}/quotes/NOPE`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: 'UNKNOWN_SYMBOL' });
    });

    it('a quote slower than timeoutMs is a 504, and the running handler sees its signal abort', async () => {
      source.hold = true;
      const response = await fetch(`${running.url}/quotes/ACME`);
      expect(response.status).toBe(504);
      expect(await response.json()).toEqual({ error: 'TIMEOUT' });
      const [signal] = source.signals;
      expect(signal?.aborted).toBe(true);
    });

    it('a client that aborts mid-request aborts the running handler’s context.signal; no reply is sent', async () => {
      source.hold = true;
      const entered = deferred();
      source.entered.push(entered.resolve);
      module.server.events$; // opt in before the request, so its `settled` event is seen
      const settled = firstValueFrom(
        module.server.events$.pipe(
          filter((event): event is MessageSettledEvent<never> => event.type === 'settled'),
        ),
      );
      const client = new AbortController();
      const call = fetch(`${running.url}/quotes/ACME`, { signal: client.signal }).catch(
        (error: unknown) => error,
      );

      await entered.promise; // the handler is running, its lookup waiting
      client.abort();

      const [signal] = source.signals;
      await aborted(signal!); // the connection's close reached the handler
      expect((await settled).outcome).toBe('cancelled');
      expect(((await call) as Error).name).toBe('AbortError');
    });

    it('POST /orders takes an order with 202, and sheds load with 503 CHANNEL_FULL when the mailbox is full', async () => {
      source.hold = true;
      const entered = deferred();
      source.entered.push(entered.resolve);
      const post = (quantity: number) =>
        fetch(`${running.url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ symbol: 'ACME', quantity }),
        });

      expect((await post(1)).status).toBe(202); // running
      await entered.promise;
      expect((await post(2)).status).toBe(202); // queued: the one slot of a capacity-1 mailbox
      const full = await post(3);
      expect(full.status).toBe(503);
      expect(full.headers.get('retry-after')).toBe('1');
      expect(await full.json()).toEqual({ error: 'CHANNEL_FULL' });

      expect((await post(0)).status).toBe(400); // bad input never reaches the module
      for (const release of source.release.splice(0)) release();
    });

    it('once the module has stopped, calls are answered 503 (SEND_FAILED): this instance is going away', async () => {
      await module.server.drain(1_000);
      const response = await fetch(`${running.url}/quotes/ACME`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error: 'SEND_FAILED' });
    });
  },
);

describe('replyFor (examples/recipes/http-replies.ts): one mapping for both frameworks', () => {
  it.each([
    ['TIMEOUT', 504, {}],
    ['CHANNEL_FULL', 503, { 'retry-after': '1' }],
    ['RATE_LIMITED', 503, { 'retry-after': '1' }],
    ['SEND_FAILED', 503, {}],
    ['RECEIVE_FAILED', 503, {}],
    ['INVALID_RESPONSE_TYPE', 500, {}],
  ] as const)('%s → %d', (code, status, headers) => {
    expect(replyFor(new SparkChannelError(code, 'x'))).toEqual({ status, headers, body: { error: code } });
  });

  it('CANCELLED → no reply: the client that aborted is gone', () => {
    expect(replyFor(new SparkChannelError('CANCELLED', 'x'))).toBeUndefined();
  });

  it('a handler’s own errors: UnknownSymbolError → 404; anything else → 500 without its message', () => {
    expect(replyFor(new UnknownSymbolError('X'))?.status).toBe(404);
    expect(replyFor(new Error('secret table name'))).toEqual({
      status: 500,
      headers: {},
      body: { error: 'INTERNAL' },
    });
    expect(replyFor('a string')).toEqual({ status: 500, headers: {}, body: { error: 'INTERNAL' } });
  });
});
