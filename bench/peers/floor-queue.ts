/**
 * The floor: the least an ordered mailbox with request/response can do. A growable ring buffer,
 * one drain loop that runs one message at a time, and the promise's own resolvers. No options,
 * no cancellation, no backpressure, no stop: the cost every real implementation is compared to.
 */
import { type Answer, Workload } from '../workload.js';
import type { Bus, Peer } from './peer.js';

interface Entry<M, R> {
  readonly message: M;
  readonly resolve: ((value: R) => void) | undefined; // undefined: a command
  readonly reject: ((error: unknown) => void) | undefined;
}

export class FloorQueue<M, R> {
  #items: (Entry<M, R> | undefined)[] = new Array<Entry<M, R> | undefined>(16);
  #mask = 15;
  #head = 0;
  #length = 0;
  #busy = false; // a handler is running (or the loop is), so a new message only queues

  constructor(
    private readonly handler: (message: M) => R | Promise<R>,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  request(message: M): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#push({ message, resolve, reject });
      if (!this.#busy) this.#drain();
    });
  }

  command(message: M): void {
    this.#push({ message, resolve: undefined, reject: undefined });
    if (!this.#busy) this.#drain();
  }

  /** Runs queued messages one at a time until one is asynchronous or the queue is empty. */
  #drain(): void {
    this.#busy = true;
    while (this.#length > 0) {
      const entry = this.#shift();
      let result: R | Promise<R>;
      try {
        result = this.handler(entry.message);
      } catch (error: unknown) {
        this.#fail(entry, error);
        continue;
      }
      if (result instanceof Promise) {
        result.then(
          (value: R) => {
            entry.resolve?.(value);
            this.#drain();
          },
          (error: unknown) => {
            this.#fail(entry, error);
            this.#drain();
          },
        );
        return; // still busy until the promise settles
      }
      entry.resolve?.(result);
    }
    this.#busy = false;
  }

  #fail(entry: Entry<M, R>, error: unknown): void {
    if (entry.reject !== undefined) entry.reject(error);
    else this.onError(error);
  }

  #push(entry: Entry<M, R>): void {
    if (this.#length > this.#mask) this.#grow();
    this.#items[(this.#head + this.#length) & this.#mask] = entry;
    this.#length++;
  }

  #shift(): Entry<M, R> {
    const entry = this.#items[this.#head]!;
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#length--;
    return entry;
  }

  #grow(): void {
    const size = this.#mask + 1;
    const items = new Array<Entry<M, R> | undefined>(size * 2);
    for (let i = 0; i < this.#length; i++) items[i] = this.#items[(this.#head + i) & this.#mask];
    this.#items = items;
    this.#mask = size * 2 - 1;
    this.#head = 0;
  }
}

export const floorQueue: Peer = {
  id: 'floor-queue',
  label: 'floor-queue',
  wiring: 'bench/peers/floor-queue.ts: ring buffer, one drain loop, promise resolvers',
  mailbox: true,
  commands: true,
  ours: true,
  guarantees: {
    ordering: 'yes: one at a time, FIFO',
    typedReplies: 'yes (generic R)',
    backpressure: 'no: unbounded',
    cancellation: 'no',
    isolation: 'yes: a throw or rejection fails that message only',
  },
  create(handler, next): Bus {
    const queue = new FloorQueue<number, number>(handler as (m: number) => Answer);
    return {
      request: (m) => queue.request(m),
      command: (m) => queue.command(m),
      drain: async () => {
        const m = next(); // in band: handled after every command sent before it
        Workload.check(m, await queue.request(m));
      },
      close: () => Promise.resolve(),
    };
  },
};
