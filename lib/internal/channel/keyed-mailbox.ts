import type { Mailbox } from './mailbox.js';
import { RingQueue } from './ring-queue.js';

interface Entry<T> {
  readonly seq: number;
  readonly item: T;
}

/**
 * Keyed ordering: messages with the same key start one at a time and in order; different keys
 * may run side by side. Among the keys free to start, the one whose next message arrived first
 * goes first, so arrival order is kept wherever the keys allow. O(log k) per message for k keys
 * with work waiting, never O(queue length).
 *
 * A barrier (the Shutdown) starts only once every other entry has been taken.
 */
export class KeyedMailbox<T> implements Mailbox<T> {
  readonly #queues = new Map<unknown, RingQueue<Entry<T>>>();
  readonly #busy = new Set<unknown>();
  readonly #running = new Map<T, unknown>();
  // A min-heap by the sequence number of each ready key's next entry.
  #ready: { key: unknown; seq: number }[] = [];
  #barrier: T | undefined;
  #seq = 0;
  #length = 0;

  constructor(
    private readonly keyOf: (item: T) => unknown,
    private readonly isBarrier: (item: T) => boolean,
  ) {}

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    this.#length++;
    if (this.isBarrier(item)) {
      this.#barrier = item;
      return;
    }
    const key = this.keyOf(item);
    let queue = this.#queues.get(key);
    if (queue === undefined) this.#queues.set(key, (queue = new RingQueue()));
    const entry = { seq: this.#seq++, item };
    queue.push(entry);
    if (queue.length === 1 && !this.#busy.has(key)) this.#heapPush(key, entry.seq);
  }

  peek(): T | undefined {
    const top = this.#ready[0];
    if (top !== undefined) return this.#queues.get(top.key)?.peek()?.item;
    return this.#length === 1 ? this.#barrier : undefined;
  }

  shift(): T | undefined {
    const top = this.#ready[0];
    if (top === undefined) {
      if (this.#length !== 1 || this.#barrier === undefined) return undefined;
      const barrier = this.#barrier;
      this.#barrier = undefined;
      this.#length = 0;
      return barrier;
    }
    this.#heapPop();
    const queue = this.#queues.get(top.key);
    const entry = queue?.shift();
    if (queue?.length === 0) this.#queues.delete(top.key);
    this.#length--;
    this.#busy.add(top.key);
    if (entry === undefined) return undefined;
    this.#running.set(entry.item, top.key);
    return entry.item;
  }

  release(item: T): void {
    if (!this.#running.has(item)) return;
    const key = this.#running.get(item);
    this.#running.delete(item);
    this.#busy.delete(key);
    const next = this.#queues.get(key)?.peek();
    if (next !== undefined) this.#heapPush(key, next.seq);
  }

  retain(keep: (item: T) => boolean): void {
    this.#ready = [];
    for (const [key, queue] of this.#queues) {
      queue.retain((entry) => keep(entry.item));
      const head = queue.peek();
      if (head === undefined) this.#queues.delete(key);
      else if (!this.#busy.has(key)) this.#heapPush(key, head.seq);
    }
    if (this.#barrier !== undefined && !keep(this.#barrier)) this.#barrier = undefined;
    let length = this.#barrier === undefined ? 0 : 1;
    for (const queue of this.#queues.values()) length += queue.length;
    this.#length = length;
  }

  clear(visit: (item: T) => void): void {
    const entries: Entry<T>[] = [];
    for (const queue of this.#queues.values()) queue.clear((entry) => entries.push(entry));
    entries.sort((a, b) => a.seq - b.seq);
    const barrier = this.#barrier;
    this.#queues.clear();
    this.#ready = [];
    this.#barrier = undefined;
    this.#length = 0;
    for (const entry of entries) visit(entry.item);
    if (barrier !== undefined) visit(barrier);
  }

  #heapPush(key: unknown, seq: number): void {
    const heap = this.#ready;
    let i = heap.push({ key, seq }) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      const c = heap[i]!;
      if (p.seq <= c.seq) break;
      heap[parent] = c;
      heap[i] = p;
      i = parent;
    }
  }

  #heapPop(): void {
    const heap = this.#ready;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && heap[left]!.seq < heap[smallest]!.seq) smallest = left;
      if (right < heap.length && heap[right]!.seq < heap[smallest]!.seq) smallest = right;
      if (smallest === i) break;
      const tmp = heap[i]!;
      heap[i] = heap[smallest]!;
      heap[smallest] = tmp;
      i = smallest;
    }
  }
}
