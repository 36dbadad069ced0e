import type { Observable } from 'rxjs';

import type { CallbackWrapper } from './callback-wrapper.js';
import type { SparkChannelCancellationToken } from './cancellation-token.js';
import { adopt } from './internal/channel/adopt.js';
import { type ChannelConsumer, type ChannelPort, providePort } from './internal/channel/channel-port.js';
import { DeadLetterOutlet } from './internal/channel/dead-letters.js';
import { StopLatch } from './internal/channel/stop-latch.js';
import { COMPACT_AFTER, type Waiter, WaitingSenders } from './internal/channel/waiting-senders.js';
import { WatchedRequests } from './internal/channel/watched-requests.js';
import { reasonOf } from './internal/signal/abort-fanout.js';
import { abortFailure } from './internal/signal/abort-reason.js';
import { canGiveUp, isGivenUp } from './internal/signal/cancellable-wrapper.js';
import { KeyedMailbox } from './internal/channel/keyed-mailbox.js';
import { givenUpOutcome, type Lifecycle } from './internal/server/lifecycle.js';
import type { Mailbox } from './internal/channel/mailbox.js';
import { RESOLVED, reply } from './internal/reply.js';
import { RingQueue } from './internal/channel/ring-queue.js';
import { checkPositiveIntegerOrInfinity, failure } from './internal/validate.js';
import type { DeadLetter } from './dead-letter.js';
import type { SparkGenericModuleMessage } from './module-message.js';
import { err } from './result.js';
import type { SparkChannelError } from './spark-channel-error.js';

type AnyMessage = SparkGenericModuleMessage<unknown, unknown, unknown, unknown>;
type RequestMessage = Extract<AnyMessage, { type: 'Request' }>;

let isChannel: (value: unknown) => boolean;

/** Whether `value` is a real ModuleChannel of this copy of the library (never a Proxy of one). */
export function isModuleChannel(value: unknown): value is ModuleChannel<unknown, unknown, unknown, unknown> {
  return isChannel(value);
}

/**
 * The mailbox between dispatchers and one module server, as Tokio's `mpsc::channel(capacity)`:
 * many senders, one server, FIFO.
 *
 * Messages sent before a server subscribes are kept. A bounded channel holds at most `capacity`
 * messages the server has not started; `send` then waits for room, first come first served, and
 * nothing is dropped. Once a Shutdown is sent or the server stops, the channel is closed and
 * every later send is refused with `SEND_FAILED`.
 *
 * @example
 * const channel = new ModuleChannel<MyMessage, MyResponse>(32);
 * const server = runModuleServer(new MyHandler(), channel);
 * const dispatcher = new SparkGenericModuleDispatcher(channel);
 */
export class ModuleChannel<M, R, C = SparkChannelCancellationToken, E = Error> {
  /** The most messages held that the server has not started; `Infinity` when unbounded. */
  readonly capacity: number;

  #queue: Mailbox<AnyMessage> = new RingQueue<AnyMessage>();
  #size = 0;
  #tombstones = 0;
  readonly #waiters = new WaitingSenders();
  #closed = false;
  #stopped = false;
  #consumer: ChannelConsumer | undefined;
  readonly #watched = new WatchedRequests((message) => this.#withdrawQueued(message));
  readonly #stop = new StopLatch();
  #refused = 0;
  readonly #dead = new DeadLetterOutlet();
  // The server's lifecycle while anyone observes it (events$ or an instrument): a field, so a
  // module nobody watches pays one read per message.
  #trace: Lifecycle | undefined;

  // Built on first use by portOf: the channel's private side, as its server and dispatchers see it.
  #port: ChannelPort | undefined;

  static {
    // A private-field check, not `instanceof`: a Proxy of a channel passes `instanceof` and then
    // throws (or lies) on every internal call; it does not have the private field.
    isChannel = (value) => typeof value === 'object' && value !== null && #queue in value;
    type Channel = ModuleChannel<unknown, unknown, unknown, unknown>;
    /** One per channel, with its methods on the prototype: a forwarding call each, no closure. */
    class Port implements ChannelPort {
      readonly #c: Channel;
      constructor(channel: Channel) {
        this.#c = channel;
      }
      offer(
        message: object,
        refused: (error: unknown) => void,
        wait?: (accepted: Promise<void>) => void,
        trusted?: boolean,
      ): void {
        this.#c.#offer(message as AnyMessage, refused, wait, trusted);
      }
      take(canShutdown: boolean): AnyMessage | undefined {
        return this.#c.#take(canShutdown);
      }
      batch(max: number): AnyMessage | AnyMessage[] | undefined {
        return this.#c.#batch(max);
      }
      startNext(expected: AnyMessage): AnyMessage | undefined {
        return this.#c.#startNext(expected);
      }
      pushCommand(command: object): SparkChannelError | undefined {
        return this.#c.#pushCommand(command as Extract<AnyMessage, { type: 'Command' }>);
      }
      release(message: AnyMessage): void {
        this.#c.#release(message);
      }
      dropOldestCommand(...[match, error]: Parameters<ChannelPort['dropOldestCommand']>): boolean {
        return this.#c.#dropOldestCommand(match, error);
      }
      attach(consumer: ChannelConsumer, keyOf?: (message: unknown) => unknown): void {
        this.#c.#attach(consumer, keyOf);
      }
      close(...args: Parameters<ChannelPort['close']>): { requests: number; commands: number } {
        return this.#c.#close(...args);
      }
      onStop(listener: () => void): void {
        this.#c.#stop.onStop(listener);
      }
      whenStopped(): Promise<void> {
        return this.#c.#stop.when();
      }
      isStopped(): boolean {
        return this.#c.#stopped;
      }
      hasRoom(): boolean {
        return !this.#c.#closed && this.#c.#hasRoom();
      }
      refusedCount(): number {
        return this.#c.#refused;
      }
      withdraw(message: object): void {
        this.#c.#watched.withdraw(message);
      }
      setTrace(trace: Lifecycle | undefined): void {
        this.#c.#trace = trace;
      }
      watched(): boolean {
        return this.#c.#dead.watched;
      }
      deadLetter(...[reason, envelope, error, result]: Parameters<ChannelPort['deadLetter']>): void {
        this.#c.#dead.report(reason, envelope as AnyMessage, error, result);
      }
      deadLetters(): Observable<DeadLetter<unknown>> {
        return this.#c.#dead.stream();
      }
    }
    providePort((channel) => {
      const c = channel as Channel;
      return (c.#port ??= new Port(c));
    });
  }

  /**
   * @param capacity - a positive integer, or `Infinity` (the default) for an unbounded channel.
   * @throws RangeError naming `capacity` when it is neither.
   */
  constructor(capacity: number = Infinity) {
    this.capacity = checkPositiveIntegerOrInfinity('capacity', capacity);
  }

  /** Messages accepted and not yet started by the server. */
  get size(): number {
    return this.#size;
  }

  /** True once a Shutdown was sent or the server stopped: every later send is refused. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Puts `message` in the mailbox, waiting for room if the channel is full. Resolves once the
   * channel has accepted it.
   *
   * Rejects with `SEND_FAILED` when the channel is closed (or closes while waiting), with
   * `CANCELLED` when a waiting request's signal aborts, and with a `TypeError` for a message that
   * is not a well-formed `SparkGenericModuleMessage`.
   *
   * @example
   * await channel.send(SparkGenericModuleMessage.Command({ type: 'LogEvent', event: 'login' }));
   */
  send(message: SparkGenericModuleMessage<M, R, C, E>): Promise<void> {
    let settled: Promise<void> = RESOLVED;
    this.#offer(
      message,
      (error) => {
        settled = Promise.reject(error);
      },
      (waiting) => {
        settled = waiting;
      },
    );
    return settled;
  }

  /**
   * Puts `message` in the mailbox now or throws: `SEND_FAILED` when closed (closed wins over
   * full), `CHANNEL_FULL` when there is no room (or senders are already waiting for it).
   *
   * @example
   * try { channel.trySend(SparkGenericModuleMessage.Command(evt)); } catch { dropped++; }
   */
  trySend(message: SparkGenericModuleMessage<M, R, C, E>): void {
    const msg = adopt(message);
    if (msg instanceof TypeError) throw msg;
    const refusal = this.#refusal(msg);
    if (refusal !== undefined) throw refusal;
    if (!this.#hasRoom()) {
      const full = failure('CHANNEL_FULL', `Channel is full: ${this.#size} of ${this.capacity} slots taken`);
      this.#dead.report('refused', msg, full);
      throw full;
    }
    if (msg.type !== 'Shutdown') this.#trace?.sent(msg);
    this.#admit(msg, (error) => {
      throw error;
    });
  }

  /**
   * The one way in for `send` and the dispatcher: accepts at once when there is room,
   * else joins the line. `refused` is called (synchronously or later) when it will never get in;
   * `wait` receives the promise of a sender that has to wait.
   */
  #offer(
    offered: SparkGenericModuleMessage<M, R, C, E>,
    refused: (error: unknown) => void,
    wait?: (accepted: Promise<void>) => void,
    trusted = false, // built by the dispatcher: well-formed by construction
  ): void {
    // A raw envelope is read once, into one of our own: what is queued is what was checked.
    const message = trusted ? (offered as AnyMessage) : adopt(offered);
    if (message instanceof TypeError) return refused(message);
    const refusal = this.#refusal(message);
    if (refusal !== undefined) return refused(refusal);
    if (message.type !== 'Shutdown') this.#trace?.sent(message);
    if (this.#hasRoom()) return this.#admit(message, refused, trusted);
    if (message.type === 'Shutdown') this.#closed = true; // later senders are refused at once
    const waiting = new Promise<void>((resolve, reject) => {
      this.#waitForRoom({ message, trusted, resolve, reject, gone: false });
    });
    if (wait === undefined) waiting.catch(refused);
    else wait(waiting);
  }

  /** Called by the server for its next message; `undefined` when none may start. */
  #take(canShutdown: boolean): AnyMessage | undefined {
    const head = this.#head();
    if (head === undefined || (head.type === 'Shutdown' && !canShutdown)) return undefined;
    return this.#started(head);
  }

  /**
   * The messages the server may start now, in order: up to `max`, and none from a Shutdown on.
   * One message alone, or an array of them. They stay queued (counted by `size`, withdrawable,
   * holding their place against `capacity`) until the server starts each with {@link #startNext}.
   */
  #batch(max: number): AnyMessage | AnyMessage[] | undefined {
    const first = this.#head();
    if (first === undefined || first.type === 'Shutdown') return undefined;
    const queue = this.#queue as RingQueue<AnyMessage>; // batches are for the FIFO mailbox only
    const second = queue.at(1);
    if (second === undefined || second.type === 'Shutdown') return first;
    const batch = [first, second];
    for (let i = 2, message = queue.at(i); message !== undefined && i < max; message = queue.at(++i)) {
      if (message.type === 'Shutdown') break;
      batch.push(message);
    }
    return batch;
  }

  /**
   * Starts `expected`, a message of the server's current batch, and returns it; `undefined` when
   * it is no longer queued (a request withdrawn after the batch was formed).
   */
  #startNext(expected: AnyMessage): AnyMessage | undefined {
    return this.#head() === expected ? this.#started(expected) : undefined;
  }

  /** The head of the mailbox, once the withdrawn requests before it are dropped. */
  #head(): AnyMessage | undefined {
    for (;;) {
      const head = this.#queue.peek();
      if (head === undefined || head.type !== 'Request' || !isGivenUp(head.wrapper)) return head;
      this.#queue.shift(); // a withdrawn request: its slot was freed when it aborted
      this.#queue.release?.(head);
      this.#tombstones--;
    }
  }

  /** `head` leaves the mailbox to start: its slot goes to the next waiting sender. */
  #started(head: AnyMessage): AnyMessage {
    this.#queue.shift();
    this.#size--;
    if (head.type === 'Request') this.#watched.unwatch(head);
    if (this.#waiters.count > 0) this.#admitWaiters();
    return head;
  }

  /** A started message has finished (its key, if any, is free again). */
  #release(message: AnyMessage): void {
    this.#queue.release?.(message);
  }

  /**
   * Room for one more by dropping the oldest queued command `match` accepts (an event bus's
   * `drop-oldest`). O(queue length), paid only when the channel is full.
   */
  #dropOldestCommand(match: ((message: unknown) => boolean) | undefined, error: unknown): boolean {
    if (this.#closed) return false;
    if (this.#hasRoom()) return true;
    if (this.#waiters.count > 0) return false; // the freed slot would go to them, not to the caller
    let dropped: Extract<AnyMessage, { type: 'Command' }> | undefined;
    this.#queue.retain((message) => {
      if (
        dropped !== undefined ||
        message.type !== 'Command' ||
        (match !== undefined && !match(message.message))
      )
        return true;
      dropped = message;
      return false;
    });
    if (dropped === undefined) return false;
    this.#size--;
    this.#trace?.settled(dropped, 'error', error);
    this.#dead.report('dropped', dropped, error);
    this.#consumer?.wake(); // refreshes stats$
    return true;
  }

  /** Binds the channel to its one server, with keyed ordering when `keyOf` is given. */
  #attach(consumer: ChannelConsumer, keyOf?: (message: unknown) => unknown): void {
    if (this.#consumer !== undefined) {
      throw new TypeError('Expected `channel` to have no server, but a module server already runs on it');
    }
    this.#consumer = consumer;
    if (keyOf === undefined) return;
    const keyed = new KeyedMailbox<AnyMessage>(
      (message) =>
        keyOf(
          message.type === 'Request' ? message.wrapper.message : (message as { message: unknown }).message,
        ),
      (message) => message.type === 'Shutdown',
    );
    this.#queue.clear((message) => keyed.push(message));
    this.#queue = keyed;
  }

  /**
   * The server stopped: close for good, fail every queued request with
   * `RECEIVE_FAILED`, refuse every waiting sender with `SEND_FAILED`, cancel queued Shutdown
   * tokens, and release whoever waits for the stop.
   */
  #close(
    reason: string,
    cause?: unknown,
    deadReason: 'dropped' | 'policy' = 'dropped',
  ): { requests: number; commands: number } {
    if (this.#stopped) return { requests: 0, commands: 0 };
    this.#closed = true;
    this.#stopped = true;
    let requests = 0;
    let commands = 0;
    const trace = this.#trace;
    this.#queue.clear((message) => {
      if (message.type === 'Shutdown') return cancelQuietly(message.token);
      if (message.type === 'Request') {
        if (isGivenUp(message.wrapper)) return;
        requests++;
        this.#watched.unwatch(message);
      } else {
        commands++;
      }
      const what = message.type === 'Request' ? 'Request not answered' : 'Command not handled';
      const error = failure('RECEIVE_FAILED', `${what}: ${reason}`, cause);
      if (message.type === 'Request') reply(message.wrapper, err(error));
      trace?.settled(message, 'error', error);
      this.#dead.report(deadReason, message, error);
    });
    this.#size = 0;
    this.#tombstones = 0;
    this.#waiters.clear((waiter) => {
      this.#refused++;
      const error = sendFailed(reason);
      if (waiter.message.type === 'Request') {
        this.#watched.unwatch(waiter.message);
        reply(waiter.message.wrapper, err(error));
      } else if (waiter.message.type === 'Shutdown') {
        cancelQuietly(waiter.message.token);
      }
      if (waiter.message.type !== 'Shutdown') {
        trace?.settled(waiter.message, 'error', error);
        this.#dead.report('refused', waiter.message, error);
      }
      waiter.reject(error);
    });
    this.#stop.release();
    return { requests, commands };
  }

  /**
   * Why `message` is refused outright, before room is considered: the channel closed, or a
   * request its own server could never start (self-deadlock).
   */
  #refusal(message: AnyMessage): unknown {
    let refusal: unknown;
    if (this.#closed) {
      this.#refused++;
      refusal = sendFailed();
    } else if (message.type === 'Request' && this.#consumer !== undefined) {
      refusal = this.#consumer.refusal(message.wrapper.message);
    }
    if (refusal !== undefined) this.#dead.report('refused', message, refusal);
    return refusal;
  }

  #hasRoom(): boolean {
    return this.#waiters.count === 0 && this.#size < this.capacity;
  }

  #admit(message: AnyMessage, refused: (error: unknown) => void, trusted = false): void {
    if (message.type === 'Shutdown') this.#closed = true;
    if (!this.#enqueue(message, refused, trusted)) return;
    this.#consumer?.wake();
  }

  /** A request given up on before it got in: told once, and reported as settled. */
  #tooLate(message: RequestMessage): SparkChannelError {
    const error = cancelled(message.wrapper);
    reply(message.wrapper, err(error));
    const trace = this.#trace;
    if (trace !== undefined) {
      const given = givenUpOutcome(message.wrapper);
      trace.settled(message, given.outcome, given.error);
    }
    return error;
  }

  /**
   * Returns false when the message was not queued: a request already given up on, or a message
   * whose key function threw (then `refused` gets that error).
   */
  #enqueue(message: AnyMessage, refused: (error: unknown) => void, trusted: boolean): boolean {
    if (message.type === 'Request' && canGiveUp(message.wrapper)) {
      if (isGivenUp(message.wrapper)) {
        this.#tooLate(message);
        return false;
      }
      const unwatchable = this.#watched.watch(message, undefined, trusted);
      if (unwatchable !== undefined) {
        refused(unwatchable);
        return false;
      }
    }
    try {
      this.#queue.push(message);
    } catch (thrown: unknown) {
      refused(this.#keyThrew(message, thrown));
      return false;
    }
    this.#size++;
    if (message.type !== 'Shutdown') this.#trace?.accepted(message);
    return true;
  }

  /**
   * A dispatcher's command, when there is room (the caller asked {@link ChannelPort.hasRoom}):
   * queued at once, with no callback to build. Returns why it was refused, if it was.
   */
  #pushCommand(command: Extract<AnyMessage, { type: 'Command' }>): SparkChannelError | undefined {
    const trace = this.#trace;
    trace?.sent(command);
    try {
      this.#queue.push(command);
    } catch (thrown: unknown) {
      return this.#keyThrew(command, thrown);
    }
    this.#size++;
    trace?.accepted(command);
    this.#consumer?.wake();
    return undefined;
  }

  /** The only thing that throws while queueing is the server's key function: the message is refused. */
  #keyThrew(message: AnyMessage, thrown: unknown): SparkChannelError {
    const error = failure('SEND_FAILED', 'Message refused: the key function threw', thrown);
    if (message.type === 'Request') this.#watched.unwatch(message);
    if (message.type !== 'Shutdown') {
      this.#trace?.settled(message, 'error', error);
      this.#dead.report('refused', message, error);
    }
    return error;
  }

  #waitForRoom(waiter: Waiter): void {
    const { message } = waiter;
    if (message.type === 'Request' && canGiveUp(message.wrapper)) {
      if (isGivenUp(message.wrapper)) return waiter.reject(this.#tooLate(message));
      const unwatchable = this.#watched.watch(
        message,
        () => {
          this.#waiters.leave(waiter);
          this.#watched.forget(message);
          waiter.reject(this.#tooLate(message));
          this.#waiters.compact();
          // No one is admitted here: a sender only waits while the queue is full.
        },
        waiter.trusted,
      );
      if (unwatchable !== undefined) return waiter.reject(unwatchable);
    }
    this.#waiters.push(waiter);
  }

  #admitWaiters(): void {
    while (this.#waiters.count > 0 && this.#size < this.capacity) {
      const waiter = this.#waiters.next();
      if (waiter === undefined) break;
      if (waiter.message.type === 'Request') this.#watched.unwatch(waiter.message);
      if (!this.#enqueue(waiter.message, waiter.reject, waiter.trusted)) continue;
      waiter.resolve();
    }
  }

  #withdrawQueued(message: RequestMessage): void {
    this.#watched.forget(message);
    this.#size--;
    this.#tombstones++;
    this.#tooLate(message);
    if (this.#tombstones > COMPACT_AFTER && this.#tombstones > this.#size) {
      this.#queue.retain((m) => !(m.type === 'Request' && isGivenUp(m.wrapper)));
      this.#tombstones = 0;
    }
    if (this.#waiters.count > 0) this.#admitWaiters();
    this.#consumer?.wake(); // also refreshes stats$
  }
}

function sendFailed(reason = 'the channel is closed'): SparkChannelError {
  return failure('SEND_FAILED', `Message refused: ${reason}`);
}

function cancelled<V>(wrapper: CallbackWrapper<unknown, V>): SparkChannelError {
  const signal = wrapper.signal;
  return abortFailure(signal && reasonOf(signal), 'before it was handled');
}

function cancelQuietly(token: unknown): void {
  try {
    (token as { cancel(): void }).cancel();
  } catch {
    // A user token whose cancel() throws must not stop the others from being released.
  }
}
