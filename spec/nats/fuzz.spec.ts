// Fuzz of the NATS wire without a server: readReply (the caller's reply handling) over arbitrary
// bytes, JSON, hostile envelopes and whatever a custom codec may decode or throw; packError and
// encodeAnswer (the member's side) over any thrown or returned value, Proxies that throw on every
// trap, revoked Proxies, throwing getters and toString, Object.create(null), Symbols, BigInts and
// cycles; then both ends of the library over a fake connection. Properties: nothing throws (but
// encodeAnswer when the codec can encode nothing), every result is settled and well-formed, no
// prototype is polluted, nothing escapes as an unhandled rejection.
//
// FUZZ_RUNS=20000 npx jest spec/nats/fuzz.spec.ts for a longer run.
import fc from 'fast-check';

import { isSparkChannelError, type Result, SparkChannelError } from '../../lib/index.js';
import { jsonCodec, type NatsCodec, natsDispatcher, serveModule } from '../../lib/nats/index.js';
import {
  describeSafely,
  describeThrown,
  encodeAnswer,
  isBytes,
  packError,
  readReply,
} from '../../lib/nats/wire.js';
import { recordingLogger } from '../support/helpers.js';
import { fakeConnection } from './fake-connection.js';
import {
  cyclic,
  errorWithThrowingGetter,
  errorWithThrowingNameAndMessage,
  type Escapes,
  revokedProxy,
  throwingToString,
  trapAllProxy,
  watchEscapes,
} from './hostile-values.js';
import { anythingWith, ERROR_CODES } from '../support/arbitraries.js';
import { copyTree, KEEP } from '../support/thrown.js';

const numRuns = Number(process.env['FUZZ_RUNS'] ?? 1000);
const CODES = ERROR_CODES;
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

// ---- hostile values ----------------------------------------------------------------------------
// fast-check probes what it generates (a clone method, when printing), and a hostile Proxy throws
// at the first probe. So the arbitraries generate safe trees with Hostile markers in them, and each
// run builds its own hostile values from the tree (materialize) before feeding them in.

const trapNames = ['get', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'set'] as const;
type PartialProxy = { traps: string[]; overError: boolean; throwOdd: boolean };

/** A Proxy over an Error or an object where some traps throw (something odd, not always an Error). */
function partialProxy({ traps, overError, throwOdd }: PartialProxy): object {
  const boom = (): never => {
    throw throwOdd ? Object.create(null) : new Error('trap');
  };
  const handler: ProxyHandler<object> = {};
  for (const trap of traps) (handler as Record<string, unknown>)[trap] = boom;
  return new Proxy(overError ? new Error('behind a proxy') : {}, handler);
}

const makers: (() => unknown)[] = [
  trapAllProxy,
  revokedProxy,
  () => Object.create(null),
  throwingToString,
  errorWithThrowingNameAndMessage,
  errorWithThrowingGetter,
  cyclic,
  () => Symbol('fuzz'),
  () => 10n,
  () => () => 'a function',
  () => ({
    toJSON() {
      throw Object.create(null);
    },
  }),
  () => ({
    get enumerableGetter(): never {
      throw revokedProxy();
    },
  }),
  () => new SparkChannelError('TIMEOUT', 'a real one'),
  () => Object.assign(new Error('impostor'), { name: 'SparkChannelError', code: 'NOPE' }),
  () => new Proxy(new TypeError('transparent'), {}),
  () => Object.assign(new RangeError('big'), { amount: 1n }),
  () => Object.assign(new Error('loops'), { self: cyclic() }),
  () =>
    Object.defineProperty(new Error('own proto'), '__proto__', { value: { polluted: 1 }, enumerable: true }),
  () => Object.assign(Object.create(null) as object, { toString: 1, valueOf: 'x' }),
];
const PROXIES = new Set([0, 1]); // trapAllProxy, revokedProxy

/** Stands for a hostile value in a generated tree: a maker's index, or a partial Proxy. */
class Hostile {
  constructor(readonly what: number | PartialProxy) {}
}
const hostileLeaf = (withProxies: boolean): fc.Arbitrary<unknown> => {
  const indices = makers.map((_make, i) => i).filter((i) => withProxies || !PROXIES.has(i));
  const leaf = fc.constantFrom(...indices).map((i) => new Hostile(i));
  if (!withProxies) return leaf;
  const partial = fc
    .record({
      traps: fc.subarray([...trapNames], { minLength: 1 }),
      overError: fc.boolean(),
      throwOdd: fc.boolean(),
    })
    .map((p) => new Hostile(p));
  return fc.oneof(leaf, partial);
};

/** A copy of `tree` with every Hostile marker replaced by a fresh hostile value. */
function materialize(tree: unknown): unknown {
  return copyTree(tree, (node) => {
    if (!(node instanceof Hostile)) return KEEP;
    return typeof node.what === 'number' ? makers[node.what]!() : partialProxy(node.what);
  });
}

const hostileKey = fc.oneof(
  fc.string({ maxLength: 6 }),
  // not "then": a thenable that never calls back is a request left unanswered, on purpose
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'toJSON'),
  fc.constantFrom('name', 'message', 'code', 'stack', 'cause', 'ok', 'value', 'error'),
);
const anything = (leaf: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => anythingWith(leaf, hostileKey);
/** Any value (as a tree to materialize), hostile ones anywhere inside. */
const anyTree = (withProxies = true): fc.Arbitrary<unknown> =>
  fc.oneof(hostileLeaf(withProxies), anything(hostileLeaf(withProxies)), fc.anything());
const anyValue = anyTree();

/** A decoded envelope of any shape, hostile values in every field. */
const anyEnvelope: fc.Arbitrary<unknown> = fc.oneof(
  anyValue,
  fc.record(
    {
      ok: fc.oneof(fc.boolean(), anyValue),
      value: anyValue,
      error: fc.oneof(
        anyValue,
        fc.record(
          {
            name: fc.oneof(fc.constantFrom('Error', 'SparkChannelError'), anyValue),
            message: fc.oneof(fc.string(), anyValue),
            code: fc.oneof(fc.constantFrom(...CODES, 'NOPE'), anyValue),
            extra: anyValue,
          },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: [] },
  ),
);

// ---- JSON texts of hostile envelopes, "__proto__" keys kept as JSON.parse keeps them ----------

const text = (value: unknown): string => JSON.stringify(value) ?? 'null';
const jsonText = fc.jsonValue({ maxDepth: 2 }).map(text);
const member = (key: fc.Arbitrary<string>, value: fc.Arbitrary<string>) =>
  fc.tuple(key, value).map(([k, v]) => `${JSON.stringify(k)}:${v}`);
const objectText = (members: fc.Arbitrary<string>[], extra: fc.Arbitrary<string>) =>
  fc
    .tuple(
      fc.tuple(...members.map((m) => fc.option(m, { nil: undefined }))),
      fc.array(extra, { maxLength: 4 }),
    )
    .map(([fields, more]) => `{${[...fields, ...more].filter((f) => f !== undefined).join(',')}}`);
const valueText = fc.oneof(jsonText, objectText([], member(hostileKey, jsonText)));
const errorText = objectText(
  [
    member(
      fc.constant('name'),
      fc.oneof(fc.constantFrom('Error', 'TypeError', 'SparkChannelError').map(text), valueText),
    ),
    member(fc.constant('message'), fc.oneof(fc.string().map(text), valueText)),
    member(fc.constant('code'), fc.oneof(fc.constantFrom(...CODES, 'NOPE').map(text), valueText)),
  ],
  member(hostileKey, valueText),
);
// Almost well-formed: ok false, a string name and message, hostile keys around them. Random
// fields alone make such an envelope about once in 500 runs; this makes it one run in three.
const errorEnvelopeText = fc
  .tuple(
    fc.constantFrom('Error', 'TypeError', 'SparkChannelError', ''),
    fc.string(),
    fc.option(fc.constantFrom(...CODES, 'NOPE'), { nil: undefined }),
    fc.array(member(hostileKey, valueText), { maxLength: 5 }),
    fc.array(member(hostileKey, valueText), { maxLength: 2 }),
  )
  .map(([name, message, code, inner, outer]) => {
    const fields = [`"name":${text(name)}`, `"message":${text(message)}`, ...inner];
    if (code !== undefined) fields.push(`"code":${text(code)}`);
    return `{"ok":false,"error":{${fields.join(',')}},${[...outer, '"z":0'].join(',')}}`;
  });
const envelopeText = fc.oneof(
  valueText,
  errorEnvelopeText,
  objectText(
    [
      member(fc.constant('ok'), fc.oneof(fc.boolean().map(text), valueText)),
      member(fc.constant('value'), valueText),
      member(fc.constant('error'), fc.oneof(errorText, valueText)),
    ],
    member(hostileKey, valueText),
  ),
);

// ---- the oracle and the checks -----------------------------------------------------------------

const own = (target: object, key: string): unknown =>
  Object.hasOwn(target, key) ? (target as Record<string, unknown>)[key] : undefined;
const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

/** What readReply must make of a JSON value, restated from the docs. */
function expected(parsed: unknown): 'value' | 'error' | 'RECEIVE_FAILED' {
  if (!isObject(parsed)) return 'RECEIVE_FAILED';
  const ok = own(parsed, 'ok');
  if (ok === true) return 'value';
  if (ok !== false) return 'RECEIVE_FAILED';
  const error = own(parsed, 'error');
  if (!isObject(error) || Array.isArray(error)) return 'RECEIVE_FAILED';
  const name = own(error, 'name');
  if (typeof name !== 'string' || typeof own(error, 'message') !== 'string') return 'RECEIVE_FAILED';
  if (name === 'SparkChannelError' && !(CODES as readonly unknown[]).includes(own(error, 'code')))
    return 'RECEIVE_FAILED';
  return 'error';
}

/** A settled, well-formed Result: a value, or an Error with a string name and message. */
function checkResult(result: Result<unknown, Error>): void {
  expect(typeof result.ok).toBe('boolean');
  if (result.ok) {
    expect('value' in result).toBe(true);
    return;
  }
  expect(result.error).toBeInstanceOf(Error);
  expect(typeof result.error.name).toBe('string');
  expect(typeof result.error.message).toBe('string');
  if (result.error instanceof SparkChannelError) expect(CODES).toContain(result.error.code);
}

/** A thenable whose then never calls back would leave the request waiting for the connection's timeout. */
function isThenable(value: unknown): boolean {
  try {
    return typeof (value as { then?: unknown } | null)?.then === 'function';
  } catch {
    return false;
  }
}

const prototypes = [Object.prototype, Error.prototype, Array.prototype, Function.prototype];
const shapes = (): string[][] => prototypes.map((p) => Reflect.ownKeys(p).map(String).sort());

describe('spark-channel/nats wire fuzz', () => {
  let escapes: Escapes;
  let before: string[][];
  beforeEach(() => {
    escapes = watchEscapes();
    before = shapes();
  });
  afterEach(async () => {
    await new Promise((resolve) => setTimeout(resolve, 10));
    escapes.stop();
    expect(escapes.seen.map((e) => e.kind)).toEqual([]);
    expect(shapes()).toEqual(before); // nothing polluted a prototype
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it(`readReply: arbitrary bytes settle, undecodable ones as RECEIVE_FAILED with the bytes (${numRuns} runs)`, () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.string().map(encode)), (bytes) => {
        const result = readReply(bytes, jsonCodec, 'fuzz');
        checkResult(result);
        let decodable = true;
        try {
          jsonCodec.decode(bytes);
        } catch {
          decodable = false;
        }
        if (!decodable) {
          expect(isSparkChannelError(result.ok ? undefined : result.error, 'RECEIVE_FAILED')).toBe(true);
          expect((result as { error: Error }).error.cause).toBe(bytes);
        }
      }),
      { numRuns },
    );
  });

  it(`readReply: JSON envelopes of any shape are read as the docs say, cause the decoded value (${numRuns} runs)`, () => {
    fc.assert(
      fc.property(envelopeText, (json) => {
        const parsed = JSON.parse(json) as unknown;
        const result = readReply(encode(json), jsonCodec, 'fuzz');
        checkResult(result);
        const kind = expected(parsed);
        if (kind === 'value') {
          expect(result).toEqual({ ok: true, value: own(parsed as object, 'value') });
          return;
        }
        const error = (result as { ok: false; error: Error }).error;
        if (kind === 'RECEIVE_FAILED') {
          expect(isSparkChannelError(error, 'RECEIVE_FAILED')).toBe(true);
          expect(error.cause).toEqual(parsed);
          return;
        }
        const wire = own(parsed as object, 'error') as Record<string, unknown>;
        expect(result.ok).toBe(false);
        expect([error.name, error.message]).toEqual([wire['name'], wire['message']]);
        expect([Error.prototype, SparkChannelError.prototype]).toContain(Object.getPrototypeOf(error));
        expect('cause' in error).toBe(false); // a remote cause or stack is not taken
        if (Object.hasOwn(wire, 'stack')) expect(error.stack).not.toBe(wire['stack']);
        const { name, message } = error;
        expect(String(error)).toBe(name === '' ? message : message === '' ? name : `${name}: ${message}`);
      }),
      { numRuns },
    );
  });

  it(`readReply: whatever a custom codec decodes or throws settles, cause that value or the bytes (${numRuns} runs)`, () => {
    fc.assert(
      fc.property(anyEnvelope, fc.boolean(), (tree, throws) => {
        const decoded = materialize(tree);
        const bytes = new Uint8Array([1, 2, 3]);
        const codec: NatsCodec = {
          encode: jsonCodec.encode,
          decode: () => {
            if (throws) throw decoded;
            return decoded;
          },
        };
        const result = readReply(bytes, codec, 'fuzz');
        checkResult(result);
        if (
          !result.ok &&
          isSparkChannelError(result.error, 'RECEIVE_FAILED') &&
          result.error.message.startsWith('The reply')
        ) {
          expect(result.error.cause).toBe(throws ? bytes : decoded);
        }
        if (throws) expect(result.ok).toBe(false);
      }),
      { numRuns },
    );
  });

  it(`packError: any thrown value packs into a well-formed WireError the caller revives (${numRuns} runs)`, () => {
    fc.assert(
      fc.property(anyValue, (tree) => {
        const wire = packError(materialize(tree));
        expect(Object.getPrototypeOf(wire)).toBe(Object.prototype);
        expect([typeof wire.name, typeof wire.message]).toEqual(['string', 'string']);
        expect(Object.hasOwn(wire, 'cause') || Object.hasOwn(wire, 'payload')).toBe(false);
        const result = readReply(encodeAnswer(jsonCodec, { ok: false, error: wire }), jsonCodec, 'fuzz');
        expect(result.ok).toBe(false);
        const error = (result as { error: Error }).error;
        expect([error.name, error.message]).toEqual([wire.name, wire.message]);
      }),
      { numRuns },
    );
  });

  it(`encodeAnswer: any response value becomes bytes the caller reads: the value, or an error (${numRuns} runs)`, () => {
    fc.assert(
      fc.property(anyValue, (tree) => {
        const value = materialize(tree);
        let json: string | undefined;
        try {
          json = JSON.stringify({ ok: true, value });
        } catch {
          json = undefined;
        }
        const bytes = encodeAnswer(jsonCodec, { ok: true, value });
        expect(isBytes(bytes)).toBe(true);
        const result = readReply(bytes, jsonCodec, 'fuzz');
        checkResult(result);
        if (json !== undefined) expect(result).toEqual(JSON.parse(json));
        else expect(result.ok).toBe(false);
      }),
      { numRuns },
    );
  });

  it(`encodeAnswer: a codec that throws or returns odd values yields bytes or throws, a bounded number of tries (${numRuns} runs)`, () => {
    const behaviour = fc.oneof(
      fc.constant({ kind: 'json' as const }),
      anyValue.map((value) => ({ kind: 'throw' as const, value })),
      anyValue.map((value) => ({ kind: 'return' as const, value })),
    );
    fc.assert(
      fc.property(
        fc.array(behaviour, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        anyValue,
        (plan, ok, tree) => {
          const value = materialize(tree);
          let calls = 0;
          const codec: NatsCodec = {
            decode: jsonCodec.decode,
            encode: (encoded) => {
              const step = plan[calls++ % plan.length]!;
              if (step.kind === 'json') return jsonCodec.encode(encoded);
              if (step.kind === 'throw') throw materialize(step.value);
              return materialize(step.value) as Uint8Array;
            },
          };
          const envelope = ok
            ? { ok: true as const, value }
            : { ok: false as const, error: packError(value) };
          try {
            expect(isBytes(encodeAnswer(codec, envelope))).toBe(true);
          } catch {
            expect(plan.some((step) => step.kind !== 'json')).toBe(true);
          }
          expect(calls).toBeLessThanOrEqual(4);
        },
      ),
      { numRuns },
    );
  });

  it(`describeSafely and describeThrown never throw and always return a string (${numRuns} runs)`, () => {
    fc.assert(
      fc.property(anyValue, (tree) => {
        const value = materialize(tree);
        expect(typeof describeSafely(value)).toBe('string');
        expect(typeof describeThrown(value)).toBe('string');
      }),
      { numRuns },
    );
  });

  it(`natsDispatcher over a connection that answers anything, rejects with anything or breaks: every request settles (${numRuns} runs)`, async () => {
    const nc = fakeConnection();
    const client = natsDispatcher<unknown, unknown>(nc, 'fuzz', { timeoutMs: 1_000 });
    const answer = fc.oneof(
      envelopeText.map((json) => ({ kind: 'reply' as const, data: encode(json) })),
      fc.uint8Array({ maxLength: 16 }).map((data) => ({ kind: 'reply' as const, data })),
      anyValue.map((value) => ({ kind: 'reject' as const, value })),
      anyValue.map((value) => ({ kind: 'throw' as const, value })),
      anyValue.map((value) => ({ kind: 'return' as const, value })),
      fc.constant({ kind: 'broken-reply' as const }),
    );
    await fc.assert(
      fc.asyncProperty(answer, async (plan) => {
        const value = 'value' in plan ? materialize(plan.value) : undefined;
        if (plan.kind === 'return' && isThenable(value)) return; // it would wait for the connection's timeout
        nc.onRequest = () => {
          switch (plan.kind) {
            case 'reply':
              return Promise.resolve({ data: plan.data });
            case 'reject':
              return Promise.reject(value);
            case 'throw':
              throw value;
            case 'return':
              return value;
            case 'broken-reply':
              return Promise.resolve({
                get data(): never {
                  throw revokedProxy();
                },
              });
          }
        };
        const result = await client.requestResult('x');
        checkResult(result);
        if (plan.kind === 'reject' || plan.kind === 'throw' || plan.kind === 'broken-reply')
          expect(result.ok).toBe(false);
      }),
      { numRuns },
    );
  });

  it(`serveModule over a fake connection: whatever a handler throws or returns, the caller can read the answer and the member goes on (${numRuns} runs)`, async () => {
    const nc = fakeConnection();
    let next: { throws: boolean; value: unknown } = { throws: false, value: undefined };
    const served = serveModule<string, unknown>(
      nc,
      'fuzz',
      {
        handleRequest: (message) => {
          if (message === 'ping') return 'pong';
          if (next.throws) throw next.value;
          return next.value;
        },
        handleCommand: () => undefined,
      },
      { logger: recordingLogger(), timeoutMs: 1_000 },
    );
    served.server.errors$.subscribe(() => undefined);
    await fc.assert(
      fc.asyncProperty(anyTree(), fc.boolean(), async (tree, throws) => {
        next = { throws, value: materialize(tree) };
        const bytes = await nc.deliver(jsonCodec.encode('bad'));
        expect(nc.callbackThrew).toEqual([]);
        expect(bytes === undefined ? false : isBytes(bytes)).toBe(true);
        const result = readReply(bytes!, jsonCodec, 'fuzz');
        checkResult(result);
        if (throws) expect(result.ok).toBe(false);
        const pong = readReply((await nc.deliver(jsonCodec.encode('ping')))!, jsonCodec, 'fuzz');
        expect(pong).toEqual({ ok: true, value: 'pong' });
      }),
      { numRuns },
    );
    await served.stop();
  });
});
