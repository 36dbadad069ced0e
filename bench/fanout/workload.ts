/**
 * The fan-out work: one event type, `Tick`, published with a sequence number, and one listener
 * per subscriber that checks it sees every event, once, in publish order. A lost event, a
 * duplicate or a reordering fails the run (CheckFailure), whoever the implementation is.
 */
import { CheckFailure } from '../workload.js';

/** The event every implementation publishes (Nest's is a class instance with the same fields). */
export interface TickEvent {
  readonly type: 'Tick';
  readonly seq: number;
}

/** A subscriber's handler: synchronous, except the one delivery a heap sample blocks on. */
export type Listener = (event: TickEvent) => void | Promise<void>;

const RESOLVED: Promise<void> = Promise.resolve();

/** One bus's worth of fan-out work: its listeners, its checks, the sequence numbers it publishes. */
export class FanoutWorkload {
  /** Deliveries handled so far (every listener call counts). */
  handled = 0;
  /** Deliveries owed so far: events published × subscribers. */
  issued = 0;
  /** Deliveries whose event was not the one that subscriber expected next. */
  violations = 0;
  readonly listeners: readonly Listener[];
  readonly #expected: number[];
  #seq = 0;
  #drained: (() => void) | undefined;
  #gate: Promise<void> | undefined;
  #gated: boolean[] | undefined;

  constructor(readonly subscribers: number) {
    this.#expected = new Array<number>(subscribers).fill(0);
    // The same function for every subscriber (one closure each): every delivery runs one code path.
    this.listeners = Array.from({ length: subscribers }, (_, i) => this.#listener(i));
  }

  /** The sequence number of the next event to publish; every subscriber now owes its delivery. */
  next(): number {
    this.issued += this.subscribers;
    return this.#seq++;
  }

  /** Resolves once every delivery owed so far has been handled (at once for a synchronous emitter). */
  drained(): Promise<void> {
    if (this.handled >= this.issued) return RESOLVED;
    return new Promise<void>((resolve) => (this.#drained = resolve));
  }

  /**
   * Each subscriber's next delivery blocks until the returned function is called: every module
   * is busy, so what is published after it queues in their mailboxes (the heap scenario).
   */
  block(): () => void {
    let release!: () => void;
    this.#gate = new Promise<void>((resolve) => (release = resolve));
    this.#gated = new Array<boolean>(this.subscribers).fill(true);
    return release;
  }

  /** Throws unless every subscriber got every event published, once, in order. */
  verify(where: string): void {
    if (this.violations > 0) {
      throw new CheckFailure(
        `${where}: ${this.violations} delivery(ies) lost, repeated or out of publish order`,
      );
    }
    if (this.handled !== this.issued) {
      throw new CheckFailure(`${where}: ${this.handled} delivery(ies) handled, ${this.issued} owed`);
    }
    for (let i = 0; i < this.subscribers; i++) {
      if (this.#expected[i] !== this.#seq) {
        throw new CheckFailure(`${where}: subscriber ${i} saw ${this.#expected[i]} of ${this.#seq} events`);
      }
    }
  }

  #listener(i: number): Listener {
    return (event) => {
      if (event.seq !== this.#expected[i]) this.violations++;
      this.#expected[i] = event.seq + 1;
      if (++this.handled === this.issued && this.#drained !== undefined) {
        const drained = this.#drained;
        this.#drained = undefined;
        drained();
      }
      if (this.#gated?.[i] === true) {
        this.#gated[i] = false;
        return this.#gate;
      }
      return undefined;
    };
  }
}
