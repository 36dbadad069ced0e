/** No bus at all: `await handler(message)`. The cost of the work itself, for scale. */
import type { Answer } from '../workload.js';
import type { Bus, Peer } from './peer.js';

export const directCall: Peer = {
  id: 'direct-call',
  label: 'direct call',
  wiring: 'await handler(message)',
  mailbox: false,
  commands: true,
  ours: false,
  guarantees: {
    ordering: 'only what the caller does: async handlers overlap',
    typedReplies: 'yes (a function call)',
    backpressure: 'no',
    cancellation: 'no',
    isolation: 'no: a throw reaches the caller (there is no server to keep alive)',
  },
  create(handler): Bus {
    let last: Answer = 0;
    return {
      request: (m) => handler(m),
      command: (m) => (last = handler(m)),
      drain: async () => {
        await last;
      },
      close: () => Promise.resolve(),
    };
  },
};
