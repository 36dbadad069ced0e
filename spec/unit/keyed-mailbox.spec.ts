import fc from 'fast-check';

import { KeyedMailbox } from '../../lib/internal/channel/keyed-mailbox.js';

interface Item {
  readonly key: string;
  readonly id: number;
  readonly barrier?: boolean;
}

const mailbox = (): KeyedMailbox<Item> =>
  new KeyedMailbox<Item>(
    (item) => item.key,
    (item) => item.barrier === true,
  );

describe('KeyedMailbox', () => {
  it('starts free keys in arrival order and holds a busy key back', () => {
    const box = mailbox();
    const items = [
      { key: 'a', id: 0 },
      { key: 'a', id: 1 },
      { key: 'b', id: 2 },
      { key: 'c', id: 3 },
    ];
    items.forEach((item) => box.push(item));
    expect(box.length).toBe(4);
    expect(box.shift()).toBe(items[0]);
    expect(box.peek()).toBe(items[2]); // a is busy: b overtakes a1
    expect(box.shift()).toBe(items[2]);
    expect(box.shift()).toBe(items[3]);
    expect(box.shift()).toBeUndefined(); // a1 waits for a0
    box.release(items[0]!);
    expect(box.shift()).toBe(items[1]);
    expect(box.length).toBe(0);
    box.release({ key: 'z', id: 9 }); // unknown items are ignored
  });

  it('starts the barrier only once everything else has been taken', () => {
    const box = mailbox();
    const barrier = { key: '', id: 99, barrier: true };
    box.push({ key: 'a', id: 0 });
    box.push(barrier);
    expect(box.peek()).toEqual({ key: 'a', id: 0 });
    box.shift();
    expect(box.peek()).toBe(barrier);
    expect(box.shift()).toBe(barrier);
    expect(box.shift()).toBeUndefined();
    expect(box.peek()).toBeUndefined();
  });

  it('retains in order, rebuilding the ready keys, and drops a refused barrier', () => {
    const box = mailbox();
    for (let id = 0; id < 6; id++) box.push({ key: id % 2 === 0 ? 'even' : 'odd', id });
    box.push({ key: '', id: 100, barrier: true });
    const first = box.shift(); // even 0 is running
    box.retain((item) => item.id !== 3 && item.id !== 100);
    expect(box.length).toBe(4); // 1, 2, 4, 5
    expect(box.shift()?.id).toBe(1);
    box.release(first!);
    expect(box.shift()?.id).toBe(2);
    box.retain(() => false);
    expect(box.length).toBe(0);
  });

  it('clears everything, busy keys included, in arrival order with the barrier last', () => {
    const box = mailbox();
    box.push({ key: 'a', id: 0 });
    box.push({ key: 'a', id: 1 });
    box.push({ key: 'b', id: 2 });
    box.push({ key: '', id: 3, barrier: true });
    box.shift();
    const seen: number[] = [];
    box.clear((item) => seen.push(item.id));
    expect(seen).toEqual([1, 2, 3]);
    expect(box.length).toBe(0);
    expect(box.peek()).toBeUndefined();
  });

  it('matches a model: per-key FIFO, at most one per key at once, earliest free entry first', () =>
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom('a', 'b', 'c').map((key) => ({ op: 'push' as const, key })),
            fc.constant({ op: 'shift' as const }),
            fc.constant({ op: 'release' as const }),
          ),
          { maxLength: 100 },
        ),
        (ops) => {
          const box = mailbox();
          const model: Item[] = [];
          const running: Item[] = [];
          let id = 0;
          for (const op of ops) {
            if (op.op === 'push') {
              const item = { key: op.key, id: id++ };
              box.push(item);
              model.push(item);
            } else if (op.op === 'shift') {
              const expected = model.find((item) => !running.some((r) => r.key === item.key));
              expect(box.peek()).toBe(expected);
              expect(box.shift()).toBe(expected);
              if (expected !== undefined) {
                model.splice(model.indexOf(expected), 1);
                running.push(expected);
              }
            } else {
              const done = running.shift();
              if (done !== undefined) box.release(done);
            }
            expect(box.length).toBe(model.length);
          }
        },
      ),
    ));
});
