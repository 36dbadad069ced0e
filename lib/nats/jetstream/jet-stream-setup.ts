// Making the streams and the consumer a durable module needs, idempotently, from whichever side
// comes first: a sender stores commands before any member ever ran, a member consumes what was
// stored before it started. Memoized per connection and stream, forgotten on failure so that a
// later call tries again (JetStream may come up after the connection did).
import {
  jetstream,
  JetStreamApiError,
  type JetStreamClient,
  jetstreamManager,
  type JetStreamManager,
} from '@nats-io/jetstream';

import type { NatsConnectionLike } from '../connection.js';

/** The connection `@nats-io/jetstream` takes: a `NatsConnection` of `@nats-io/transport-node`. */
export type JetStreamConnection = Parameters<typeof jetstream>[0];

/** A stream as `jetStreamCommands` configures it. */
export interface StreamPlan {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly retention: 'workqueue' | 'limits';
  readonly storage: 'file' | 'memory';
  readonly duplicateWindowMs: number;
  readonly maxMessages: number;
  /** How long the stream keeps a message; 0: until a limit or an ack removes it. */
  readonly maxAgeMs?: number;
}

const ms = (value: number): number => Math.round(value * 1_000_000); // JetStream counts nanoseconds

interface Clients {
  readonly js: JetStreamClient;
  manager?: Promise<JetStreamManager> | undefined;
  readonly streams: Map<string, Promise<void>>;
}
const byConnection = new WeakMap<object, Clients>();

function clients(nc: NatsConnectionLike): Clients {
  let found = byConnection.get(nc);
  if (found === undefined) {
    found = { js: jetstream(nc as unknown as JetStreamConnection), streams: new Map() };
    byConnection.set(nc, found);
  }
  return found;
}

/** The JetStream client of `nc` (one per connection). */
export function jetStreamOf(nc: NatsConnectionLike): JetStreamClient {
  return clients(nc).js;
}

function managerOf(nc: NatsConnectionLike): Promise<JetStreamManager> {
  const found = clients(nc);
  found.manager ??= jetstreamManager(nc as unknown as JetStreamConnection).catch((error: unknown) => {
    found.manager = undefined;
    throw error;
  });
  return found.manager;
}

/** Makes the stream unless it exists (an existing one is used as it is). */
export function ensureStream(nc: NatsConnectionLike, plan: StreamPlan): Promise<void> {
  const found = clients(nc);
  let made = found.streams.get(plan.name);
  if (made === undefined) {
    made = (async () => {
      const jsm = await managerOf(nc);
      try {
        await jsm.streams.info(plan.name);
        return;
      } catch (error: unknown) {
        if (!isNotFound(error)) throw error;
      }
      await jsm.streams.add({
        name: plan.name,
        subjects: [...plan.subjects],
        retention: plan.retention,
        storage: plan.storage,
        // A full stream refuses the command (the sender gets SEND_FAILED) instead of dropping the oldest.
        discard: 'new',
        max_msgs: plan.maxMessages,
        duplicate_window: ms(plan.duplicateWindowMs),
        max_age: ms(plan.maxAgeMs ?? 0),
      });
    })();
    found.streams.set(plan.name, made);
    made.catch(() => found.streams.delete(plan.name));
  }
  return made;
}

/** A durable pull consumer, made or updated to these settings. */
export interface ConsumerPlan {
  readonly stream: string;
  readonly name: string;
  readonly ackWaitMs: number;
  readonly filterSubject?: string;
  readonly deliverNew?: boolean;
}

/** Makes the durable consumer, or brings an existing one to `plan`'s ack wait. */
export async function ensureConsumer(nc: NatsConnectionLike, plan: ConsumerPlan): Promise<void> {
  const jsm = await managerOf(nc);
  const config = {
    durable_name: plan.name,
    ack_policy: 'explicit' as never,
    ack_wait: ms(plan.ackWaitMs),
    // Unlimited on the server: the member counts deliveries and moves a command past maxDeliver
    // to the dead-letter stream itself, which works even when the command kills its members (a
    // server-side limit would leave such a command in the work queue, unseen, for ever).
    max_deliver: -1,
    deliver_policy: (plan.deliverNew === true ? 'new' : 'all') as never,
    ...(plan.filterSubject === undefined ? {} : { filter_subject: plan.filterSubject }),
  };
  try {
    await jsm.consumers.info(plan.stream, plan.name);
  } catch (error: unknown) {
    if (!isNotFound(error)) throw error;
    try {
      await jsm.consumers.add(plan.stream, config);
      return;
    } catch (raced: unknown) {
      // another member made it meanwhile: fall through and update it to our settings
      if (isNotFound(raced)) throw raced;
    }
  }
  await jsm.consumers.update(plan.stream, plan.name, { ack_wait: config.ack_wait });
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.status === 404 || error.code === 10059 || error.code === 10014)
  );
}
