/**
 * The queue discipline of a channel: FIFO by default (`RingQueue`), or per key
 * (`KeyedMailbox`). `peek`/`shift` give the next message that may start; `release` tells the
 * mailbox a started message has finished.
 */
export interface Mailbox<T> {
  /** Every entry held, startable or not. */
  readonly length: number;
  push(item: T): void;
  peek(): T | undefined;
  shift(): T | undefined;
  retain(keep: (item: T) => boolean): void;
  /** Empties the mailbox, startable or not, handing each item to `visit` in arrival order. */
  clear(visit: (item: T) => void): void;
  release?(item: T): void;
}
