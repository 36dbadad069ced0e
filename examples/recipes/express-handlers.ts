/**
 * Express 5 request handlers that call the quotes module: a request with a timeout and the
 * client's abort signal (`GET /quotes/:symbol`), and a command that sheds load when the mailbox
 * is full (`POST /orders`). spec/recipes/http-handlers.spec.ts serves it on 127.0.0.1.
 */
import express, { type Express, type Response } from 'express';

import type { TypedDispatcher } from '../../lib/index.js';
import { clientGone, replyFor } from './http-replies.js';
import type { QuotesApi } from './quotes-module.js';

function sendError(res: Response, error: unknown): void {
  const reply = replyFor(error);
  if (reply === undefined) return; // CANCELLED: the client is gone, there is nobody to answer
  res.status(reply.status).set(reply.headers).json(reply.body);
}

/** An Express app in front of the quotes module; `timeoutMs` bounds each quote. */
export function createExpressApp(quotes: TypedDispatcher<QuotesApi>, timeoutMs = 2_000): Express {
  const app = express();
  app.use(express.json());

  app.get('/quotes/:symbol', async (req, res) => {
    // Aborted when the client closes the connection: a queued quote is never looked up, a
    // running one sees its `context.signal` abort, and the call rejects with CANCELLED.
    const signal = clientGone(res);
    try {
      res.json(await quotes.request({ type: 'Quote', symbol: req.params.symbol }, { timeoutMs, signal }));
    } catch (error) {
      sendError(res, error);
    }
  });

  app.post('/orders', (req, res) => {
    const { symbol, quantity } = (req.body ?? {}) as { symbol?: unknown; quantity?: unknown };
    if (typeof symbol !== 'string' || !Number.isInteger(quantity) || (quantity as number) <= 0) {
      res.status(400).json({ error: 'BAD_ORDER' });
      return;
    }
    try {
      // trySendCommand never waits: a full mailbox throws CHANNEL_FULL now, answered with 503.
      quotes.trySendCommand({ type: 'PlaceOrder', symbol, quantity: quantity as number });
      res.status(202).json({ accepted: true });
    } catch (error) {
      sendError(res, error);
    }
  });

  return app;
}
