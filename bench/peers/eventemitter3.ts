/**
 * eventemitter3 with correlation ids: the classic event-bus RPC. The client keeps a map of
 * pending resolvers by id and emits `request`; the server listener emits `response` with the id.
 */
import EventEmitter from 'eventemitter3';

import type { Bus, Peer } from './peer.js';

interface Pending {
  readonly resolve: (value: number) => void;
  readonly reject: (error: unknown) => void;
}

export const eventemitter3: Peer = {
  id: 'eventemitter3',
  label: 'eventemitter3 + ids',
  wiring: "emit('request', id, m) → listener → emit('response', id, value); a Map of pending resolvers",
  mailbox: false,
  commands: true,
  ours: false,
  guarantees: {
    ordering: 'listeners run synchronously in emit order; async handlers overlap (no mailbox)',
    typedReplies: 'no: untyped events, replies matched by hand',
    backpressure: 'no',
    cancellation: 'no',
    isolation: 'no: a synchronous throw unwinds into the emitter (caught by hand here)',
  },
  create(handler): Bus {
    const bus = new EventEmitter();
    const pending = new Map<number, Pending>();
    let ids = 0;
    let last: Promise<unknown> = Promise.resolve();

    // The server side.
    bus.on('request', (id: number, message: number) => {
      try {
        const answer = handler(message);
        if (answer instanceof Promise) {
          answer.then(
            (value) => bus.emit('response', id, value, undefined),
            (error: unknown) => bus.emit('response', id, undefined, error),
          );
        } else {
          bus.emit('response', id, answer, undefined);
        }
      } catch (error: unknown) {
        bus.emit('response', id, undefined, error);
      }
    });
    bus.on('command', (message: number) => {
      const done = handler(message);
      if (done instanceof Promise) last = done;
    });

    // The client side.
    bus.on('response', (id: number, value: number | undefined, error: unknown) => {
      const waiter = pending.get(id)!;
      pending.delete(id);
      if (error !== undefined) waiter.reject(error);
      else waiter.resolve(value!);
    });

    return {
      request: (message) =>
        new Promise<number>((resolve, reject) => {
          const id = ++ids;
          pending.set(id, { resolve, reject });
          bus.emit('request', id, message);
        }),
      command: (message) => bus.emit('command', message),
      drain: async () => {
        await last;
      },
      close: () => {
        bus.removeAllListeners();
        return Promise.resolve();
      },
    };
  },
};
