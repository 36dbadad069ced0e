/**
 * A growable FIFO ring buffer: O(1) push and shift at any length. `Array#shift` is O(n) on the
 * large arrays a blocked module accumulates, which the hot path cannot afford.
 */
export class RingQueue<T> {
  #items: (T | undefined)[] = new Array<T | undefined>(16);
  #mask = 15;
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    if (this.#length > this.#mask) this.#grow();
    this.#items[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** The item `index` places behind the head (`0` is the head); `undefined` past the end. */
  at(index: number): T | undefined {
    return index < this.#length ? this.#items[(this.#head + index) & this.#mask] : undefined;
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined; // let the item be collected
    this.#head = (this.#head + 1) & this.#mask;
    this.#length--;
    return item;
  }

  /** Keeps, in order, only the items `keep` accepts. O(n): callers amortise it. */
  retain(keep: (item: T) => boolean): void {
    const kept: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) if (keep(item)) kept.push(item);
    for (const item of kept) this.push(item);
  }

  /** Empties the queue, handing each item to `visit` in order. */
  clear(visit: (item: T) => void): void {
    for (let item = this.shift(); item !== undefined; item = this.shift()) visit(item);
  }

  #grow(): void {
    const size = this.#mask + 1;
    const items = new Array<T | undefined>(size * 2);
    for (let i = 0; i < this.#length; i++) items[i] = this.#items[(this.#head + i) & this.#mask];
    this.#items = items;
    this.#mask = size * 2 - 1;
    this.#head = 0;
  }
}
