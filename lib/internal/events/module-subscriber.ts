// internal/events: one module subscriber of an event bus — turns each event into a command and
// hands it to the module's channel under the subscription's overflow policy. Per event on the
// path where the channel has room: the command (toCommand's result) and the Command envelope the
// dispatcher builds; nothing else (a drop-oldest subscriber adds a WeakSet entry per object command).
import { config } from 'rxjs';

import { SparkGenericModuleDispatcher } from '../../dispatcher.js';
import { SparkGenericModuleMessage } from '../../module-message.js';
import { type ChannelPort, portOf } from '../channel/channel-port.js';
import { RESOLVED } from '../reply.js';
import { failure } from '../validate.js';
import type { DeliveryReport } from '../../event-bus-instrumentation.js';

/** What a subscriber does with an event its module's channel has no room for. */
export type Overflow = 'wait' | 'drop-newest' | 'drop-oldest';

/** Anything with a `sendCommand` that is not a dispatcher: only `wait` is possible with it. */
export interface CommandSink {
  sendCommand(message: unknown): unknown;
}

type Dispatcher = SparkGenericModuleDispatcher<unknown, unknown, unknown, unknown>;

/**
 * Reports a value thrown by user code the bus called (a `toCommand`, a plain sink), as RxJS
 * reports a throwing observer: on `config.onUnhandledError`, else thrown on a fresh stack.
 */
export function reportUnhandled(error: unknown): void {
  setTimeout(() => {
    const hook = config.onUnhandledError;
    if (hook === null) throw error;
    hook(error);
  });
}

function noop(): void {}

export class ModuleSubscriber {
  /** False once unsubscribed, or removed because its module stopped. */
  active = true;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #port: ChannelPort | undefined;
  readonly #sink: CommandSink | undefined;
  readonly #toCommand: ((event: object) => unknown) | undefined;
  readonly #overflow: Overflow;
  /** drop-oldest only: the commands this subscriber queued, so it drops only its own. */
  readonly #mine: WeakSet<object> | undefined;
  readonly #isMine = (message: unknown): boolean =>
    typeof message === 'object' && message !== null && (this.#mine as WeakSet<object>).has(message);

  constructor(
    /** Its number on the bus, in subscription order: how a `CHANNEL_FULL` names it. */
    readonly id: number,
    target: Dispatcher | CommandSink,
    toCommand: ((event: object) => unknown) | undefined,
    overflow: Overflow,
    readonly remove: (subscriber: ModuleSubscriber) => void,
  ) {
    this.#toCommand = toCommand;
    this.#overflow = overflow;
    if (overflow === 'drop-oldest') this.#mine = new WeakSet();
    if (target instanceof SparkGenericModuleDispatcher) {
      this.#dispatcher = target;
      this.#port = portOf(target.sender);
    } else {
      this.#sink = target;
    }
  }

  /** The channel's port, for a dispatcher (the bus watches each channel's stop once). */
  get port(): ChannelPort | undefined {
    return this.#port;
  }

  /** Why `tryPublish` would have to wait for this subscriber, if it would: its channel's fill. */
  wouldWait(): string | undefined {
    const port = this.#port;
    if (this.#overflow !== 'wait' || port === undefined || port.hasRoom()) return undefined;
    const channel = (this.#dispatcher as Dispatcher).sender;
    if (channel.isClosed) return undefined; // refused and removed, not waited for
    return `subscriber #${this.id} (${channel.size} of ${channel.capacity} slots taken)`;
  }

  /**
   * Hands `event` to the module. Returns `undefined` when it was taken (or dropped, or refused)
   * at once, else a promise that resolves once the channel accepted it; it never rejects: a
   * refusal is the module's dead letter, not the publisher's failure. `now`: never wait.
   * `report` (only when the bus is traced) is told once how the delivery ended.
   */
  deliver(event: object, now: boolean, report?: DeliveryReport): Promise<void> | undefined {
    let command: unknown = event;
    if (this.#toCommand !== undefined) {
      try {
        command = this.#toCommand(event);
      } catch (error: unknown) {
        reportUnhandled(error); // this subscriber misses the event; nobody else does
        report?.('failed', error);
        return undefined;
      }
    }
    const dispatcher = this.#dispatcher;
    if (dispatcher === undefined) return this.#toSink(command, report);
    if (dispatcher.sender.isClosed) {
      this.remove(this);
      // refused: the channel reports the dead letter
      dispatcher
        .sendCommand(command)
        .catch(report === undefined ? noop : (error: unknown) => report('refused', error));
      return undefined;
    }
    if (this.#overflow !== 'wait') return this.#orDrop(dispatcher, command, report);
    if (now) {
      this.#trySend(dispatcher, command, report);
      return undefined;
    }
    const accepted = dispatcher.sendCommand(command);
    if (accepted === RESOLVED) {
      report?.('accepted');
      return undefined;
    }
    return accepted.then(report === undefined ? noop : () => report('accepted'), (error: unknown) => {
      // Refused (the module stopped while we waited, or its key function threw): the channel
      // reported the dead letter; a closed channel will never take another, so leave the bus.
      if (dispatcher.sender.isClosed) this.remove(this);
      report?.('refused', error);
    });
  }

  #orDrop(dispatcher: Dispatcher, command: unknown, report: DeliveryReport | undefined): undefined {
    const port = this.#port as ChannelPort;
    const newest = this.#overflow === 'drop-newest';
    const room = newest
      ? port.hasRoom()
      : port.dropOldestCommand(
          this.#isMine,
          failure('CHANNEL_FULL', 'Event dropped: the channel was full and a newer event took its place'),
        );
    if (!room) {
      const reason = newest
        ? 'the channel was full'
        : 'the channel was full, with no older event of its own queued';
      const error = failure('CHANNEL_FULL', `Event dropped: ${reason} (overflow: ${this.#overflow})`);
      port.deadLetter('dropped', SparkGenericModuleMessage.Command(command), error);
      report?.('dropped', error);
      return undefined;
    }
    if (!newest && typeof command === 'object' && command !== null) this.#mine?.add(command);
    this.#trySend(dispatcher, command, report);
    return undefined;
  }

  /** A send that must not wait: a refusal (a rate limit, a key function) is already a dead letter. */
  #trySend(dispatcher: Dispatcher, command: unknown, report: DeliveryReport | undefined): void {
    try {
      dispatcher.trySendCommand(command);
    } catch (error: unknown) {
      // Reported on the module's deadLetters$ as `refused`, with the error.
      report?.('refused', error);
      return;
    }
    report?.('accepted');
  }

  #toSink(command: unknown, report: DeliveryReport | undefined): Promise<void> | undefined {
    let accepted: unknown;
    try {
      accepted = (this.#sink as CommandSink).sendCommand(command);
    } catch (error: unknown) {
      reportUnhandled(error);
      report?.('failed', error);
      return undefined;
    }
    if (accepted === RESOLVED) {
      report?.('accepted');
      return undefined;
    }
    if (report === undefined) return Promise.resolve(accepted).then(noop, reportUnhandled);
    return Promise.resolve(accepted).then(
      () => report('accepted'),
      (error: unknown) => {
        reportUnhandled(error);
        report('failed', error);
      },
    );
  }
}
