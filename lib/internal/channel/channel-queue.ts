// The mailbox as its server sees it: what may start next, in order, and what happens to the
// queue as messages start, finish or are dropped. The senders' side (room, waiting senders,
// refusals, closing) is channel-core.ts, which extends it.
import type { SparkGenericModuleMessage } from '../../module-message.js';
import type { Lifecycle } from '../server/lifecycle.js';
import { isGivenUp } from '../signal/cancellable-wrapper.js';
import type { ChannelConsumer } from './channel-port.js';
import { DeadLetterOutlet } from './dead-letters.js';
import { KeyedMailbox } from './keyed-mailbox.js';
import type { Mailbox } from './mailbox.js';
import { RingQueue } from './ring-queue.js';
import { WaitingSenders } from './waiting-senders.js';
import { WatchedRequests } from './watched-requests.js';

export type AnyMessage = SparkGenericModuleMessage<unknown, unknown, unknown, unknown>;
export type RequestMessage = Extract<AnyMessage, { type: 'Request' }>;
export type CommandMessage = Extract<AnyMessage, { type: 'Command' }>;

/** A channel's queue and its server side. Internal: reached through a ModuleChannel's port only. */
export abstract class ChannelQueue {
  /** Messages accepted and not yet started (the channel's `size`). */
  size = 0;
  /** A Shutdown was sent or the server stopped: every later send is refused. */
  closed = false;
  /** The server stopped. */
  stopped = false;
  /** The FIFO mailbox: the queue, unless a key function made it keyed. */
  protected readonly ring = new RingQueue<AnyMessage>();
  protected queue: Mailbox<AnyMessage> = this.ring;
  /** Withdrawn requests still in the queue (their slots are free already). */
  protected tombstones = 0;
  protected consumer: ChannelConsumer | undefined;
  protected readonly waiters = new WaitingSenders();
  protected readonly requests = new WatchedRequests((message) => this.withdrawQueued(message));
  protected readonly dead = new DeadLetterOutlet();
  // The server's lifecycle while anyone observes it (events$ or an instrument): a field, so a
  // module nobody watches pays one read per message.
  protected trace: Lifecycle | undefined;

  constructor(
    /** The most messages held that the server has not started; `Infinity` when unbounded. */
    readonly capacity: number,
  ) {}

  /** Room freed: the waiting senders it can take are let in. */
  protected abstract admitWaiters(): void;
  /** A queued request its caller gave up on: its slot is freed at once, its entry dropped later. */
  protected abstract withdrawQueued(message: RequestMessage): void;

  take(canShutdown: boolean): AnyMessage | undefined {
    const head = this.head();
    if (head === undefined || (head.type === 'Shutdown' && !canShutdown)) return undefined;
    return this.started(head);
  }

  /**
   * The messages the server may start now, in order: up to `max`, and none from a Shutdown on.
   * One message alone, or an array of them. They stay queued (counted by `size`, withdrawable,
   * holding their place against `capacity`) until the server starts each with {@link startNext}.
   */
  batch(max: number): AnyMessage | AnyMessage[] | undefined {
    const first = this.head();
    if (first === undefined || first.type === 'Shutdown') return undefined;
    const queue = this.queue as RingQueue<AnyMessage>; // batches are for the FIFO mailbox only
    const second = queue.at(1);
    if (second === undefined || second.type === 'Shutdown') return first;
    const batch = [first, second];
    for (let i = 2, message = queue.at(i); message !== undefined && i < max; message = queue.at(++i)) {
      if (message.type === 'Shutdown') break;
      batch.push(message);
    }
    return batch;
  }

  /** Starts `expected`, the next message of the server's batch; `undefined` if it was withdrawn since. */
  startNext(expected: AnyMessage): AnyMessage | undefined {
    return this.head() === expected ? this.started(expected) : undefined;
  }

  release(message: AnyMessage): void {
    this.queue.release?.(message);
  }

  /**
   * Room for one more by dropping the oldest queued command `match` accepts (an event bus's
   * `drop-oldest`). O(queue length), paid only when the channel is full.
   */
  dropOldestCommand(match: ((message: unknown) => boolean) | undefined, error: unknown): boolean {
    if (this.closed) return false;
    if (this.hasSpace()) return true;
    if (this.waiters.count > 0) return false; // the freed slot would go to them, not to the caller
    let dropped: CommandMessage | undefined;
    this.queue.retain((message) => {
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
    this.size--;
    this.trace?.settled(dropped, 'error', error);
    this.dead.report('dropped', dropped, error);
    this.consumer?.wake(); // refreshes stats$
    return true;
  }

  attach(consumer: ChannelConsumer, keyOf?: (message: unknown) => unknown): void {
    if (this.consumer !== undefined) {
      throw new TypeError('Expected `channel` to have no server, but a module server already runs on it');
    }
    this.consumer = consumer;
    if (keyOf === undefined) return;
    const keyed = new KeyedMailbox<AnyMessage>(
      (message) =>
        keyOf(
          message.type === 'Request' ? message.wrapper.message : (message as { message: unknown }).message,
        ),
      (message) => message.type === 'Shutdown',
    );
    this.queue.clear((message) => keyed.push(message));
    this.queue = keyed;
  }

  /** Room for one more now, and nobody waiting for it first (closed or not). */
  protected hasSpace(): boolean {
    return this.waiters.count === 0 && this.size < this.capacity;
  }

  /** The head of the mailbox, once the withdrawn requests before it are dropped. */
  protected head(): AnyMessage | undefined {
    for (;;) {
      const head = this.queue.peek();
      if (head === undefined || head.type !== 'Request' || !isGivenUp(head.wrapper)) return head;
      this.queue.shift(); // a withdrawn request: its slot was freed when it aborted
      this.queue.release?.(head);
      this.tombstones--;
    }
  }

  /** `head` leaves the mailbox to start: its slot goes to the next waiting sender. */
  protected started(head: AnyMessage): AnyMessage {
    this.queue.shift();
    this.size--;
    if (head.type === 'Request') this.requests.unwatch(head);
    if (this.waiters.count > 0) this.admitWaiters();
    return head;
  }
}
