// A ModuleChannel's state and its port: the senders' side (room, waiting senders, refusals,
// withdrawn requests, closing) over the server's side in channel-queue.ts.
import type { Observable } from 'rxjs';

import type { CallbackWrapper } from '../../callback-wrapper.js';
import type { DeadLetter } from '../../dead-letter.js';
import { err } from '../../result.js';
import type { SparkChannelError } from '../../spark-channel-error.js';
import { RESOLVED, reply } from '../reply.js';
import { givenUpOutcome, type Lifecycle } from '../server/lifecycle.js';
import { reasonOf } from '../signal/abort-fanout.js';
import { abortFailure } from '../signal/abort-reason.js';
import { type CancellableWrapper, canGiveUp, isGivenUp } from '../signal/cancellable-wrapper.js';
import { failure } from '../validate.js';
import { adopt } from './adopt.js';
import { type AnyMessage, ChannelQueue, type CommandMessage, type RequestMessage } from './channel-queue.js';
import type { ChannelPort } from './channel-port.js';
import { StopLatch } from './stop-latch.js';
import { COMPACT_AFTER, type Waiter } from './waiting-senders.js';

/** One per ModuleChannel, which forwards its public methods here; the channel's port. */
export class ChannelCore extends ChannelQueue implements ChannelPort {
  #refused = 0;
  readonly #stop = new StopLatch();

  /** `ModuleChannel.send`: resolves once accepted. */
  send(message: unknown): Promise<void> {
    let settled: Promise<void> = RESOLVED;
    this.offer(
      message as AnyMessage,
      (error) => {
        settled = Promise.reject(error);
      },
      (waiting) => {
        settled = waiting;
      },
    );
    return settled;
  }

  /** `ModuleChannel.trySend`: accepted now, or thrown out. */
  trySend(message: unknown): void {
    const msg = adopt(message);
    if (msg instanceof TypeError) throw msg;
    const refusal = this.#refusal(msg);
    if (refusal !== undefined) throw refusal;
    if (!this.hasSpace()) {
      const full = failure('CHANNEL_FULL', `Channel is full: ${this.size} of ${this.capacity} slots taken`);
      this.dead.report('refused', msg, full);
      throw full;
    }
    if (msg.type !== 'Shutdown') this.trace?.sent(msg);
    this.#admit(msg, (error) => {
      throw error;
    });
  }

  offer(
    offered: object,
    refusedBy: ((error: unknown) => void) | undefined,
    wait?: (accepted: Promise<void>) => void,
    trusted = false,
  ): void {
    // A raw envelope is read once, into one of our own: what is queued is what was checked.
    const message = trusted ? (offered as AnyMessage) : adopt(offered);
    if (message instanceof TypeError) return refusedBy?.(message);
    const refusal = this.#refusal(message);
    if (refusal !== undefined) return refuse(refusedBy, message, refusal);
    if (message.type !== 'Shutdown') this.trace?.sent(message);
    if (this.hasSpace()) return this.#admit(message, refusedBy, trusted);
    if (message.type === 'Shutdown') this.closed = true; // later senders are refused at once
    this.#waitWithPromise(message, trusted, refusedBy, wait);
  }

  /**
   * The sender of `message` waits for room. Apart from `offer`: its closures, there, would put
   * the variables they capture in a context made on every offer, room or not.
   */
  #waitWithPromise(
    message: AnyMessage,
    trusted: boolean,
    refusedBy: ((error: unknown) => void) | undefined,
    wait: ((accepted: Promise<void>) => void) | undefined,
  ): void {
    const waiting = new Promise<void>((resolve, reject) => {
      this.#waitForRoom({ message, trusted, resolve, reject, gone: false });
    });
    if (wait === undefined)
      waiting.catch(refusedBy ?? ((error: unknown) => refuse(undefined, message, error)));
    else wait(waiting);
  }

  /**
   * A dispatcher's command, when there is room (the caller asked {@link hasRoom}): queued at
   * once, with no callback to build. Returns why it was refused, if it was.
   */
  pushCommand(offered: object): SparkChannelError | undefined {
    const command = offered as CommandMessage;
    const trace = this.trace;
    trace?.sent(command);
    try {
      this.queue.push(command);
    } catch (thrown: unknown) {
      return this.#keyThrew(command, thrown);
    }
    this.size++;
    trace?.accepted(command);
    this.consumer?.wake();
    return undefined;
  }

  pushRequest(offered: object, held = false): boolean {
    const request = offered as RequestMessage;
    // The cases offer handles: full or closed, a keyed mailbox (its key function may throw), a
    // trace to report to, and a request the running handler sent to its own module.
    if (!this.hasRoom() || this.trace !== undefined || this.queue !== this.ring) return false;
    const consumer = this.consumer;
    if (consumer !== undefined && consumer.refusal(request.wrapper.message) !== undefined) return false;
    // A fresh cancellable wrapper of the dispatcher's, not given up on yet: marked as queued, so
    // that giving up withdraws it (what `requests.watch` does for it on the way through offer).
    if (held) (request.wrapper as CancellableWrapper<unknown, unknown>).held = true;
    this.ring.push(request);
    this.size++;
    consumer?.wake();
    return true;
  }

  close(
    reason: string,
    cause?: unknown,
    deadReason: 'dropped' | 'policy' = 'dropped',
  ): { requests: number; commands: number } {
    if (this.stopped) return { requests: 0, commands: 0 };
    this.closed = true;
    this.stopped = true;
    let requests = 0;
    let commands = 0;
    const trace = this.trace;
    this.queue.clear((message) => {
      if (message.type === 'Shutdown') return cancelQuietly(message.token);
      if (message.type === 'Request') {
        if (isGivenUp(message.wrapper)) return;
        requests++;
        this.requests.unwatch(message);
      } else {
        commands++;
      }
      const what = message.type === 'Request' ? 'Request not answered' : 'Command not handled';
      const error = failure('RECEIVE_FAILED', `${what}: ${reason}`, cause);
      if (message.type === 'Request') reply(message.wrapper, err(error));
      trace?.settled(message, 'error', error);
      this.dead.report(deadReason, message, error);
    });
    this.size = 0;
    this.tombstones = 0;
    this.waiters.clear((waiter) => {
      this.#refused++;
      const error = sendFailed(reason);
      if (waiter.message.type === 'Request') {
        this.requests.unwatch(waiter.message);
        reply(waiter.message.wrapper, err(error));
      } else if (waiter.message.type === 'Shutdown') {
        cancelQuietly(waiter.message.token);
      }
      if (waiter.message.type !== 'Shutdown') {
        trace?.settled(waiter.message, 'error', error);
        this.dead.report('refused', waiter.message, error);
      }
      waiter.reject(error);
    });
    this.#stop.release();
    return { requests, commands };
  }

  onStop(listener: () => void): void {
    this.#stop.onStop(listener);
  }
  whenStopped(): Promise<void> {
    return this.#stop.when();
  }
  isStopped(): boolean {
    return this.stopped;
  }
  hasRoom(): boolean {
    return !this.closed && this.hasSpace();
  }
  refusedCount(): number {
    return this.#refused;
  }
  withdraw(message: object): void {
    this.requests.withdraw(message);
  }
  setTrace(trace: Lifecycle | undefined): void {
    this.trace = trace;
  }
  watched(): boolean {
    return this.dead.watched;
  }
  deadLetter(...[reason, envelope, error, result]: Parameters<ChannelPort['deadLetter']>): void {
    this.dead.report(reason, envelope as AnyMessage, error, result);
  }
  deadLetters(): Observable<DeadLetter<unknown>> {
    return this.dead.stream();
  }

  /**
   * Why `message` is refused outright, before room is considered: the channel closed, or a
   * request its own server could never start (self-deadlock).
   */
  #refusal(message: AnyMessage): unknown {
    let refusal: unknown;
    if (this.closed) {
      this.#refused++;
      refusal = sendFailed();
    } else if (message.type === 'Request' && this.consumer !== undefined) {
      refusal = this.consumer.refusal(message.wrapper.message);
    }
    if (refusal !== undefined) this.dead.report('refused', message, refusal);
    return refusal;
  }

  #admit(message: AnyMessage, refused: Refused | undefined, trusted = false): void {
    if (message.type === 'Shutdown') this.closed = true;
    if (!this.#enqueue(message, refused, trusted)) return;
    this.consumer?.wake();
  }

  /** A request given up on before it got in: told once, and reported as settled. */
  #tooLate(message: RequestMessage): SparkChannelError {
    const error = cancelled(message.wrapper);
    reply(message.wrapper, err(error));
    const trace = this.trace;
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
  #enqueue(message: AnyMessage, refused: Refused | undefined, trusted: boolean): boolean {
    if (message.type === 'Request' && canGiveUp(message.wrapper)) {
      if (isGivenUp(message.wrapper)) {
        this.#tooLate(message);
        return false;
      }
      const unwatchable = this.requests.watch(message, undefined, trusted);
      if (unwatchable !== undefined) {
        refuse(refused, message, unwatchable);
        return false;
      }
    }
    try {
      this.queue.push(message);
    } catch (thrown: unknown) {
      refuse(refused, message, this.#keyThrew(message, thrown));
      return false;
    }
    this.size++;
    if (message.type !== 'Shutdown') this.trace?.accepted(message);
    return true;
  }

  /** The only thing that throws while queueing is the server's key function: the message is refused. */
  #keyThrew(message: AnyMessage, thrown: unknown): SparkChannelError {
    const error = failure('SEND_FAILED', 'Message refused: the key function threw', thrown);
    if (message.type === 'Request') this.requests.unwatch(message);
    if (message.type !== 'Shutdown') {
      this.trace?.settled(message, 'error', error);
      this.dead.report('refused', message, error);
    }
    return error;
  }

  #waitForRoom(waiter: Waiter): void {
    const { message } = waiter;
    if (message.type === 'Request' && canGiveUp(message.wrapper)) {
      if (isGivenUp(message.wrapper)) return waiter.reject(this.#tooLate(message));
      const unwatchable = this.requests.watch(
        message,
        () => {
          this.waiters.leave(waiter);
          this.requests.forget(message);
          waiter.reject(this.#tooLate(message));
          this.waiters.compact();
          // No one is admitted here: a sender only waits while the queue is full.
        },
        waiter.trusted,
      );
      if (unwatchable !== undefined) return waiter.reject(unwatchable);
    }
    this.waiters.push(waiter);
  }

  protected admitWaiters(): void {
    while (this.waiters.count > 0 && this.size < this.capacity) {
      const waiter = this.waiters.next();
      if (waiter === undefined) break;
      if (waiter.message.type === 'Request') this.requests.unwatch(waiter.message);
      if (!this.#enqueue(waiter.message, waiter.reject, waiter.trusted)) continue;
      waiter.resolve();
    }
  }

  protected withdrawQueued(message: RequestMessage): void {
    this.requests.forget(message);
    this.size--;
    this.tombstones++;
    this.#tooLate(message);
    if (this.tombstones > COMPACT_AFTER && this.tombstones > this.size) {
      this.queue.retain((m) => !(m.type === 'Request' && isGivenUp(m.wrapper)));
      this.tombstones = 0;
    }
    if (this.waiters.count > 0) this.admitWaiters();
    this.consumer?.wake(); // also refreshes stats$
  }
}

type Refused = (error: unknown) => void;

/** Tells a sender its message will never get in: through `refused`, or on a request's own oneshot. */
function refuse(refused: Refused | undefined, message: AnyMessage, error: unknown): void {
  if (refused !== undefined) refused(error);
  else if (message.type === 'Request') reply(message.wrapper, err(error));
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
