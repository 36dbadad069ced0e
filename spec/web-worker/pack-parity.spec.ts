// The Web Worker packs what a handler threw with lib/internal/wire/pack.ts; a Node worker thread
// with PACK_SOURCE (lib/worker/thread-source.ts), text the thread runs and cannot import. Both
// must produce the same packed errors, so that the two entries keep one error contract
// (docs/workers.md): over the same fuzzed throws (spec/support/thrown.ts, hostile values
// included), both packings serialize to the same bytes, and both rebuild abort reasons alike.
import { deserialize, serialize } from 'node:v8';

import fc from 'fast-check';

import { packReason, revive } from '../../lib/internal/wire/envelope.js';
import { describe as describeValue, pack, reviveReason } from '../../lib/internal/wire/pack.js';
import { PACK_SOURCE } from '../../lib/worker/thread-source.js';
import { anyThrown, materialize } from '../support/thrown.js';

const numRuns = Number(process.env['FUZZ_RUNS'] ?? 1000);

interface ThreadWire {
  pack(thrown: unknown): unknown;
  describe(value: unknown): string;
  reviveReason(packed: unknown): unknown;
}

// Compiled in this realm, as spec/worker/wire-fuzz.spec.ts does, so both see the same classes.
const thread = new Function(
  'serialize',
  'deserialize',
  `'use strict';${PACK_SOURCE}\nreturn { pack, describe, reviveReason };`,
)(serialize, deserialize) as ThreadWire;

describe('pack (Web Worker) and PACK_SOURCE (Node threads) agree', () => {
  it('pack the same thrown value to the same bytes, and it revives (property)', () => {
    fc.assert(
      fc.property(anyThrown, (tree) => {
        const thrown = materialize(tree);
        const ours = pack(thrown);
        const theirs = thread.pack(thrown);
        expect(serialize(ours).equals(serialize(theirs))).toBe(true);
        // What postMessage carries: structured clone, then the main thread's revive.
        expect(() => revive(structuredClone(ours))).not.toThrow();
      }),
      { numRuns },
    );
  });

  it('describe values alike, hostile ones included (property)', () => {
    fc.assert(
      fc.property(anyThrown, (tree) => {
        const value = materialize(tree);
        expect(describeValue(value)).toBe(thread.describe(value));
      }),
      { numRuns },
    );
  });

  it('rebuild abort reasons alike, from packReason and from anything (property)', () => {
    const reasons = fc.oneof(
      fc.anything(),
      fc.constantFrom(
        new DOMException('gone', 'AbortError'),
        Object.assign(new Error('late'), { name: 'SparkChannelError', code: 'TIMEOUT' }),
        'a string reason',
      ),
    );
    fc.assert(
      fc.property(reasons, fc.boolean(), (reason, packed) => {
        const input = packed ? packReason(reason) : reason;
        const ours = reviveReason(input);
        const theirs = thread.reviveReason(input);
        if (ours instanceof Error || ours instanceof DOMException) {
          const [a, b] = [ours, theirs] as { name: string; message: string; code?: unknown }[];
          expect([a?.name, a?.message, a?.code]).toEqual([b?.name, b?.message, b?.code]);
          expect(Object.getPrototypeOf(ours)).toBe(Object.getPrototypeOf(theirs));
        } else expect(ours).toEqual(theirs);
      }),
      { numRuns },
    );
  });

  it('rebuilds a packed TIMEOUT as an Error carrying its code, a DOMException as one', () => {
    const timeout = reviveReason(
      packReason(Object.assign(new Error('slow'), { name: 'SparkChannelError', code: 'TIMEOUT' })),
    );
    expect(timeout).toMatchObject({ name: 'SparkChannelError', message: 'slow', code: 'TIMEOUT' });
    expect(reviveReason(packReason(new DOMException('gone', 'AbortError')))).toBeInstanceOf(DOMException);
    expect(reviveReason(null)).toBeUndefined();
    expect(reviveReason({ value: 'why' })).toBe('why');
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
      },
    );
    expect(reviveReason(hostile)).toBeUndefined();
  });

  it('agree on the bounded cases: deep causes, endless aggregates, unreadable fields', () => {
    let deep: Error = new Error('bottom');
    for (let i = 0; i < 10_000; i++) deep = new Error(`level ${i}`, { cause: deep });
    const endless = Object.assign(new Error('endless'), {
      errors: new Proxy([new Error('one')], {
        get: (target, key) => (key === 'length' ? 1e9 : Reflect.get(target, key)),
      }),
    });
    const many = new AggregateError(
      Array.from({ length: 300 }, (_, i) => new Error(`e${i}`)),
      'many',
    );
    const unreadable = Object.defineProperties(new Error('x'), {
      cause: {
        get: () => {
          throw new Error('no cause');
        },
      },
      errors: {
        value: new Proxy([], {
          get: (t, k) => {
            if (k === '0') throw new Error('no entry');
            return k === 'length' ? 1 : Reflect.get(t, k);
          },
        }),
      },
    });
    const numeric = { name: 'Odd', message: 42 };
    const lengthless = Object.assign(new Error('no length'), {
      errors: new Proxy([], { get: (t, k) => (k === 'length' ? 'many' : Reflect.get(t, k)) }),
    });
    for (const thrown of [deep, endless, many, unreadable, numeric, lengthless]) {
      expect(serialize(pack(thrown)).equals(serialize(thread.pack(thrown)))).toBe(true);
    }
    expect(JSON.stringify(pack(unreadable))).toContain('(the cause could not be read: Error: no cause)');
    for (const odd of [
      { error: true, name: 5, message: null },
      { error: true, props: null },
      { error: true, domException: true },
    ]) {
      const [ours, theirs] = [reviveReason(odd), thread.reviveReason(odd)] as Error[];
      expect([ours?.name, ours?.message]).toEqual([theirs?.name, theirs?.message]);
    }
  });
});
