// Fuzz of the worker wire without threads: the thread's pack (the exact text of PACK_SOURCE the
// threads run) over anything a handler may throw — fc.anything(), real errors with random
// properties, causes and aggregates, and hostile values anywhere inside: Proxies that throw on
// every trap, revoked Proxies, throwing getters and toString, Object.create(null), Symbols,
// BigInts, functions and cycles — then v8 serialize / deserialize (what piscina carries) and
// structuredClone, then the main thread's revive; and revive / openEnvelope over malformed
// envelopes (fields of any type, `__proto__` keys, deep and cyclic cause chains, Proxies).
// Properties: nothing throws, every result is a value or an Error of the expected kind, nothing
// is polluted.
//
// FUZZ_RUNS=20000 npx jest spec/worker/wire-fuzz.spec.ts for a longer run.
import { deserialize, serialize } from 'node:v8';

import fc from 'fast-check';

import { isSparkChannelError } from '../../lib/index.js';
import { PACK_SOURCE } from '../../lib/worker/thread-source.js';
import { openEnvelope, packReason, revive } from '../../lib/internal/wire/envelope.js';
import {
  anyThrown,
  build,
  errorSpec,
  Hostile,
  hostileKey,
  hostileLeaf,
  materialize,
} from '../support/thrown.js';

const numRuns = Number(process.env['FUZZ_RUNS'] ?? 1000);

interface ThreadWire {
  pack(thrown: unknown): Record<string, unknown>;
  describe(value: unknown): string;
  reviveReason(packed: unknown): unknown;
}

// Compiled in this realm (not vm's), so that `instanceof Error` sees the errors the specs build.
const thread = new Function(
  'serialize',
  'deserialize',
  `'use strict';${PACK_SOURCE}\nreturn { pack, describe, reviveReason };`,
)(serialize, deserialize) as ThreadWire;

/** Tells whether the thread packs `value` as an error: an Error, or an object with name and message. */
function errorLike(value: unknown): boolean {
  try {
    return (
      value instanceof Error ||
      (typeof value === 'object' && value !== null && 'message' in value && 'name' in value)
    );
  } catch {
    return false;
  }
}

/**
 * An error of either realm: jest runs specs in a realm of their own, where DOMException (Node's)
 * is not an instance of the realm's Error. In a worker thread there is one realm, and it is.
 */
function isError(value: unknown): boolean {
  return value instanceof Error || value instanceof DOMException;
}

function assertNothingPolluted(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_KEYS);
  expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
}
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();
const REVIVED_BY_NAME = new Set([
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
  'EmptyError',
]);

describe('pack (in the thread) → v8 / structuredClone → revive (on the main thread)', () => {
  it('never throws, always serializes, and comes back as an Error (error-like) or the value (property)', () => {
    fc.assert(
      fc.property(anyThrown, (tree) => {
        const thrown = materialize(tree);
        const packed = thread.pack(thrown);
        const bytes = serialize(packed); // the packing always serializes
        let cloned: unknown;
        try {
          cloned = deserialize(bytes);
        } catch {
          // v8 cannot read back some graphs it wrote; spawnWorkerModule fails that one message with
          // RECEIVE_FAILED. Packing checks each property's round trip, so this should not happen.
          throw new Error('a packed error did not deserialize');
        }
        const revived = revive(cloned);
        if (errorLike(thrown)) {
          expect(isError(revived)).toBe(true);
          expect(isSparkChannelError(revived, 'RECEIVE_FAILED') && /malformed/.test(revived.message)).toBe(
            false,
          );
        } else {
          expect(revived).toBe((cloned as { value: unknown }).value);
        }
        // structuredClone (the other way a packed error may travel) takes it as well, or refuses
        // it with an error: either way revive gives a value or an Error.
        let viaStructuredClone: unknown;
        try {
          viaStructuredClone = structuredClone(packed);
        } catch {
          return;
        }
        const again = revive(viaStructuredClone);
        if (errorLike(thrown)) expect(isError(again)).toBe(true);
        assertNothingPolluted();
      }),
      { numRuns },
    );
  });

  it('keeps a cloneable non-error value as it is, and a real error with its class, name and message (property)', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
        }),
        (value) => {
          fc.pre(!errorLike(value));
          const revived = revive(deserialize(serialize(thread.pack(value))));
          // Compared, as bytes, with a plain clone of it: what v8 deserializes belongs to Node's realm,
          // not jest's, and Node's deep equality finds two invalid Dates different.
          expect(serialize(revived).equals(serialize(deserialize(serialize(value))))).toBe(true);
        },
      ),
      { numRuns },
    );
    fc.assert(
      fc.property(errorSpec, (spec) => {
        const error = build(spec);
        const revived = revive(deserialize(serialize(thread.pack(error)))) as Error;
        // Own `name` / `message` / `code` properties change what the error is rebuilt as; so does
        // a custom name that happens to be a class's.
        const overridden = ['name', 'message', 'code'].some((key) => Object.hasOwn(spec.props, key));
        const classNamed = spec.kind === 'custom' && REVIVED_BY_NAME.has(spec.name);
        if (!overridden && !classNamed) {
          expect(Object.getPrototypeOf(revived)).toBe(Object.getPrototypeOf(error));
          expect(revived.name).toBe(error.name);
          expect(revived.message).toBe(error.message);
        }
        if (spec.selfCause) expect(revived.cause).toBe(revived);
      }),
      { numRuns },
    );
  });

  it('describe never throws and always gives a string; packReason always gives cloneable data (property)', () => {
    fc.assert(
      fc.property(anyThrown, (tree) => {
        const value = materialize(tree);
        expect(typeof thread.describe(value)).toBe('string');
        const reason = packReason(value);
        expect(() => serialize(reason)).not.toThrow();
        const rebuilt = thread.reviveReason(deserialize(serialize(reason)));
        if ('error' in reason)
          expect(rebuilt).toBeInstanceOf(reason.domException === true ? DOMException : Error);
        else expect(rebuilt).toBe(reason.value);
      }),
      { numRuns },
    );
  });
});

// ---- malformed envelopes -----------------------------------------------------------------------

/** Any value as a field of a packed error: what clones, and (for revive called directly) hostile ones. */
const anyField = fc.oneof(fc.anything({ key: hostileKey, withNullPrototype: true }), hostileLeaf);

const { packedTree } = fc.letrec<{ packedTree: unknown }>((tie) => ({
  packedTree: fc.oneof(
    { depthSize: 'small' },
    anyField,
    fc.record({ value: anyField }, { requiredKeys: [] }),
    fc.record(
      {
        error: fc.oneof(fc.constant(true), anyField),
        name: fc.oneof(
          fc.constantFrom(
            'Error',
            'AggregateError',
            'SparkChannelError',
            'EmptyError',
            'constructor',
            '__proto__',
            'toString',
          ),
          anyField,
        ),
        message: fc.oneof(fc.string(), anyField),
        stack: fc.oneof(fc.string(), anyField),
        props: fc.oneof(fc.dictionary(hostileKey, anyField, { maxKeys: 4 }), anyField),
        cause: tie('packedTree'),
        errors: fc.oneof(fc.array(tie('packedTree'), { maxLength: 3 }), anyField),
        domException: fc.oneof(fc.constant(true), anyField),
      },
      { requiredKeys: ['error'] },
    ),
  ),
}));

/** A chain of `depth` packed errors, each the cause of the previous one; maybe the last points back. */
function chain(depth: number, cycle: boolean): Record<string, unknown> {
  const root: Record<string, unknown> = { error: true, name: 'Error', message: 'level 0', props: {} };
  let last = root;
  for (let level = 1; level < depth; level++) {
    const next = { error: true, name: 'Error', message: `level ${level}`, props: {} };
    last['cause'] = next;
    last = next;
  }
  if (cycle) last['cause'] = root;
  return root;
}

describe('revive and openEnvelope over malformed envelopes', () => {
  it('never throw; a packed error gives an Error, a packed value its value, anything else RECEIVE_FAILED (property)', () => {
    fc.assert(
      fc.property(packedTree, (tree) => {
        const packed = materialize(tree);
        const revived = revive(packed);
        const isRecord = typeof tree === 'object' && tree !== null && !(tree instanceof Hostile);
        if (isRecord && (tree as { error?: unknown }).error === true) expect(isError(revived)).toBe(true);
        else if (isRecord && Object.hasOwn(tree, 'value'))
          expect(revived).toBe((packed as { value: unknown }).value);
        else expect(isSparkChannelError(revived, 'RECEIVE_FAILED')).toBe(true);

        // (No toEqual on what may hold a hostile Proxy: jest's comparison would trip over it.)
        const succeeded = openEnvelope({ ok: true, value: packed });
        expect(succeeded.ok && Object.is(succeeded.value, packed)).toBe(true);
        const load = openEnvelope({ ok: false, load: true, error: packed });
        expect(!load.ok && load.load).toBe(true);
        const failed = openEnvelope({ ok: false, error: packed });
        expect(!failed.ok && !failed.load && typeof failed.error === typeof revived).toBe(true);
        // The envelope itself malformed: no `ok`, or an `ok` that is not a boolean.
        const odd = openEnvelope(typeof tree === 'boolean' ? { okay: packed } : { ok: packed });
        expect(odd.ok).toBe(false);
        expect(isSparkChannelError((odd as { error: unknown }).error, 'RECEIVE_FAILED')).toBe(true);
        expect(
          isSparkChannelError(
            openEnvelope(packed).ok ? undefined : (openEnvelope(packed) as { error: unknown }).error,
          ),
        ).toBe(true);
        assertNothingPolluted();
      }),
      { numRuns },
    );
  });

  it('rebuilds cause chains of any depth, bounded at 32 levels, and cycles as cycles (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.boolean(), (depth, cycle) => {
        const revived = revive(structuredClone(chain(depth, cycle))) as Error;
        const seen = new Set<unknown>();
        let link: unknown = revived;
        while (link instanceof Error && !seen.has(link)) {
          seen.add(link);
          link = link.cause;
        }
        expect(seen.size).toBeLessThanOrEqual(34);
        if (depth > 33)
          expect([...seen].some((error) => isSparkChannelError(error, 'RECEIVE_FAILED'))).toBe(true);
        else if (cycle) expect(link).toBe(revived);
        else expect(seen.size).toBe(depth);
      }),
      { numRuns },
    );
  });
});
