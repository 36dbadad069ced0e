/**
 * Fastify 5 request handlers that call the quotes module: the same two routes as
 * express-handlers.ts, with the same replies. spec/recipes/http-handlers.spec.ts serves it on
 * 127.0.0.1.
 */
import fastify, { type FastifyInstance, type FastifyReply } from 'fastify';

import type { TypedDispatcher } from '../../lib/index.js';
import { clientGone, replyFor } from './http-replies.js';
import type { QuotesApi } from './quotes-module.js';

function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const answer = replyFor(error);
  // CANCELLED: the client is gone. `hijack` tells Fastify this reply will not be sent.
  if (answer === undefined) return reply.hijack();
  return reply.code(answer.status).headers(answer.headers).send(answer.body);
}

/** A Fastify app in front of the quotes module; `timeoutMs` bounds each quote. */
export function createFastifyApp(quotes: TypedDispatcher<QuotesApi>, timeoutMs = 2_000): FastifyInstance {
  const app = fastify();

  app.get<{ Params: { symbol: string } }>('/quotes/:symbol', async (request, reply) => {
    // Aborted when the client closes the connection: see express-handlers.ts.
    const signal = clientGone(reply.raw);
    try {
      return await quotes.request({ type: 'Quote', symbol: request.params.symbol }, { timeoutMs, signal });
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.post<{ Body: { symbol: string; quantity: number } }>(
    '/orders',
    {
      schema: {
        body: {
          type: 'object',
          required: ['symbol', 'quantity'],
          properties: { symbol: { type: 'string' }, quantity: { type: 'integer', minimum: 1 } },
        },
      },
    },
    async (request, reply) => {
      try {
        // trySendCommand never waits: a full mailbox throws CHANNEL_FULL now, answered with 503.
        quotes.trySendCommand({ type: 'PlaceOrder', ...request.body });
        return await reply.code(202).send({ accepted: true });
      } catch (error) {
        return sendError(reply, error);
      }
    },
  );

  return app;
}
