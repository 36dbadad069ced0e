// A NatsConnectionLike without a server, for the fuzz: requests answer with whatever the test
// says, and messages are delivered straight to the one subscription's callback.
import type { NatsConnectionLike, NatsMsg } from '../../lib/nats/index.js';

export interface FakeConnection extends NatsConnectionLike {
  /** What `request` does: resolve with a reply, reject, or anything a broken connection might. */
  onRequest: (payload: Uint8Array) => unknown;
  /** Delivers `data` to the subscription as a request; resolves with what the member responded. */
  deliver(data: Uint8Array): Promise<Uint8Array | undefined>;
  /** Whether the subscription callback threw (the real client closes its reader when it does). */
  readonly callbackThrew: unknown[];
}

export function fakeConnection(): FakeConnection {
  let callback: ((error: Error | null, msg: NatsMsg) => void) | undefined;
  const callbackThrew: unknown[] = [];
  const fake: FakeConnection = {
    onRequest: () => Promise.reject(new Error('no reply configured')),
    callbackThrew,
    subscribe(_subject, options) {
      callback = options.callback;
      return { drain: () => Promise.resolve(), isClosed: () => false };
    },
    request: (_subject, payload) => fake.onRequest(payload) as Promise<{ readonly data: Uint8Array }>,
    publish: () => undefined,
    flush: () => Promise.resolve(),
    isClosed: () => false,
    isDraining: () => false,
    deliver: (data) =>
      new Promise((resolve) => {
        const msg: NatsMsg = {
          data,
          reply: '_INBOX.fake',
          respond: (bytes) => {
            resolve(bytes);
            return true;
          },
        };
        try {
          callback?.(null, msg);
        } catch (error: unknown) {
          callbackThrew.push(error);
          resolve(undefined);
        }
      }),
  };
  return fake;
}
