import { Subject, type SchedulerLike } from 'rxjs';

import type { MessageOutcome, ModuleEvent } from '../module-event.js';
import type { InstrumentedMessage, ModuleInstrumentation } from '../module-instrumentation.js';
import { isSparkChannelError } from '../spark-channel-error.js';
import type { CallbackWrapper } from '../callback-wrapper.js';
import type { SparkGenericModuleMessage } from '../module-message.js';

/** What the lifecycle knows of one message: created when it is first seen while someone listens. */
export interface MessageRecord extends InstrumentedMessage<unknown> {
  state: unknown;
  acceptedAt: number | undefined;
  startedAt: number | undefined;
  done: boolean;
}

type Envelope = Exclude<SparkGenericModuleMessage<unknown, unknown, unknown, unknown>, { type: 'Shutdown' }>;

type Log = (level: 'error' | 'warn', ...args: unknown[]) => void;

/**
 * One server's lifecycle events (`events$`) and instrumentation hooks. Records live in a WeakMap
 * keyed by the channel envelope, so a message that leaves by a path nobody reports cannot leak.
 * Nothing here runs unless `active`: an unobserved `events$` and no `instrument` cost one check.
 */
export class Lifecycle {
  #events: Subject<ModuleEvent<unknown>> | undefined;
  readonly #records = new WeakMap<object, MessageRecord>();
  #nextId = 1;
  readonly #now: () => number;

  constructor(
    readonly instrument: ModuleInstrumentation | undefined,
    scheduler: SchedulerLike | undefined,
    readonly log: Log,
  ) {
    this.#now = scheduler === undefined ? () => performance.now() : () => scheduler.now();
  }

  get active(): boolean {
    return this.instrument !== undefined || this.#events?.observed === true;
  }

  get subject(): Subject<ModuleEvent<unknown>> {
    return (this.#events ??= new Subject());
  }

  now(): number {
    return this.#now();
  }

  /** In the sender's call: the message is on its way (it may still wait for room). */
  sent(envelope: Envelope): void {
    this.#record(envelope, true);
  }

  accepted(envelope: Envelope): void {
    const record = this.#record(envelope);
    record.acceptedAt = this.#now();
    this.#emit({ type: 'accepted', ...info(record), at: record.acceptedAt });
  }

  started(envelope: Envelope): MessageRecord {
    const record = this.#record(envelope);
    const at = (record.startedAt = this.#now());
    const queuedMs = record.acceptedAt === undefined ? undefined : at - record.acceptedAt;
    this.#emit({ type: 'started', ...info(record), at, queuedMs });
    return record;
  }

  /** Runs the handler inside the instrumentation's `run` hook, if any. */
  run<T>(record: MessageRecord, handle: () => T): T {
    const instrument = this.instrument;
    if (instrument?.run === undefined) return handle();
    let called = false;
    const once = (): T => {
      called = true;
      return handle();
    };
    try {
      return instrument.run<T>(record.state, info(record), once);
    } catch (error: unknown) {
      if (called) throw error; // the handler's own failure, passed through the hook
      this.log('error', 'spark-channel: instrument.run threw:', error);
      return handle();
    }
  }

  /** The message is over; `envelope` may be one never seen (then there is nothing to report). */
  settled(envelope: Envelope | MessageRecord, outcome: MessageOutcome, error?: unknown): void {
    const record = 'done' in envelope ? envelope : this.#records.get(envelope);
    if (record === undefined || record.done) return;
    record.done = true;
    const at = this.#now();
    const { acceptedAt, startedAt } = record;
    const queuedMs = acceptedAt === undefined ? undefined : (startedAt ?? at) - acceptedAt;
    const handlingMs = startedAt === undefined ? undefined : at - startedAt;
    const settlement =
      outcome === 'ok' ? { outcome, queuedMs, handlingMs } : { outcome, error, queuedMs, handlingMs };
    this.#emit({ type: 'settled', ...info(record), at, ...settlement });
    const instrument = this.instrument;
    if (instrument?.settled !== undefined) {
      try {
        instrument.settled(record.state, info(record), settlement);
      } catch (hookError: unknown) {
        this.log('error', 'spark-channel: instrument.settled threw:', hookError);
      }
    }
  }

  /** A module-level event (`restarted`, `stopped`). */
  emit(event: ModuleEvent<unknown>): void {
    this.#emit(event);
  }

  complete(): void {
    this.#events?.complete();
  }

  #emit(event: ModuleEvent<unknown>): void {
    if (this.#events?.observed === true) this.#events.next(event);
  }

  #record(envelope: Envelope, sending = false): MessageRecord {
    let record = this.#records.get(envelope);
    if (record !== undefined) return record;
    const request = envelope.type === 'Request';
    record = {
      id: this.#nextId++,
      kind: request ? 'request' : 'command',
      message: request ? envelope.wrapper.message : envelope.message,
      state: undefined,
      acceptedAt: undefined,
      startedAt: undefined,
      done: false,
    };
    this.#records.set(envelope, record);
    const instrument = this.instrument;
    // Only in the sender's call: a message first seen later (sent before the server started, or
    // before anyone listened) keeps an undefined state rather than the server's context.
    if (sending && instrument?.sent !== undefined) {
      try {
        record.state = instrument.sent(info(record));
      } catch (error: unknown) {
        this.log('error', 'spark-channel: instrument.sent threw:', error);
      }
    }
    return record;
  }
}

function info(record: MessageRecord): InstrumentedMessage<unknown> {
  return { id: record.id, kind: record.kind, message: record.message };
}

/** How a request its caller gave up on ended, from the reason the caller gave. */
export function givenUpOutcome<V>(wrapper: CallbackWrapper<unknown, V>): {
  outcome: 'timeout' | 'cancelled';
  error: unknown;
} {
  const reason: unknown = wrapper.signal?.reason;
  const timeout = isSparkChannelError(reason) && reason.code === 'TIMEOUT';
  return { outcome: timeout ? 'timeout' : 'cancelled', error: reason };
}
