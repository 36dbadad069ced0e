/**
 * The fan-out scenarios: one event type published to 1, 10 and 100 subscribers. Every sample
 * publishes the same number of deliveries (events × subscribers), so each size costs about the
 * same to run; the tables divide by the events published (µs per publish, all its deliveries
 * included). Every subscriber's order and count are checked after each sample.
 *
 * - `fanout-observers-N`: N observers (spark-channel: `bus.on('Tick')`; the emitters: plain
 *   listeners; Nest: `eventBus.pipe(ofType(Tick))`). Publishes fire-and-forget, as a UI or a
 *   sensor does, nothing done with what `publish` returns; then one drain (every delivery made;
 *   at once for the synchronous ones, after the last microtask for emittery).
 * - `fanout-modules-N`: N module subscribers (spark-channel: a module each, `bus.subscribe`; the
 *   others their nearest thing: the same listeners, or Nest's `@EventsHandler` classes). Each
 *   publish awaited before the next, awaiting what the library's publish returns — spark-channel:
 *   every mailbox accepted it (the way a publisher honours backpressure); emittery: every listener
 *   finished; mitt, eventemitter3 and Nest return nothing, so one microtask turn — then one drain
 *   that waits until every module handled every event.
 * - `fanout-modules-fire-and-forget-N`: the same subscribers, publishes not awaited (as a burst of
 *   events from one source: spark-channel's modules then take the queued events in batches,
 *   the way a module's loop takes what is queued), then the same drain.
 */
import type { Config } from '../config.js';
import type { FanoutBus, FanoutMode, FanoutPeer } from './peer.js';
import type { FanoutWorkload } from './workload.js';

export type FanoutGroup = 'fanout-observers' | 'fanout-modules' | 'fanout-modules-fire-and-forget';

export interface FanoutScenario {
  readonly id: string;
  readonly group: FanoutGroup;
  readonly title: string;
  readonly unit: string;
  /** Events published per sample: the divisor of the per-publish cost. */
  readonly messages: number;
  readonly subscribers: number;
  readonly mode: FanoutMode;
  applies(peer: FanoutPeer): boolean;
  /** Runs one sample; resolves with its duration in ms. */
  run(bus: FanoutBus, work: FanoutWorkload): Promise<number>;
}

const now = (): number => performance.now();

function scenario(config: Config, group: FanoutGroup, subscribers: number): FanoutScenario {
  const events = Math.max(1, Math.round(config.fanoutDeliveries / subscribers));
  const mode: FanoutMode = group === 'fanout-observers' ? 'observers' : 'modules';
  const who = `${subscribers} ${mode === 'observers' ? 'observer' : 'module subscriber'}${subscribers === 1 ? '' : 's'}`;
  const awaited = group === 'fanout-modules';
  return {
    id: `${group}-${subscribers}`,
    group,
    title: `Fan-out to ${who}: ${events.toLocaleString('en-US')} events, ${awaited ? 'each publish awaited' : 'fire-and-forget'}, then drain`,
    unit: 'µs / event',
    messages: events,
    subscribers,
    mode,
    applies: () => true,
    run: !awaited
      ? async (bus, work) => {
          const start = now();
          for (let i = 0; i < events; i++) bus.publish(work.next());
          await work.drained();
          return now() - start;
        }
      : async (bus, work) => {
          const start = now();
          for (let i = 0; i < events; i++) await bus.publish(work.next());
          await work.drained();
          return now() - start;
        },
  };
}

export function fanoutScenarios(config: Config): FanoutScenario[] {
  return (['fanout-observers', 'fanout-modules', 'fanout-modules-fire-and-forget'] as const).flatMap(
    (group) => config.fanoutSubscribers.map((n) => scenario(config, group, n)),
  );
}

/** The heap scenarios' ids: a pending event per module subscriber, and a pending command. */
export const HEAP_EVENT = 'heap-event';
export const HEAP_COMMAND = 'heap-command';

/** Whether a scenario id (of the command line or a child's) is one of the fan-out family's. */
export const isFanoutId = (id: string): boolean =>
  id.startsWith('fanout-') || id === HEAP_EVENT || id === HEAP_COMMAND;
