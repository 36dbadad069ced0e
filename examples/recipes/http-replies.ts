/**
 * One mapping from a module call's failure to an HTTP reply, shared by the Express and Fastify
 * handlers. The codes are the library's (`SparkChannelError.code`); anything else is the
 * handler's own error.
 */
import { isSparkChannelError } from '../../lib/index.js';
import { UnknownSymbolError } from './quotes-module.js';

/** What to answer: a status, headers and a JSON body. */
export interface HttpReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { readonly error: string };
}

/**
 * The reply for `error`, or `undefined` when there is nobody to reply to (`CANCELLED`: the
 * client closed the connection, which is what aborted the request).
 */
export function replyFor(error: unknown): HttpReply | undefined {
  const reply = (status: number, code: string, headers: Record<string, string> = {}): HttpReply => ({
    status,
    headers,
    body: { error: code },
  });
  if (error instanceof UnknownSymbolError) return reply(404, 'UNKNOWN_SYMBOL');
  if (!isSparkChannelError(error)) return reply(500, 'INTERNAL'); // never leak a handler's message
  switch (error.code) {
    case 'CANCELLED':
      return undefined;
    case 'TIMEOUT':
      return reply(504, error.code);
    case 'CHANNEL_FULL': // the mailbox is full: shed load, ask the client to come back
    case 'RATE_LIMITED':
      return reply(503, error.code, { 'retry-after': '1' });
    case 'SEND_FAILED': // the module is draining or stopped: this instance is going away
    case 'RECEIVE_FAILED':
      return reply(503, error.code);
    default:
      return reply(500, error.code);
  }
}

/**
 * An `AbortSignal` that aborts when the client goes away before its reply was sent. Listens on
 * the response, not the request: a request's `close` fires as soon as its body has been read.
 */
export function clientGone(response: {
  once(event: 'close', listener: () => void): unknown;
  readonly writableFinished: boolean;
}): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}
