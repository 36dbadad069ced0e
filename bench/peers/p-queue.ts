/** p-queue with concurrency 1: the popular promise queue, used as a mailbox. */
import PQueue from 'p-queue';

import type { Bus, Peer } from './peer.js';

export const pQueue: Peer = {
  id: 'p-queue',
  label: 'p-queue (concurrency 1)',
  wiring: 'new PQueue({ concurrency: 1 }); queue.add(() => handler(m)); drain: queue.onIdle()',
  mailbox: true,
  commands: true,
  ours: false,
  guarantees: {
    ordering: 'yes: concurrency 1, FIFO (or priority)',
    typedReplies: 'yes (add<R> returns Promise<R>)',
    backpressure: 'no bound on the queue (onSizeLessThan lets a sender wait by hand)',
    cancellation: 'yes: `signal` per task, `timeout`',
    isolation: 'yes: a rejection fails that task only',
  },
  create(handler): Bus {
    const queue = new PQueue({ concurrency: 1 });
    return {
      request: (m) => queue.add(() => handler(m)) as Promise<number>,
      command: (m) => queue.add(() => handler(m)),
      drain: () => queue.onIdle(),
      close: () => {
        queue.clear();
        return Promise.resolve();
      },
    };
  },
};
