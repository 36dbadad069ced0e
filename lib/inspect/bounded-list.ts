// inspect: the newest N entries of a list (dead letters, errors), in a ring that never grows
// past N. Per entry: one object (the caller's), one store.

/** A ring of at most `size` entries, each numbered by a `seq` the caller gives it. */
export class BoundedList<T extends { readonly seq: number }> {
  readonly #entries: (T | undefined)[];
  #next = 0;
  #count = 0;

  constructor(readonly size: number) {
    this.#entries = new Array<T | undefined>(size);
  }

  get length(): number {
    return this.#count;
  }

  push(entry: T): void {
    this.#entries[this.#next] = entry;
    this.#next = (this.#next + 1) % this.size;
    if (this.#count < this.size) this.#count++;
  }

  /** The entries kept whose `seq` is above `since`, oldest first. */
  since(since: number): T[] {
    const out: T[] = [];
    const first = (this.#next - this.#count + this.size) % this.size;
    for (let i = 0; i < this.#count; i++) {
      const entry = this.#entries[(first + i) % this.size] as T;
      if (entry.seq > since) out.push(entry);
    }
    return out;
  }

  /** Drops every entry `keep` refuses (a module no longer watched). */
  retain(keep: (entry: T) => boolean): void {
    const kept = this.since(-Infinity).filter(keep);
    this.#entries.fill(undefined);
    this.#next = 0;
    this.#count = 0;
    for (const entry of kept) this.push(entry);
  }
}
