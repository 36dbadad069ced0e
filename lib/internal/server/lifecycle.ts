import { type SchedulerLike, Subject } from 'rxjs';

import type { CallbackWrapper } from '../../callback-wrapper.js';
import type { MessageOutcome, ModuleEvent } from '../../module-event.js';
import type {
  InstrumentedMessage,
  InstrumentedSettlement,
  ModuleInstrumentation,
} from '../../module-instrumentation.js';
import type { SparkGenericModuleMessage } from '../../module-message.js';
import { isSparkChannelError } from '../../spark-channel-error.js';
import { reasonOf } from '../signal/abort-fanout.js';
import { monotonicScheduler } from '../time/clock.js';

/** What the lifecycle knows of one message: created when it is first seen while someone listens. */
export interface MessageRecord {
  readonly owner: Lifecycle;
  readonly id: number;
  readonly kind: 'request' | 'command';
  readonly message: unknown;
  /** What the hooks see: made once per message, and only when there are hooks. */
  info: InstrumentedMessage<unknown> | undefined;
  state: unknown;
  acceptedAt: number | undefined;
  startedAt: number | undefined;
  done: boolean;
}

type Envelope = Exclude<SparkGenericModuleMessage<unknown, unknown, unknown, unknown>, { type: 'Shutdown' }>;

type Log = (level: 'error' | 'warn', ...args: unknown[]) => void;

// A message's record rides on its envelope: it dies with it, and costs the GC far less than a
// WeakMap entry (ephemerons) on the hot path. Frozen envelopes fall back to a WeakMap.
const kRecord = Symbol('spark-channel.record');
type Tagged = { [kRecord]?: MessageRecord };

/**
 * One server's lifecycle events (`events$`) and instrumentation hooks. Records live on the
 * channel envelope, so a message that leaves by a path nobody reports cannot leak.
 * Nothing here runs unless `active`: an unobserved `events$` and no `instrument` cost one check;
 * with hooks only, no event object is built.
 */
export class Lifecycle {
  #events: Subject<ModuleEvent<unknown>> | undefined;
  #frozen: WeakMap<object, MessageRecord> | undefined;
  #nextId = 1;
  readonly #now: () => number;

  constructor(
    readonly instrument: ModuleInstrumentation | undefined,
    scheduler: SchedulerLike | undefined,
    readonly log: Log,
  ) {
    this.#now = scheduler === undefined ? () => monotonicScheduler.now() : () => readClock(scheduler);
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
    const record = this.#record(envelope, false);
    const at = (record.acceptedAt = this.#now());
    const events = this.#listening();
    if (events === undefined) return;
    const { id, kind, message } = record;
    events.next({ type: 'accepted', id, kind, message, at });
  }

  started(envelope: Envelope): MessageRecord {
    const record = this.#record(envelope, false);
    const at = (record.startedAt = this.#now());
    const events = this.#listening();
    if (events !== undefined) {
      const { id, kind, message, acceptedAt } = record;
      const queuedMs = acceptedAt === undefined ? undefined : at - acceptedAt;
      events.next({ type: 'started', id, kind, message, at, queuedMs });
    }
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
      return instrument.run<T>(record.state, infoOf(record), once);
    } catch (error: unknown) {
      if (called) throw error; // the handler's own failure, passed through the hook
      this.log('error', 'spark-channel: instrument.run threw:', error);
      return handle();
    }
  }

  /** The message is over; `envelope` may be one never seen (then there is nothing to report). */
  settled(envelope: Envelope | MessageRecord, outcome: MessageOutcome, error?: unknown): void {
    const record = 'done' in envelope ? envelope : this.#find(envelope);
    if (record === undefined || record.done) return;
    record.done = true;
    const at = this.#now();
    const { id, kind, message, acceptedAt, startedAt } = record;
    const queuedMs = acceptedAt === undefined ? undefined : (startedAt ?? at) - acceptedAt;
    const handlingMs = startedAt === undefined ? undefined : at - startedAt;
    const ok = outcome === 'ok';
    const events = this.#listening();
    if (events !== undefined) {
      events.next(
        ok
          ? { type: 'settled', id, kind, message, at, outcome, queuedMs, handlingMs }
          : { type: 'settled', id, kind, message, at, outcome, error, queuedMs, handlingMs },
      );
    }
    const instrument = this.instrument;
    if (instrument?.settled === undefined) return;
    const settlement: InstrumentedSettlement = ok
      ? { outcome, queuedMs, handlingMs }
      : { outcome, error, queuedMs, handlingMs };
    try {
      instrument.settled(record.state, infoOf(record), settlement);
    } catch (hookError: unknown) {
      this.log('error', 'spark-channel: instrument.settled threw:', hookError);
    }
  }

  /** A module-level event (`restarted`, `stopped`). */
  emit(event: ModuleEvent<unknown>): void {
    this.#listening()?.next(event);
  }

  complete(): void {
    this.#events?.complete();
  }

  #listening(): Subject<ModuleEvent<unknown>> | undefined {
    const events = this.#events;
    return events?.observed === true ? events : undefined;
  }

  #find(envelope: Envelope): MessageRecord | undefined {
    const record = (envelope as Tagged)[kRecord] ?? this.#frozen?.get(envelope);
    return record?.owner === this ? record : undefined; // an envelope sent on another channel before
  }

  #record(envelope: Envelope, sending: boolean): MessageRecord {
    let record = this.#find(envelope);
    if (record !== undefined && !record.done) return record;
    const request = envelope.type === 'Request';
    record = {
      owner: this,
      id: this.#nextId++,
      kind: request ? 'request' : 'command',
      message: request ? envelope.wrapper.message : envelope.message,
      info: undefined,
      state: undefined,
      acceptedAt: undefined,
      startedAt: undefined,
      done: false,
    };
    if (Object.isExtensible(envelope)) (envelope as Tagged)[kRecord] = record;
    else (this.#frozen ??= new WeakMap()).set(envelope, record);
    const instrument = this.instrument;
    // Only in the sender's call: a message first seen later (sent before the server started, or
    // before anyone listened) keeps an undefined state rather than the server's context.
    if (sending && instrument?.sent !== undefined) {
      try {
        record.state = instrument.sent(infoOf(record));
      } catch (error: unknown) {
        this.log('error', 'spark-channel: instrument.sent threw:', error);
      }
    }
    return record;
  }
}

/** A user scheduler's `now()` may throw: an event then has no time (NaN) rather than no server. */
function readClock(scheduler: SchedulerLike): number {
  try {
    return scheduler.now();
  } catch {
    return NaN;
  }
}

function infoOf(record: MessageRecord): InstrumentedMessage<unknown> {
  return (record.info ??= { id: record.id, kind: record.kind, message: record.message });
}

/** How a request its caller gave up on ended, from the reason the caller gave. */
export function givenUpOutcome<V>(wrapper: CallbackWrapper<unknown, V>): {
  outcome: 'timeout' | 'cancelled';
  error: unknown;
} {
  const signal = wrapper.signal;
  const reason: unknown = signal === undefined ? undefined : reasonOf(signal);
  const timeout = isSparkChannelError(reason, 'TIMEOUT'); // reads `code` inside its own try
  return { outcome: timeout ? 'timeout' : 'cancelled', error: reason };
}
