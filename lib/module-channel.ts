import type { SparkChannelCancellationToken } from './cancellation-token.js';
import { ChannelCore } from './internal/channel/channel-core.js';
import { providePort } from './internal/channel/channel-port.js';
import { checkPositiveIntegerOrInfinity } from './internal/validate.js';
import type { SparkGenericModuleMessage } from './module-message.js';

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

  // The channel's state, and its port: what its server and dispatchers see (channel-core.ts).
  readonly #core: ChannelCore;

  static {
    // A private-field check, not `instanceof`: a Proxy of a channel passes `instanceof` and then
    // throws (or lies) on every internal call; it does not have the private field.
    isChannel = (value) => typeof value === 'object' && value !== null && #core in value;
    providePort((channel) => (channel as ModuleChannel<unknown, unknown>).#core);
  }

  /**
   * @param capacity - a positive integer, or `Infinity` (the default) for an unbounded channel.
   * @throws RangeError naming `capacity` when it is neither.
   */
  constructor(capacity: number = Infinity) {
    this.capacity = checkPositiveIntegerOrInfinity('capacity', capacity);
    this.#core = new ChannelCore(this.capacity);
  }

  /** Messages accepted and not yet started by the server. */
  get size(): number {
    return this.#core.size;
  }

  /** True once a Shutdown was sent or the server stopped: every later send is refused. */
  get isClosed(): boolean {
    return this.#core.closed;
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
    return this.#core.send(message);
  }

  /**
   * Puts `message` in the mailbox now or throws: `SEND_FAILED` when closed (closed wins over
   * full), `CHANNEL_FULL` when there is no room (or senders are already waiting for it).
   *
   * @example
   * try { channel.trySend(SparkGenericModuleMessage.Command(evt)); } catch { dropped++; }
   */
  trySend(message: SparkGenericModuleMessage<M, R, C, E>): void {
    this.#core.trySend(message);
  }
}
