/**
 * The fan-out floor: the least a fan-out can do. Observers: a loop over an array of listeners.
 * Modules: a loop handing the event to one floor-queue (bench/peers/floor-queue.ts: a ring
 * buffer, one drain loop) per subscriber. The reference of every fan-out ratio.
 */
import { FloorQueue, floorQueue } from '../../peers/floor-queue.js';
import type { FanoutPeer } from '../peer.js';
import type { Listener, TickEvent } from '../workload.js';

export const fanoutFloor: FanoutPeer = {
  id: floorQueue.id, // the same id: every ratio, here too, is to the floor
  label: 'floor (listener loop / floor-queue per module)',
  wiring: {
    observers: 'for (const listener of listeners) listener(event)',
    modules: 'for (const queue of queues) queue.command(event): one floor-queue per subscriber',
  },
  delivers: 'in order; modules: a mailbox each, unbounded; no isolation of a throwing listener',
  ours: true,
  mailbox: true,
  create(mode, listeners) {
    if (mode === 'observers') {
      const all = [...listeners];
      return {
        publish: (seq) => {
          const event: TickEvent = { type: 'Tick', seq };
          for (let i = 0; i < all.length; i++) void all[i]!(event);
        },
        close: () => Promise.resolve(),
      };
    }
    const queues = listeners.map((listener) => new FloorQueue<TickEvent, void>(listener));
    return {
      publish: (seq) => {
        const event: TickEvent = { type: 'Tick', seq };
        for (let i = 0; i < queues.length; i++) queues[i]!.command(event);
      },
      close: () => Promise.resolve(),
    };
  },
  command(listener: Listener) {
    const queue = new FloorQueue<TickEvent, void>(listener);
    return { send: (seq) => queue.command({ type: 'Tick', seq }), close: () => Promise.resolve() };
  },
};
