// internal/channel: the mailbox behind a ModuleChannel (queues, waiting senders) and its port.
import type { Observable } from 'rxjs';

import type { DeadLetter, DeadLetterReason } from '../../dead-letter.js';
import type { SparkGenericModuleMessage } from '../../module-message.js';
import type { Lifecycle } from '../server/lifecycle.js';

type AnyMessage = SparkGenericModuleMessage<unknown, unknown, unknown, unknown>;
/** A message of any channel's types (a channel is invariant in them; the port is not). */
type Envelope = { readonly type: AnyMessage['type'] };

/** The server side of a channel: told when a message may be waiting. */
export interface ChannelConsumer {
  /** A message may be waiting (or the channel's counters changed). */
  wake(): void;
  /** Why this request must be refused at once (it could never be answered), if it must. */
  refusal(message: unknown): Error | undefined;
}

/**
 * The one private contract between a channel, its server and its dispatchers. A channel's port
 * is reached with {@link portOf} only (never from the package root), so `ModuleChannel`'s public
 * surface shows none of it. Every method is one forwarding call into the channel's private state.
 */
export interface ChannelPort {
  /**
   * The one way in for `send` and the dispatcher: accepts at once when there is room, else joins
   * the line. `refused` is called (synchronously or later) when it will never get in; a
   * Request may pass `undefined` instead, to be answered with the refusal on its own oneshot
   * (a timed request thus makes no closure for it). `wait` receives the promise of a sender
   * that has to wait. `trusted`: built by the dispatcher, so well-formed by construction (not
   * adopted, and withdrawn by {@link withdraw}, not a listener).
   */
  offer(
    message: Envelope,
    refused: ((error: unknown) => void) | undefined,
    wait?: (accepted: Promise<void>) => void,
    trusted?: boolean,
  ): void;
  /**
   * A dispatcher's command, queued at once with nothing to call back: only when {@link hasRoom}
   * said so just before. Returns the refusal (the server's key function threw), if any.
   */
  pushCommand(command: Envelope): Error | undefined;
  /**
   * A dispatcher's plain request (no signal, no timeout), queued at once when nothing stands in
   * its way: room, no key function, nobody tracing, no self-deadlock. Returns false, having done
   * nothing, otherwise: the caller then takes {@link offer}, which handles every other case.
   * `held`: its wrapper is a fresh `CancellableWrapper` (a timed or cancellable request), marked
   * as queued so that giving up withdraws it.
   */
  pushRequest(request: Envelope, held?: boolean): boolean;
  /** The server's next message; `undefined` when none may start (a Shutdown only if `canShutdown`). */
  take(canShutdown: boolean): AnyMessage | undefined;
  /**
   * The messages the server may start now, in order (a batch): up to `max`, none from a Shutdown
   * on; one message alone or an array. They stay queued until started with {@link startNext}.
   * FIFO (unkeyed) channels only.
   */
  batch(max: number): AnyMessage | AnyMessage[] | undefined;
  /** Starts `expected`, the next message of the current batch; `undefined` if it was withdrawn since. */
  startNext(expected: AnyMessage): AnyMessage | undefined;
  /** A started message has finished (its key, if any, is free again). */
  release(message: AnyMessage): void;
  /**
   * Makes room for one more message by dropping the oldest queued command whose payload `match`
   * accepts (any command without it), reported as a `dropped` dead letter with `error`. Returns
   * whether there is room now: true at once when there already is; false when the channel is
   * closed, when other senders wait for room (the slot would be theirs), or when nothing matched.
   */
  dropOldestCommand(match: ((message: unknown) => boolean) | undefined, error: unknown): boolean;
  /** Binds the channel to its one server, with keyed ordering when `keyOf` is given. */
  attach(consumer: ChannelConsumer, keyOf?: (message: unknown) => unknown): void;
  /**
   * The server stopped: close for good, fail every queued request with `RECEIVE_FAILED`, refuse
   * every waiting sender with `SEND_FAILED`, cancel queued Shutdown tokens, release whoever waits
   * for the stop. Returns how many queued requests and commands were dropped.
   */
  close(
    reason: string,
    cause?: unknown,
    deadReason?: 'dropped' | 'policy',
  ): { requests: number; commands: number };
  /** Calls `listener` synchronously when the server stops (at once if it has). */
  onStop(listener: () => void): void;
  /** Resolves once the channel's server has stopped. */
  whenStopped(): Promise<void>;
  /** Whether the channel's server has stopped. */
  isStopped(): boolean;
  /** Whether a message sent now would be accepted without waiting. */
  hasRoom(): boolean;
  /** How many sends were refused because the channel was closed. */
  refusedCount(): number;
  /** A dispatcher's request was cancelled: withdraw it if it has not started. */
  withdraw(message: Envelope): void;
  /** Set by the server whenever someone starts or stops observing it (one field read per message). */
  setTrace(trace: Lifecycle | undefined): void;
  /** Whether anyone listens for dead letters (so the server may skip looking for them). */
  watched(): boolean;
  /** Reports a message that went nowhere, when anyone listens. */
  deadLetter(
    reason: DeadLetterReason,
    envelope: Envelope,
    error?: unknown,
    result?: DeadLetter<unknown>['result'],
  ): void;
  /** Every message that went nowhere (the server's `deadLetters$`); untyped, so the channel stays covariant in M. */
  deadLetters(): Observable<DeadLetter<unknown>>;
}

let getPort: (channel: object) => ChannelPort;

/** The port of a real ModuleChannel (checked with `isModuleChannel` first); one per channel, built on first use. */
export function portOf(channel: object): ChannelPort {
  return getPort(channel);
}

/** Called once, from ModuleChannel's static block: the only code that can read its private port. */
export function providePort(get: (channel: object) => ChannelPort): void {
  getPort = get;
}
