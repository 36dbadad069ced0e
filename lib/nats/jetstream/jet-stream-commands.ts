// The options of durable commands, checked once, and the DurableCommands they make. The sending
// side is durable-sender.ts, the serving side durable-member.ts.
import type {
  DurableCommands,
  DurableMember,
  DurableMemberHost,
  DurableSender,
} from '../durable-commands.js';
import {
  checkOptions,
  checkPositiveInteger,
  checkPositiveNumber,
  describe,
  readable,
} from '../../internal/validate.js';
import { openDurableMember } from './durable-member.js';
import { openDurableSender } from './durable-sender.js';

/**
 * Options of {@link jetStreamCommands}. The same on every member and sender of a module.
 *
 * @example
 * const options: JetStreamCommandsOptions<OrderMessage> = {
 *   ackWaitMs: 10_000,
 *   maxDeliver: 5,
 *   messageId: (m) => m.orderId, // a retried send of the same order is stored once
 * };
 */
export interface JetStreamCommandsOptions<M = unknown> {
  /** The stream's name. Default: `SPARK_` and the subject, with `.` and other refused characters as `_`. */
  stream?: string;
  /** How long a member may hold a command before it is delivered again (to any member). Default 30 000. */
  ackWaitMs?: number;
  /**
   * How many times a command is delivered before it becomes a dead letter (`deadLetters$`,
   * reason `policy`, kept on the `<subject>.dead` stream). Default 5.
   */
  maxDeliver?: number;
  /**
   * Whether a handler failure is retried: `false` (the default) acks it once `errors$` reported
   * it, as in process; `true` delivers it again after `retryDelayMs`, up to `maxDeliver` times.
   */
  retryFailed?: boolean;
  /** The wait before a failed command (`retryFailed`) or one a stopping member gave back is delivered again. Default 1 000. */
  retryDelayMs?: number;
  /** Commands a member pulls ahead of its handler; each counts toward `ackWaitMs` from its delivery. Default 64. */
  prefetch?: number;
  /** Where the stream keeps commands. Default `'file'` (they survive a server restart). */
  storage?: 'file' | 'memory';
  /** How long the stream remembers a message id, so a retried send is stored once. Default 120 000. */
  duplicateWindowMs?: number;
  /** The most commands the stream holds; a send beyond it fails with `SEND_FAILED`. Default: no limit. */
  maxMessages?: number;
  /** How long `sendCommand` waits for the stream's answer, per attempt (3 attempts, same message id). Default 5 000. */
  publishTimeoutMs?: number;
  /** The message id (`Nats-Msg-Id`) of a command. Default: a random one per `sendCommand`. */
  messageId?(this: void, message: M): string;
}

/**
 * Durable commands on NATS JetStream, for the `durable` option of `serveModule` and
 * `natsDispatcher`. A command is stored in a work-queue stream (`sendCommand` resolves once the
 * stream stored it, `SEND_FAILED` when it could not) and consumed through one durable pull
 * consumer shared by the members of a queue group; a member acks it once its handler settled, a
 * member that dies or stalls past `ackWaitMs` gets it delivered again to another: **at least
 * once**. Past `maxDeliver` deliveries it is a dead letter. Requests stay on core NATS.
 *
 * Keyed ordering is not offered: the `key` option is refused (see docs/nats.md, "Durable commands").
 *
 * @throws TypeError / RangeError naming a bad option; TypeError for `key`.
 *
 * @example
 * import { jetStreamCommands } from 'spark-channel/nats/jetstream';
 * const durable = jetStreamCommands<OrderMessage>({ maxDeliver: 5, messageId: (m) => m.orderId });
 * const served = serveModule(nc, 'orders', new OrderHandler(), { durable });
 * await served.ready;
 * const orders = natsDispatcher<OrderMessage, Order>(nc, 'orders', { durable });
 * await orders.sendCommand({ type: 'Ship', orderId: 'o-1' }); // stored: survives a member or server crash
 */
export function jetStreamCommands<M = unknown>(options?: JetStreamCommandsOptions<M>): DurableCommands {
  const settings = readSettings(options);
  return {
    openSender: (nc, subject): DurableSender => openDurableSender(nc, plan(subject, settings)),
    openMember: (host: DurableMemberHost): DurableMember =>
      openDurableMember(host, plan(host.subject, settings)),
  };
}

/** The checked options, with their defaults. */
export interface DurableSettings {
  readonly stream: string | undefined;
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  readonly retryFailed: boolean;
  readonly retryDelayMs: number;
  readonly prefetch: number;
  readonly storage: 'file' | 'memory';
  readonly duplicateWindowMs: number;
  readonly maxMessages: number;
  readonly publishTimeoutMs: number;
  readonly messageId: ((message: unknown) => string) | undefined;
}

/** The names a module's durable commands live under. */
export interface DurablePlan extends DurableSettings {
  readonly stream: string;
  readonly subject: string;
  readonly commandSubject: string;
  readonly deadStream: string;
  readonly deadSubject: string;
}

const STREAM_NAME = /^[A-Za-z0-9_-]+$/;

function plan(subject: string, settings: DurableSettings): DurablePlan {
  const stream = settings.stream ?? `SPARK_${subject.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return {
    ...settings,
    stream,
    subject,
    commandSubject: `${subject}.durable`,
    deadStream: `${stream}_DEAD`,
    deadSubject: `${subject}.dead`,
  };
}

function readSettings(options: JetStreamCommandsOptions | undefined): DurableSettings {
  checkOptions('options', options);
  const read = <K extends keyof JetStreamCommandsOptions>(key: K): JetStreamCommandsOptions[K] | undefined =>
    readable('options', () => options?.[key]);
  if (options !== undefined && readable('options', () => 'key' in options)) {
    throw new TypeError(
      'Expected no `key` option: keyed ordering is not offered for durable commands (a redelivery can overtake); serve one subject per partition instead',
    );
  }
  const stream = read('stream');
  if (stream !== undefined && (typeof stream !== 'string' || !STREAM_NAME.test(stream))) {
    throw new TypeError(
      `Expected \`stream\` to be a stream name (letters, digits, "_" and "-"), got ${describe(stream)}`,
    );
  }
  const storage = read('storage') ?? 'file';
  if (storage !== 'file' && storage !== 'memory') {
    throw new TypeError(`Expected \`storage\` to be "file" or "memory", got ${describe(storage)}`);
  }
  const retryFailed = read('retryFailed') ?? false;
  if (typeof retryFailed !== 'boolean') {
    throw new TypeError(`Expected \`retryFailed\` to be a boolean, got ${describe(retryFailed)}`);
  }
  const messageId = read('messageId');
  if (messageId !== undefined && typeof messageId !== 'function') {
    throw new TypeError(`Expected \`messageId\` to be a function, got ${describe(messageId)}`);
  }
  const positive = (key: keyof JetStreamCommandsOptions, fallback: number): number => {
    const value = read(key);
    return value === undefined ? fallback : checkPositiveNumber(key, value, false);
  };
  const integer = (key: keyof JetStreamCommandsOptions, fallback: number): number => {
    const value = read(key);
    return value === undefined ? fallback : checkPositiveInteger(key, value);
  };
  return {
    stream,
    ackWaitMs: positive('ackWaitMs', 30_000),
    maxDeliver: integer('maxDeliver', 5),
    retryFailed,
    retryDelayMs: positive('retryDelayMs', 1_000),
    prefetch: integer('prefetch', 64),
    storage,
    duplicateWindowMs: positive('duplicateWindowMs', 120_000),
    maxMessages: read('maxMessages') === undefined ? -1 : integer('maxMessages', -1),
    publishTimeoutMs: positive('publishTimeoutMs', 5_000),
    messageId: messageId,
  };
}
