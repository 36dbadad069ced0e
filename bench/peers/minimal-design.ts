/**
 * The design, minimal: what the design spark-channel is held to prescribes, written plainly, and
 * nothing else. A `Subject` whose emissions are batches (the run of messages queued at that
 * moment, up to 1,024; a lone message as it is), `concatMap` handling each batch in order and
 * pausing on an asynchronous handler, and an `AsyncSubject` per request as its reply, settling
 * the caller's promise directly. The start policy is spark-channel's (the first message of a
 * burst at once, the rest one microtask later as one batch). No options, no cancellation, no
 * backpressure, no stop, no validation, no isolation beyond the reply. It shows what the design
 * itself costs over floor-queue; spark-channel, which does all of that, is measured against it.
 */
import {
  AsyncSubject,
  concatMap,
  EMPTY,
  Observable,
  Subject,
  type Subscriber,
  type Subscription,
} from 'rxjs';

import { type Answer, Workload } from '../workload.js';
import type { Bus, Peer } from './peer.js';

// The promise executor, shared: it hands its resolvers out through these, so no closure is made
// per request (as spark-channel's dispatcher does).
let resolveNext: (value: number) => void = () => undefined;
let rejectNext: (error: unknown) => void = () => undefined;
const capture = (resolve: (value: number) => void, reject: (error: unknown) => void): void => {
  resolveNext = resolve;
  rejectNext = reject;
};

/**
 * A request's reply: an `AsyncSubject` that settles its caller's promise itself. Nobody else
 * subscribes, so completing only marks it stopped (a late subscriber would still get the value:
 * AsyncSubject replays it), sparing the notification of no observers.
 */
class Reply extends AsyncSubject<number> {
  constructor(
    readonly resolve: (value: number) => void,
    readonly reject: (error: unknown) => void,
  ) {
    super();
  }

  answer(value: number): void {
    this.next(value);
    if (this.observed) this.complete();
    else this.isStopped = true;
    this.resolve(value);
  }

  fail(error: unknown): void {
    this.error(error);
    this.reject(error);
  }
}

interface Entry {
  readonly message: number;
  readonly reply: Reply | undefined; // undefined: a command
}

const MAX_BATCH = 1024;
const RESOLVED = Promise.resolve();

class MinimalDesign {
  readonly #queue: Entry[] = [];
  #head = 0;
  readonly #incoming = new Subject<Entry | readonly Entry[]>();
  readonly #loop: Subscription;
  #busy = false; // an emission is being handled
  #burst = false; // a message ran at once this turn: the rest of the burst waits for #flush
  #inner: Subscriber<never> | undefined; // the paused batch's concatMap inner
  // The inner of a paused batch: one for the floor (one batch at a time).
  readonly #paused = new Observable<never>((subscriber) => {
    this.#inner = subscriber;
  });
  readonly #flush = (): void => {
    this.#burst = false;
    this.#emit();
  };

  constructor(private readonly handler: (message: number) => Answer) {
    this.#loop = this.#incoming.pipe(concatMap((batch) => this.#run(batch))).subscribe();
  }

  request(message: number): Promise<number> {
    const promise = new Promise<number>(capture);
    this.#queue.push({ message, reply: new Reply(resolveNext, rejectNext) });
    this.#wake();
    return promise;
  }

  command(message: number): void {
    this.#queue.push({ message, reply: undefined });
    this.#wake();
  }

  close(): void {
    this.#loop.unsubscribe();
  }

  #wake(): void {
    if (this.#busy) return;
    if (this.#burst) {
      if (this.#queue.length - this.#head < MAX_BATCH) return;
    } else {
      this.#burst = true;
      void RESOLVED.then(this.#flush);
    }
    this.#emit();
  }

  /** Emits what is queued (up to MAX_BATCH) as one batch, when idle. */
  #emit(): void {
    while (!this.#busy && this.#head < this.#queue.length) {
      const end = Math.min(this.#queue.length, this.#head + MAX_BATCH);
      // A lone message is emitted as it is, a run as an array: no array per sequential request.
      const batch = end - this.#head === 1 ? this.#queue[this.#head]! : this.#queue.slice(this.#head, end);
      this.#head = end;
      if (this.#head === this.#queue.length) {
        this.#queue.length = 0;
        this.#head = 0;
      }
      this.#busy = true;
      this.#incoming.next(batch);
    }
  }

  /** Handles an emission in order: EMPTY when it all ran synchronously, else the paused batch's inner. */
  #run(batch: Entry | readonly Entry[]): Observable<never> {
    if (this.#drive(batch, 0)) {
      this.#busy = false;
      return EMPTY;
    }
    return this.#paused;
  }

  /** Runs `batch` from `from`; false when a handler went asynchronous (it goes on when that settles). */
  #drive(batch: Entry | readonly Entry[], from: number): boolean {
    const many = Array.isArray(batch);
    const length = many ? batch.length : 1;
    for (let i = from; i < length; i++) {
      const entry = many ? (batch as readonly Entry[])[i]! : (batch as Entry);
      let answer: Answer;
      try {
        answer = this.handler(entry.message);
      } catch (error: unknown) {
        entry.reply?.fail(error);
        continue;
      }
      if (answer instanceof Promise) {
        answer.then(
          (value) => {
            entry.reply?.answer(value);
            this.#resume(batch, i + 1);
          },
          (error: unknown) => {
            entry.reply?.fail(error);
            this.#resume(batch, i + 1);
          },
        );
        return false;
      }
      entry.reply?.answer(answer);
    }
    return true;
  }

  /** The paused handler settled: the batch goes on; once it is done, the next emission. */
  #resume(batch: Entry | readonly Entry[], from: number): void {
    if (!this.#drive(batch, from)) return;
    const inner = this.#inner;
    this.#inner = undefined;
    this.#busy = false;
    inner?.complete(); // concatMap is idle again before anything new is fed to it
    this.#emit();
  }
}

export const minimalDesign: Peer = {
  id: 'minimal-design',
  label: 'the design, minimal (Subject → concatMap)',
  wiring: 'Subject of batches → concatMap(handle the batch in order) → AsyncSubject reply per request',
  mailbox: true,
  commands: true,
  ours: false,
  guarantees: {
    ordering: 'yes: one at a time, FIFO',
    typedReplies: 'yes (AsyncSubject<R>)',
    backpressure: 'no',
    cancellation: 'no',
    isolation: 'a throw or rejection fails that message only; nothing else',
  },
  create(handler, next): Bus {
    const floor = new MinimalDesign(handler);
    return {
      request: (message) => floor.request(message),
      command: (message) => floor.command(message),
      drain: async () => {
        const m = next(); // in band: handled after every command sent before it
        Workload.check(m, await floor.request(m));
      },
      close: () => {
        floor.close();
        return Promise.resolve();
      },
    };
  },
};
