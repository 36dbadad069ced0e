/**
 * eventemitter3: `emitter.on('Tick', listener)` per subscriber, `emitter.emit('Tick', event)`:
 * listeners run synchronously in emit. No module subscriber: the module scenarios run the same
 * listeners (no mailbox, no backpressure).
 */
import EventEmitter from 'eventemitter3';

import type { FanoutPeer } from '../peer.js';
import type { TickEvent } from '../workload.js';

export const fanoutEventemitter3: FanoutPeer = {
  id: 'eventemitter3',
  label: 'eventemitter3',
  wiring: {
    observers: "emitter.on('Tick', listener) per subscriber; emitter.emit('Tick', event)",
    modules: 'the same listeners (eventemitter3 has no mailbox)',
  },
  delivers: 'synchronously, in order; a throwing listener unwinds into emit (later ones miss it); no mailbox',
  ours: false,
  mailbox: false,
  create(_mode, listeners) {
    const emitter = new EventEmitter<{ Tick: [TickEvent] }>();
    for (const listener of listeners) emitter.on('Tick', listener);
    return {
      publish: (seq) => emitter.emit('Tick', { type: 'Tick', seq }),
      close: () => {
        emitter.removeAllListeners();
        return Promise.resolve();
      },
    };
  },
};
