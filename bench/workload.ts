/**
 * The work every implementation runs, and the checks that make a wrong answer fail the run.
 *
 * A message is a number `seq * CLIENTS + client`: every client numbers its own messages upwards,
 * so the handler can check each client's messages arrive in the order that client sent them
 * (per-client FIFO), and the caller can check every answer (`message + 1`).
 */

/** Client loops the harness may run against one bus (the 8-clients scenario). */
export const CLIENTS = 8;

/** What a handler may return: the sync handler a value, the async one a promise. */
export type Answer = number | Promise<number>;
export type Handler = (message: number) => Answer;

export type HandlerKind = 'sync' | 'async';

/** A check of the harness failed: a wrong answer, a lost or reordered message. Fails the run. */
export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
}

/** A peer left requests unanswered past the watchdog, or crashed (e.g. a stack overflow). */
export class PeerFailure extends Error {
  override readonly name = 'PeerFailure';
}

/**
 * One bus's worth of work: the handler, its checks, and the message numbers of its clients.
 * A fresh one per bus, so checks never leak between implementations.
 */
export class Workload {
  /** Messages handled so far (requests and commands). */
  handled = 0;
  /** Messages seen out of their client's send order. */
  violations = 0;
  /** Messages issued so far, to compare with `handled` once drained. */
  issued = 0;
  readonly handler: Handler;
  readonly #last = new Array<number>(CLIENTS).fill(-1);
  readonly #next = new Array<number>(CLIENTS).fill(0);
  #gate: Promise<void> | undefined;

  constructor(readonly kind: HandlerKind) {
    // Two distinct functions, so each stays monomorphic in the engine.
    this.handler = kind === 'sync' ? (m) => this.#sync(m) : (m) => this.#async(m);
  }

  /** The next message of `client`. */
  next(client = 0): number {
    this.issued++;
    return this.#next[client]!++ * CLIENTS + client;
  }

  /** The answer every request must get. */
  static answer(message: number): number {
    return message + 1;
  }

  /** Throws unless `answer` is the right one for `message`. */
  static check(message: number, answer: unknown): void {
    if (answer !== message + 1) {
      throw new CheckFailure(
        `wrong answer: message ${message} got ${String(answer)}, expected ${message + 1}`,
      );
    }
  }

  /**
   * The next message handled blocks until the returned function is called: the handler is
   * busy, so everything sent after it queues behind it (the heap scenario).
   */
  block(): () => void {
    let release!: () => void;
    this.#gate = new Promise<void>((resolve) => (release = resolve));
    return release;
  }

  /** Throws unless every issued message was handled, each in its client's order. */
  verify(where: string): void {
    if (this.violations > 0) {
      throw new CheckFailure(`${where}: ${this.violations} message(s) handled out of their send order`);
    }
    if (this.handled !== this.issued) {
      throw new CheckFailure(`${where}: ${this.handled} message(s) handled, ${this.issued} sent`);
    }
  }

  #see(message: number): void {
    const client = message % CLIENTS;
    if (message <= this.#last[client]!) this.violations++;
    this.#last[client] = message;
    this.handled++;
  }

  #sync(message: number): Answer {
    this.#see(message);
    if (this.#gate !== undefined) return this.#blocked(message);
    return message + 1;
  }

  async #async(message: number): Promise<number> {
    this.#see(message);
    if (this.#gate !== undefined) return this.#blocked(message);
    return message + 1;
  }

  #blocked(message: number): Promise<number> {
    const gate = this.#gate!;
    this.#gate = undefined;
    return gate.then(() => message + 1);
  }
}
