/**
 * The design's floor: the least the design spark-channel is held to can cost. What the design
 * prescribes, and nothing else: a `Subject` whose emissions are batches (the run of messages
 * queued at that moment, up to 1,024), `concatMap` handling each batch in order and pausing on
 * an asynchronous handler, and an `AsyncSubject` per request as its reply, settling the caller's
 * promise directly. The start policy is spark-channel's (the first message of a burst at once,
 * the rest one microtask later as one batch). No options, no cancellation, no backpressure, no
 * stop, no validation, no isolation beyond the reply: every figure spark-channel has above this
 * row is its own overhead; every figure this row has above floor-queue is the design's.
 */
import { AsyncSubject, concatMap, EMPTY, Observable, Subject, type Subscription } from 'rxjs';

import { type Answer, Workload } from '../workload.js';
import type { Bus, Peer } from './peer.js';

/** A request's reply: an `AsyncSubject` that settles its caller's promise itself. */
class Reply extends AsyncSubject<number> {
  resolve!: (value: number) => void;
  reject!: (error: unknown) => void;

  answer(value: number): void {
    this.next(value);
    this.complete();
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

class DesignFloor {
  readonly #queue: Entry[] = [];
  #head = 0;
  readonly #incoming = new Subject<readonly Entry[]>();
  readonly #loop: Subscription;
  #busy = false; // an emission is being handled
  #burst = false; // a message ran at once this turn: the rest of the burst waits for #flush
  readonly #flush = (): void => {
    this.#burst = false;
    this.#emit();
  };

  constructor(private readonly handler: (message: number) => Answer) {
    this.#loop = this.#incoming.pipe(concatMap((batch) => this.#run(batch, 0))).subscribe();
  }

  request(message: number): Promise<number> {
    const reply = new Reply();
    const promise = new Promise<number>((resolve, reject) => {
      reply.resolve = resolve;
      reply.reject = reject;
    });
    this.#queue.push({ message, reply });
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
      const batch = this.#queue.slice(this.#head, end);
      this.#head = end;
      if (this.#head === this.#queue.length) {
        this.#queue.length = 0;
        this.#head = 0;
      }
      this.#busy = true;
      this.#incoming.next(batch);
    }
  }

  /** Handles `batch` from `from` in order: EMPTY when it all ran synchronously, else an inner that completes when it is done. */
  #run(batch: readonly Entry[], from: number): Observable<never> {
    for (let i = from; i < batch.length; i++) {
      const entry = batch[i]!;
      let answer: Answer;
      try {
        answer = this.handler(entry.message);
      } catch (error: unknown) {
        entry.reply?.fail(error);
        continue;
      }
      if (answer instanceof Promise) {
        return new Observable<never>((subscriber) => {
          answer.then(
            (value) => entry.reply?.answer(value),
            (error: unknown) => entry.reply?.fail(error),
          );
          void answer
            .catch(() => undefined)
            .then(() => {
              const rest = this.#run(batch, i + 1);
              if (rest === EMPTY) this.#done(subscriber);
              else rest.subscribe({ complete: () => this.#done(subscriber) });
            });
        });
      }
      entry.reply?.answer(answer);
    }
    this.#busy = false;
    return EMPTY;
  }

  #done(subscriber: { complete(): void }): void {
    this.#busy = false;
    subscriber.complete();
    this.#emit();
  }
}

export const designFloor: Peer = {
  id: 'design-floor',
  label: 'design floor (Subject → concatMap, AsyncSubject)',
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
    const floor = new DesignFloor(handler);
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
