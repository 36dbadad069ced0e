// The serving side of durable commands: one durable pull consumer per queue group, shared by its
// members. Per command received: one decode, one DurableDelivery into the module's mailbox (in
// stream order: the loop waits while the mailbox is full), and the ack once the handler settled.
// A command delivered more than maxDeliver times, or one that cannot be decoded, is moved to the
// dead-letter stream (a JSON record, see docs/nats.md) and acked, and reported on deadLetters$.
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { Subject } from 'rxjs';

import type { DeadLetter } from '../../dead-letter.js';
import { failure } from '../../internal/validate.js';
import { NatsPayloadError } from '../codec.js';
import type { DurableMember, DurableMemberHost } from '../durable-commands.js';
import { DurableDelivery, type DurableOutcome } from '../durable-delivery.js';
import { describeThrown, packError } from '../wire.js';
import type { DurablePlan } from './jet-stream-commands.js';
import { ensureConsumer, ensureStream, jetStreamOf } from './jet-stream-setup.js';
import { commandStream } from './durable-sender.js';

/** A consumer name from a queue group name: what JetStream refuses in a name becomes `_`. */
export const consumerName = (queue: string): string => queue.replace(/[^A-Za-z0-9_-]/g, '_');

export function openDurableMember(host: DurableMemberHost, plan: DurablePlan): DurableMember {
  const { nc } = host;
  const js = jetStreamOf(nc);
  const deadLetters = new Subject<DeadLetter<unknown>>();
  const name = consumerName(host.queue);
  let messages: ConsumerMessages | undefined;
  let stopping = false;
  // Commands taken and not yet settled. The mailbox may be unbounded, so without this bound a
  // member would pull the whole stream into memory: its ack timers running, all of it
  // redelivered at once if it dies. At most `prefetch` in hand, plus the client's pull buffer.
  let inHand = 0;
  let room: (() => void) | undefined;
  const release = (): void => {
    inHand--;
    const wake = room;
    room = undefined;
    wake?.();
  };

  const ready = (async () => {
    try {
      await ensureStream(nc, commandStream(plan));
      await ensureStream(nc, {
        name: plan.deadStream,
        subjects: [plan.deadSubject],
        retention: 'limits',
        storage: plan.storage,
        duplicateWindowMs: plan.duplicateWindowMs,
        maxMessages: -1,
      });
      await ensureConsumer(nc, { stream: plan.stream, name, ackWaitMs: plan.ackWaitMs });
      const consumer = await js.consumers.get(plan.stream, name);
      messages = await consumer.consume({ max_messages: plan.prefetch });
    } catch (error: unknown) {
      throw failure(
        'RECEIVE_FAILED',
        `Could not consume the durable commands of "${host.subject}" (stream ${plan.stream}): ${describeThrown(error)}`,
        error,
      );
    }
    if (stopping) void stopPulling();
  })();

  /** Moves the command to the dead-letter stream, then acks it; on failure it comes back later. */
  const giveUp = async (msg: JsMsg, message: unknown, error: unknown): Promise<void> => {
    const record = {
      reason: 'policy',
      subject: msg.subject,
      stream: plan.stream,
      streamSequence: msg.info.streamSequence,
      deliveries: msg.info.deliveryCount,
      messageId: msg.headers?.get('Nats-Msg-Id') ?? '',
      error: packError(error),
      payload: toBase64(msg.data),
    };
    try {
      // The id makes the move idempotent: a member that dies between the move and the ack moves it once.
      await js.publish(plan.deadSubject, new TextEncoder().encode(JSON.stringify(record)), {
        msgID: `${plan.stream}:${record.streamSequence}`,
        timeout: plan.publishTimeoutMs,
      });
    } catch (failed: unknown) {
      host.log(`spark-channel/nats: could not move a dead letter of "${host.subject}"`, failed);
      msg.nak(plan.retryDelayMs);
      return;
    }
    msg.ack();
    deadLetters.next({ reason: 'policy', kind: 'command', message, error });
  };

  const settle = (msg: JsMsg, message: unknown, count: number, outcome: DurableOutcome): void => {
    release();
    if (outcome.ok) return msg.ack();
    if (message instanceof NatsPayloadError) return void giveUp(msg, message, outcome.error);
    if (!plan.retryFailed) return msg.ack(); // errors$ reported it: handled, as in process
    if (count >= plan.maxDeliver) return void giveUp(msg, message, outcome.error);
    msg.nak(plan.retryDelayMs);
  };

  const take = async (msg: JsMsg): Promise<void> => {
    if (stopping) return msg.nak(); // another member takes it now, not after the ack wait
    const count = msg.info.deliveryCount;
    const message = host.decode(msg.data, msg.headers);
    if (count > plan.maxDeliver) {
      const why = failure(
        'TIMEOUT',
        `The command was delivered ${count - 1} times and never settled within ackWaitMs (${plan.ackWaitMs} ms)`,
      );
      return giveUp(msg, message, why);
    }
    inHand++;
    try {
      await host.deliver(
        new DurableDelivery(message, (outcome) => settle(msg, message, count, outcome)),
        msg.headers,
      );
    } catch {
      // The module stopped (its server was stopped, or failed for good): this member takes no
      // more commands, and gives this one back at once for another member.
      release();
      msg.nak();
      void stopPulling();
    }
    while (inHand >= plan.prefetch && !stopping) await new Promise<void>((resolve) => (room = resolve));
  };

  let closing: Promise<unknown> | undefined;
  // A declaration, so `ready` can call it once the consumer exists (a stop may come first).
  function stopPulling(): Promise<unknown> {
    stopping = true;
    room?.(); // the loop waiting for room goes on, and gives back what it takes
    if (messages === undefined) return Promise.resolve(); // `ready` closes it once made
    // a close that fails: the connection closed meanwhile, nothing more arrives either way
    closing ??= messages.close().catch(() => undefined);
    return closing;
  }

  const loop = ready.then(
    async () => {
      for await (const msg of messages as ConsumerMessages) await take(msg);
    },
    () => undefined, // ready reports it
  );
  void loop.catch((error: unknown) =>
    host.log(`spark-channel/nats: the durable consumer of "${host.subject}" failed`, error),
  );

  return {
    ready,
    deadLetters$: deadLetters.asObservable(),
    async stop() {
      await stopPulling();
      await loop;
    },
  };
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
