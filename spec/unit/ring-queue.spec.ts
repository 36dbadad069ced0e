import fc from 'fast-check';

import { RingQueue } from '../../lib/internal/channel/ring-queue.js';

/** Empties the queue, returning what it held in order. */
function drain<T>(queue: RingQueue<T>): T[] {
  const out: T[] = [];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) out.push(item);
  return out;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe('RingQueue', () => {
  it('starts empty: length 0, peek and shift give undefined', () => {
    const queue = new RingQueue<number>();

    expect(queue.length).toBe(0);
    expect(queue.peek()).toBeUndefined();
    expect(queue.shift()).toBeUndefined();
  });

  it('shift on an emptied queue gives undefined and leaves it usable', () => {
    const queue = new RingQueue<string>();
    queue.push('a');
    expect(queue.shift()).toBe('a');

    expect(queue.shift()).toBeUndefined();
    expect(queue.shift()).toBeUndefined();
    expect(queue.length).toBe(0);

    queue.push('b');
    expect(queue.length).toBe(1);
    expect(queue.shift()).toBe('b');
  });

  it('is FIFO', () => {
    const queue = new RingQueue<number>();
    for (const n of [1, 2, 3]) queue.push(n);

    expect(queue.length).toBe(3);
    expect(drain(queue)).toEqual([1, 2, 3]);
    expect(queue.length).toBe(0);
  });

  it('stays FIFO as it grows well past its initial size', () => {
    const queue = new RingQueue<number>();
    for (const n of range(0, 1_000)) queue.push(n);

    expect(queue.length).toBe(1_000);
    expect(drain(queue)).toEqual(range(0, 1_000));
  });

  it('stays FIFO across wrap-around, and when it grows while wrapped', () => {
    const queue = new RingQueue<number>();
    // Move the head into the middle of the buffer, then fill past the end so the items wrap.
    for (const n of range(0, 10)) queue.push(n);
    for (let i = 0; i < 10; i++) queue.shift();
    for (const n of range(10, 26)) queue.push(n); // 16 items, wrapped, buffer full
    expect(queue.peek()).toBe(10);

    for (const n of range(26, 60)) queue.push(n); // grows while wrapped

    expect(queue.length).toBe(50);
    expect(drain(queue)).toEqual(range(10, 60));
  });

  it('keeps FIFO over many rounds of interleaved push and shift', () => {
    const queue = new RingQueue<number>();
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 3; i++) queue.push(next++);
      for (let i = 0; i < 2; i++) out.push(queue.shift() as number);
    }
    out.push(...drain(queue));

    expect(out).toEqual(range(0, next));
  });

  it('peek shows the head without removing it', () => {
    const queue = new RingQueue<string>();
    queue.push('a');
    queue.push('b');

    expect(queue.peek()).toBe('a');
    expect(queue.peek()).toBe('a');
    expect(queue.length).toBe(2);
    expect(queue.shift()).toBe('a');
    expect(queue.peek()).toBe('b');
  });

  it('keeps items by reference', () => {
    const queue = new RingQueue<{ id: number }>();
    const item = { id: 1 };
    queue.push(item);

    expect(queue.peek()).toBe(item);
    expect(queue.shift()).toBe(item);
  });

  it('keeps falsy items other than undefined', () => {
    const queue = new RingQueue<number | string | boolean | null>();
    for (const item of [0, '', false, null]) queue.push(item);

    expect([queue.shift(), queue.shift(), queue.shift(), queue.shift()]).toEqual([0, '', false, null]);
  });

  describe('retain', () => {
    it('keeps only the accepted items, in order', () => {
      const queue = new RingQueue<number>();
      for (const n of range(0, 10)) queue.push(n);

      queue.retain((n) => n % 3 !== 0);

      expect(queue.length).toBe(6);
      expect(drain(queue)).toEqual([1, 2, 4, 5, 7, 8]);
    });

    it('keeps order when the items are wrapped around the buffer', () => {
      const queue = new RingQueue<number>();
      for (const n of range(0, 12)) queue.push(n);
      for (let i = 0; i < 12; i++) queue.shift();
      for (const n of range(12, 40)) queue.push(n);

      queue.retain((n) => n % 2 === 0);

      expect(drain(queue)).toEqual(range(12, 40).filter((n) => n % 2 === 0));
    });

    it('can drop everything, and the queue stays usable', () => {
      const queue = new RingQueue<number>();
      for (const n of range(0, 20)) queue.push(n);

      queue.retain(() => false);

      expect(queue.length).toBe(0);
      expect(queue.peek()).toBeUndefined();
      queue.push(99);
      expect(drain(queue)).toEqual([99]);
    });

    it('keeping everything changes nothing', () => {
      const queue = new RingQueue<number>();
      for (const n of range(0, 20)) queue.push(n);

      queue.retain(() => true);

      expect(drain(queue)).toEqual(range(0, 20));
    });

    it('on an empty queue never calls the predicate', () => {
      const queue = new RingQueue<number>();
      const keep = jest.fn(() => true);

      queue.retain(keep);

      expect(keep).not.toHaveBeenCalled();
      expect(queue.length).toBe(0);
    });

    it('asks about each item once, head first', () => {
      const queue = new RingQueue<number>();
      for (const n of [5, 6, 7]) queue.push(n);
      const asked: number[] = [];

      queue.retain((n) => (asked.push(n), true));

      expect(asked).toEqual([5, 6, 7]);
    });
  });

  describe('clear', () => {
    it('hands every item to visit, head first, and leaves the queue empty', () => {
      const queue = new RingQueue<number>();
      for (const n of range(0, 12)) queue.push(n);
      for (let i = 0; i < 12; i++) queue.shift();
      for (const n of range(12, 40)) queue.push(n); // wrapped and grown
      const visited: number[] = [];

      queue.clear((n) => visited.push(n));

      expect(visited).toEqual(range(12, 40));
      expect(queue.length).toBe(0);
      expect(queue.peek()).toBeUndefined();
    });

    it('on an empty queue never calls visit', () => {
      const visit = jest.fn();
      new RingQueue<number>().clear(visit);
      expect(visit).not.toHaveBeenCalled();
    });

    it('leaves the queue usable', () => {
      const queue = new RingQueue<number>();
      queue.push(1);
      queue.clear(() => undefined);
      queue.push(2);
      expect(drain(queue)).toEqual([2]);
    });
  });

  type Op =
    | { kind: 'push'; value: number }
    | { kind: 'shift' }
    | { kind: 'peek' }
    | { kind: 'retain'; mod: number }
    | { kind: 'clear' };

  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.integer().map((value): Op => ({ kind: 'push', value })) },
    { weight: 4, arbitrary: fc.constant<Op>({ kind: 'shift' }) },
    { weight: 1, arbitrary: fc.constant<Op>({ kind: 'peek' }) },
    { weight: 1, arbitrary: fc.integer({ min: 2, max: 5 }).map((mod): Op => ({ kind: 'retain', mod })) },
    { weight: 1, arbitrary: fc.constant<Op>({ kind: 'clear' }) },
  );

  it('matches an array model over any sequence of push / shift / peek / retain / clear', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const queue = new RingQueue<number>();
        let model: number[] = [];
        for (const o of ops) {
          switch (o.kind) {
            case 'push':
              queue.push(o.value);
              model.push(o.value);
              break;
            case 'shift':
              expect(queue.shift()).toBe(model.shift());
              break;
            case 'peek':
              expect(queue.peek()).toBe(model[0]);
              break;
            case 'retain': {
              const keep = (n: number): boolean => Math.abs(n) % o.mod !== 0;
              queue.retain(keep);
              model = model.filter(keep);
              break;
            }
            case 'clear': {
              const visited: number[] = [];
              queue.clear((n) => visited.push(n));
              expect(visited).toEqual(model);
              model = [];
              break;
            }
          }
          expect(queue.length).toBe(model.length);
        }
        expect(drain(queue)).toEqual(model);
      }),
    );
  });

  it('matches an array model for long runs of pushes then shifts (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 80 }), fc.nat({ max: 80 })), { maxLength: 20 }),
        (bursts) => {
          const queue = new RingQueue<number>();
          const model: number[] = [];
          const seen: unknown[] = [];
          const expected: unknown[] = [];
          let next = 0;
          for (const [pushes, shifts] of bursts) {
            for (let i = 0; i < pushes; i++) {
              queue.push(next);
              model.push(next++);
            }
            for (let i = 0; i < shifts; i++) {
              seen.push(queue.shift());
              expected.push(model.shift());
            }
            seen.push(queue.length, queue.peek());
            expected.push(model.length, model[0]);
          }
          expect(seen).toEqual(expected);
        },
      ),
    );
  });

  it('reads the item n places behind the head with at(n), across the wrap and a growth', () => {
    const queue = new RingQueue<number>();
    for (let i = 0; i < 12; i++) queue.push(i);
    for (let i = 0; i < 10; i++) queue.shift(); // the head is near the end of the ring
    for (let i = 12; i < 40; i++) queue.push(i); // wraps, then grows
    expect(Array.from({ length: queue.length }, (_, i) => queue.at(i))).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 10),
    );
    expect(queue.at(queue.length)).toBeUndefined();
  });
});
