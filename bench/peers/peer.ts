import type { Answer, Handler } from '../workload.js';

/** One implementation under test, wired around a handler. */
export interface Bus {
  /** Sends a request and gives back its answer (a direct call may answer synchronously). */
  request(message: number): Answer | PromiseLike<number>;
  /**
   * Sends a command and returns what the implementation's own send returns (a promise to await,
   * or nothing): the awaited-commands scenario awaits it, the fire-and-forget one ignores it.
   */
  command(message: number): unknown;
  /** Resolves once every command sent so far has been handled (the harness then counts them). */
  drain(): Promise<void>;
  /** Stops the bus and frees what it holds. */
  close(): Promise<void>;
}

/** What an implementation promises, as the docs table shows it. */
export interface Guarantees {
  /** Messages handled one at a time, in send order. */
  readonly ordering: string;
  /** Replies typed per request and routed to their caller. */
  readonly typedReplies: string;
  /** A bounded queue that makes senders wait. */
  readonly backpressure: string;
  /** Timeouts / AbortSignal for a queued or running request. */
  readonly cancellation: string;
  /** A failing handler fails that message only. */
  readonly isolation: string;
}

export interface Peer {
  /** Stable id, used in results JSON and on the command line (`--only`). */
  readonly id: string;
  /** Name in tables and the chart. */
  readonly label: string;
  /** One line on how it is wired. */
  readonly wiring: string;
  /** Queues messages behind a busy handler (only these take part in the heap scenario). */
  readonly mailbox: boolean;
  /** Whether the commands scenario applies (false: it would measure the same code as another row). */
  readonly commands: boolean;
  /** Ours: any failure of it fails the run, where a peer's failure is only recorded. */
  readonly ours: boolean;
  readonly guarantees: Guarantees;
  create(handler: Handler, next: () => number): Bus | Promise<Bus>;
}
