/**
 * spark-channel's event bus, as docs/events.md wires it. Observers: `bus.on('Tick').subscribe(
 * listener)`, one subscription per subscriber. Modules: one `spawnModule` per subscriber (default
 * options, the listener as its synchronous command handler) and `bus.subscribe('Tick',
 * dispatcher)`: each event becomes a command in every module's mailbox.
 */
import type { SparkGenericModuleDispatcher } from '../../../lib/index.js';
import { loadSpark } from '../../peers/spark-channel.js';
import type { FanoutPeer } from '../peer.js';
import type { Listener, TickEvent } from '../workload.js';

type Events = { Tick: { seq: number } };

function module(listener: Listener): SparkGenericModuleDispatcher<TickEvent, void> {
  return loadSpark().spawnModule<TickEvent, void>({
    handleRequest: () => undefined,
    handleCommand: listener,
  }).dispatcher;
}

export const fanoutSpark: FanoutPeer = {
  id: 'spark-channel',
  label: 'spark-channel',
  wiring: {
    observers: "bus.on('Tick').subscribe(listener) per subscriber; bus.publish(event)",
    modules: "spawnModule(handler) per subscriber, bus.subscribe('Tick', dispatcher); bus.publish(event)",
  },
  delivers:
    'in publish order to each; observers: a throw is reported, the others go on; modules: a mailbox each, one at a time, backpressure (`wait` / drop policies), errors$',
  ours: true,
  mailbox: true,
  create(mode, listeners) {
    const bus = loadSpark().createEventBus<Events>();
    if (mode === 'observers') {
      for (const listener of listeners) bus.on('Tick').subscribe(listener);
      return {
        publish: (seq) => bus.publish({ type: 'Tick', seq }),
        close: () => {
          bus.close();
          return Promise.resolve();
        },
      };
    }
    const dispatchers = listeners.map(module);
    for (const dispatcher of dispatchers) bus.subscribe('Tick', dispatcher);
    return {
      publish: (seq) => bus.publish({ type: 'Tick', seq }),
      close: async () => {
        bus.close();
        await Promise.all(dispatchers.map((d) => d.shutdown()));
      },
    };
  },
  command(listener) {
    const dispatcher = module(listener);
    return {
      send: (seq) => dispatcher.sendCommand({ type: 'Tick', seq }),
      close: () => dispatcher.shutdown(),
    };
  },
};
