/**
 * mitt: the 200-byte emitter. `emitter.on('Tick', listener)` per subscriber, `emitter.emit('Tick',
 * event)`: listeners run synchronously in emit. It has nothing like a module subscriber, so the
 * module scenarios run the same listeners (no mailbox, no backpressure).
 */
import mitt from 'mitt';

import type { FanoutPeer } from '../peer.js';
import type { TickEvent } from '../workload.js';

export const fanoutMitt: FanoutPeer = {
  id: 'mitt',
  label: 'mitt',
  wiring: {
    observers: "emitter.on('Tick', listener) per subscriber; emitter.emit('Tick', event)",
    modules: 'the same listeners (mitt has no mailbox)',
  },
  delivers: 'synchronously, in order; a throwing handler stops the emit (later handlers miss it); no mailbox',
  ours: false,
  mailbox: false,
  create(_mode, listeners) {
    const emitter = mitt<{ Tick: TickEvent }>();
    for (const listener of listeners) emitter.on('Tick', listener);
    return {
      publish: (seq) => emitter.emit('Tick', { type: 'Tick', seq }),
      close: () => {
        emitter.all.clear();
        return Promise.resolve();
      },
    };
  },
};
