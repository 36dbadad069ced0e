/** One implementation of the fan-out scenarios, wired around the subscribers' listeners. */
import type { Listener } from './workload.js';

/**
 * How the subscribers subscribe: `observers`, the event bus's RxJS observers (`bus.on(type)`) or
 * the library's plain listeners; `modules`, spark-channel's module subscribers (each a module
 * with its own mailbox, `bus.subscribe(type, dispatcher)`), and each library's nearest thing.
 */
export type FanoutMode = 'observers' | 'modules';

export interface FanoutBus {
  /** Publishes event number `seq` to every subscriber; returns what the library's publish returns. */
  publish(seq: number): unknown;
  /** Stops everything it started. */
  close(): Promise<void>;
}

/** One module with a mailbox and `listener` as its command handler (the heap scenario's reference). */
export interface CommandTarget {
  /** Sends the command `{ type: 'Tick', seq }` and returns what the send returns. */
  send(seq: number): unknown;
  close(): Promise<void>;
}

export interface FanoutPeer {
  /** Stable id, as in the request/command scenarios when it is the same library. */
  readonly id: string;
  readonly label: string;
  /** How each mode is wired, one line each. */
  readonly wiring: Readonly<Record<FanoutMode, string>>;
  /** What a subscriber gets: order, isolation, backpressure, one line. */
  readonly delivers: string;
  /** Ours: any failure fails the run. */
  readonly ours: boolean;
  /** A mailbox per module subscriber (only these take part in the heap scenarios). */
  readonly mailbox: boolean;
  create(mode: FanoutMode, listeners: readonly Listener[]): FanoutBus | Promise<FanoutBus>;
  /** A single module with a mailbox (mailbox peers only). */
  command?(listener: Listener): CommandTarget;
}
