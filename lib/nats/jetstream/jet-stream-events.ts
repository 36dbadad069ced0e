// Durable events on JetStream for natsEventBus: a stream (limits retention, kept for maxAgeMs)
// captures every event under the prefix; each bus subscribes through a durable pull consumer
// named after its queue group (or `consumer`), so it resumes where it left off after a restart
// and buses sharing the name share the events. Per event: one local publish, awaited, then the ack.
import type { ConsumerMessages } from '@nats-io/jetstream';

import {
  checkOptions,
  checkPositiveInteger,
  checkPositiveNumber,
  describe,
  failure,
  readable,
} from '../../internal/validate.js';
import type { NatsConnectionLike } from '../connection.js';
import type { DurableEventHost, DurableEvents, DurableEventSubscription } from '../durable-events.js';
import { describeThrown } from '../wire.js';
import { storeOnce } from './durable-sender.js';
import { consumerName } from './durable-member.js';
import { ensureConsumer, ensureStream, jetStreamOf, type StreamPlan } from './jet-stream-setup.js';

/**
 * Options of {@link jetStreamEvents}.
 *
 * @example
 * const options: JetStreamEventsOptions = { consumer: 'billing', maxAgeMs: 86_400_000, from: 'all' };
 * const bus = natsEventBus<ShopEvents>(nc, { prefix: 'shop', durable: jetStreamEvents(options) });
 */
export interface JetStreamEventsOptions {
  /** The durable consumer's name: the subscriber that resumes across restarts. Default: the bus's `queue` (one of them is required to subscribe). */
  consumer?: string;
  /** The stream's name. Default: `SPARK_EVENTS_` and the prefix, refused characters as `_`. */
  stream?: string;
  /** How long the stream keeps an event. Default 7 days. */
  maxAgeMs?: number;
  /** Where a consumer made for the first time starts: `'new'` events (the default) or `'all'` the stream kept. */
  from?: 'new' | 'all';
  /** How long an event may stay unacked before it is delivered again. Default 30 000. */
  ackWaitMs?: number;
  /** Default `'file'` (events survive a server restart). */
  storage?: 'file' | 'memory';
  /** How long `publish` waits for the stream's answer, per attempt (3 attempts, same message id). Default 5 000. */
  publishTimeoutMs?: number;
  /** Events a bus pulls ahead. Default 64. */
  prefetch?: number;
}

/**
 * Durable events on NATS JetStream, for the `durable` option of `natsEventBus`: a stream keeps
 * every event of the prefix, `publish` resolves once it stored the event (`SEND_FAILED` when it
 * could not), and the bus subscribes through a durable consumer, so it gets every event **at
 * least once**, those published while it was down included. An event is acked once every local
 * subscriber accepted it (a module: in its mailbox).
 *
 * @throws TypeError / RangeError naming a bad option; a bus that subscribes with neither
 *   `consumer` nor `queue` throws a TypeError naming `consumer`.
 *
 * @example
 * import { jetStreamEvents } from 'spark-channel/nats/jetstream';
 * const bus = natsEventBus<ShopEvents>(nc, { prefix: 'shop', queue: 'billing', durable: jetStreamEvents() });
 * bus.subscribe('OrderPlaced', billing.dispatcher); // resumes after a restart where it left off
 */
export function jetStreamEvents(options?: JetStreamEventsOptions): DurableEvents {
  checkOptions('options', options);
  const read = <K extends keyof JetStreamEventsOptions>(key: K): JetStreamEventsOptions[K] | undefined =>
    readable('options', () => options?.[key]);
  const name = (key: 'consumer' | 'stream'): string | undefined => {
    const value = read(key);
    if (value !== undefined && (typeof value !== 'string' || !/^[A-Za-z0-9_-]+$/.test(value))) {
      throw new TypeError(
        `Expected \`${key}\` to be a name of letters, digits, "_" and "-", got ${describe(value)}`,
      );
    }
    return value;
  };
  const consumer = name('consumer');
  const stream = name('stream');
  const from = read('from') ?? 'new';
  if (from !== 'new' && from !== 'all')
    throw new TypeError(`Expected \`from\` to be "new" or "all", got ${describe(from)}`);
  const storage = read('storage') ?? 'file';
  if (storage !== 'file' && storage !== 'memory') {
    throw new TypeError(`Expected \`storage\` to be "file" or "memory", got ${describe(storage)}`);
  }
  const positive = (key: 'maxAgeMs' | 'ackWaitMs' | 'publishTimeoutMs', fallback: number): number => {
    const value = read(key);
    return value === undefined ? fallback : checkPositiveNumber(key, value, false);
  };
  const maxAgeMs = positive('maxAgeMs', 7 * 24 * 3_600_000);
  const ackWaitMs = positive('ackWaitMs', 30_000);
  const publishTimeoutMs = positive('publishTimeoutMs', 5_000);
  const prefetchOption = read('prefetch');
  const prefetch = prefetchOption === undefined ? 64 : checkPositiveInteger('prefetch', prefetchOption);
  const plan = (prefix: string): StreamPlan => ({
    name: stream ?? `SPARK_EVENTS_${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}`,
    subjects: [`${prefix}.>`],
    retention: 'limits',
    storage,
    duplicateWindowMs: 120_000,
    maxMessages: -1,
    maxAgeMs,
  });

  return {
    publish: (nc, prefix, subject, payload, headers) =>
      storeOnce(
        nc as NatsConnectionLike,
        plan(prefix),
        subject,
        payload,
        globalThis.crypto.randomUUID(),
        publishTimeoutMs,
        headers,
      ),
    subscribe(host: DurableEventHost): DurableEventSubscription {
      const durable = consumer ?? (host.queue === undefined ? undefined : consumerName(host.queue));
      if (durable === undefined) {
        throw new TypeError(
          'Expected a `consumer` name in jetStreamEvents() or a `queue` on the bus: a durable subscription resumes by its name',
        );
      }
      const nc = host.nc as NatsConnectionLike;
      const streamPlan = plan(host.prefix);
      let messages: ConsumerMessages | undefined;
      let stopping = false;
      const ready = (async () => {
        try {
          await ensureStream(nc, streamPlan);
          await ensureConsumer(nc, {
            stream: streamPlan.name,
            name: durable,
            ackWaitMs,
            deliverNew: from === 'new',
          });
          const pull = await jetStreamOf(nc).consumers.get(streamPlan.name, durable);
          messages = await pull.consume({ max_messages: prefetch });
        } catch (error: unknown) {
          throw failure(
            'RECEIVE_FAILED',
            `Could not consume the durable events of "${host.prefix}" (stream ${streamPlan.name}): ${describeThrown(error)}`,
            error,
          );
        }
        if (stopping) void messages.close();
      })();
      const loop = ready.then(
        async () => {
          for await (const msg of messages as ConsumerMessages) {
            if (stopping) {
              msg.nak();
              continue;
            }
            try {
              // In stream order: each accepted before the next.
              await host.deliver(msg.subject, msg.data, msg.headers);
              msg.ack();
            } catch {
              msg.nak(); // the bus closed meanwhile: delivered again when it comes back
            }
          }
        },
        () => undefined, // ready reports it
      );
      void loop.catch((error: unknown) =>
        host.log(`spark-channel/nats: the durable events of "${host.prefix}" failed`, error),
      );
      return {
        ready,
        async stop() {
          if (stopping) return;
          stopping = true;
          try {
            await messages?.close();
          } catch {
            // the connection closed meanwhile
          }
          await loop;
        },
      };
    },
  };
}
