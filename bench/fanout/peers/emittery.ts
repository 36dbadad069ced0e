/**
 * emittery: `emitter.on('Tick', listener)` per subscriber; `emitter.emit('Tick', event)` calls the
 * listeners a microtask later, concurrently, and resolves once all have finished. No module
 * subscriber: the module scenarios run the same listeners (no mailbox, no backpressure).
 */
import Emittery from 'emittery';

import type { FanoutPeer } from '../peer.js';
import type { TickEvent } from '../workload.js';

export const fanoutEmittery: FanoutPeer = {
  id: 'emittery',
  label: 'emittery',
  wiring: {
    observers: "emitter.on('Tick', listener) per subscriber; emitter.emit('Tick', event)",
    modules: 'the same listeners (emittery has no mailbox)',
  },
  delivers:
    'asynchronously (a microtask later), listeners started in order; async ones overlap; a throw rejects that emit; no mailbox',
  ours: false,
  mailbox: false,
  create(_mode, listeners) {
    const emitter = new Emittery<{ Tick: TickEvent }>();
    for (const listener of listeners) emitter.on('Tick', listener);
    return {
      publish: (seq) => emitter.emit('Tick', { type: 'Tick', seq }),
      close: () => {
        emitter.clearListeners();
        return Promise.resolve();
      },
    };
  },
};
