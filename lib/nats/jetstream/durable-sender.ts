// The sending side of durable commands: one JetStream publish per command, resolved by the
// stream's ack. A send that gets no ack is tried again with the same message id, so the stream's
// duplicate window stores it once however many attempts reached it.
import { describeThrown } from '../wire.js';
import type { NatsConnectionLike, NatsHeaders } from '../connection.js';
import type { DurableSender } from '../durable-commands.js';
import { failure } from '../../internal/validate.js';
import type { DurablePlan } from './jet-stream-commands.js';
import { ensureStream, jetStreamOf, type StreamPlan } from './jet-stream-setup.js';

const ATTEMPTS = 3;

/** The client's publish options (its header type is the client's own `MsgHdrs`, which NatsHeaders describes). */
type PublishOptions = NonNullable<Parameters<ReturnType<typeof jetStreamOf>['publish']>[2]>;

/** The command stream of `plan`: work-queue retention, each command kept until a member acks it. */
export function commandStream(plan: DurablePlan): StreamPlan {
  return {
    name: plan.stream,
    subjects: [plan.commandSubject],
    retention: 'workqueue',
    storage: plan.storage,
    duplicateWindowMs: plan.duplicateWindowMs,
    maxMessages: plan.maxMessages,
  };
}

export function openDurableSender(nc: NatsConnectionLike, plan: DurablePlan): DurableSender {
  const stream = commandStream(plan);
  return {
    async send(message, payload, headers) {
      let msgID: string;
      try {
        msgID = plan.messageId === undefined ? globalThis.crypto.randomUUID() : plan.messageId(message);
      } catch (error: unknown) {
        throw failure('SEND_FAILED', `\`messageId\` threw: ${describeThrown(error)}`, error);
      }
      if (typeof msgID !== 'string' || msgID === '') {
        throw failure('SEND_FAILED', '`messageId` must return a non-empty string');
      }
      await storeOnce(nc, stream, plan.commandSubject, payload, msgID, plan.publishTimeoutMs, headers);
    },
  };
}

/**
 * Publishes `payload` on `subject` into `stream` (made if missing) and resolves with the
 * stream's ack; tries again with the same message id when none came, and rejects with
 * `SEND_FAILED` after the last attempt.
 */
export async function storeOnce(
  nc: NatsConnectionLike,
  stream: StreamPlan,
  subject: string,
  payload: Uint8Array,
  msgID: string,
  timeoutMs: number,
  headers?: NatsHeaders,
): Promise<void> {
  const js = jetStreamOf(nc);
  let last: unknown;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      await ensureStream(nc, stream);
      // With headers (a traced send), the client adds its Nats-Msg-Id to that object.
      await js.publish(
        subject,
        payload,
        headers === undefined
          ? { msgID, timeout: timeoutMs }
          : {
              msgID,
              timeout: timeoutMs,
              headers: headers as unknown as NonNullable<PublishOptions['headers']>,
            },
      );
      return;
    } catch (error: unknown) {
      last = error;
      if (nc.isClosed()) break;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
  throw failure(
    'SEND_FAILED',
    `The message on "${subject}" was not stored by stream ${stream.name}: ${describeThrown(last)}`,
    last,
  );
}
