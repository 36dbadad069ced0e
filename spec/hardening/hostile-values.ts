// Hostile JavaScript values for spec/hardening/fuzz.spec.ts, generated as printable *recipes*:
// a recipe is plain data with a label (what fast-check prints and shrinks) and a `make` that
// builds a fresh value for one run. Values are built fresh because many are stateful (revoked
// proxies, getters that change their answer, signals, tokens) and because printing a Proxy that
// throws on every trap would break fast-check's own report.
import fc from 'fast-check';
import { asyncScheduler, AsyncSubject, Observable } from 'rxjs';

import {
  CallbackWrapper,
  type HandlerContext,
  SparkChannelCancellationToken,
  SparkChannelError,
} from '../../lib/index.js';

/** What hostile code threw. `HostileTrapError` is not a TypeError: a library that lets it through has not validated. */
export class HostileTrapError extends Error {
  override name = 'HostileTrapError';
}

/** A handler's observable, as the server used it. */
export interface ObservableProbe {
  readonly label: string;
  subscribed: number;
  unsubscribed: number;
  /** Values handed to a subscriber. */
  emitted: number;
}

/** One call of a handler, and what it did. */
export interface Invocation {
  readonly kind: 'request' | 'command';
  readonly message: unknown;
  readonly context: HandlerContext;
  /** The value the handler answered with or failed with, once it is known. */
  produced?: unknown;
  probe?: ObservableProbe;
  /** Stops the handler's own server (for behaviours that do). */
  stop?: () => void;
}

/** Everything the hostile values of one run did: what they threw, their observables, their timers. */
export class Ledger {
  /** Every value thrown or rejected with by hostile code, so a property can tell it from an invented one. */
  readonly thrown = new Set<unknown>();
  readonly observables: ObservableProbe[] = [];
  readonly invocations: Invocation[] = [];
  /** Our own timers still pending (a run waits for them before looking for escaped errors). */
  timers = 0;
  readonly #handles = new Set<ReturnType<typeof setTimeout>>();
  #n = 0;

  id(): number {
    return ++this.#n;
  }

  observable(label: string): ObservableProbe {
    const probe: ObservableProbe = { label, subscribed: 0, unsubscribed: 0, emitted: 0 };
    this.observables.push(probe);
    return probe;
  }

  /** A counted setTimeout; the returned function clears it. */
  later(ms: number, run: () => void): () => void {
    this.timers++;
    const handle = setTimeout(() => {
      this.#handles.delete(handle);
      this.timers--;
      run();
    }, ms);
    this.#handles.add(handle);
    return () => {
      if (!this.#handles.delete(handle)) return;
      clearTimeout(handle);
      this.timers--;
    };
  }

  /** Clears every timer left (at the end of a run). */
  clearTimers(): void {
    for (const handle of this.#handles) clearTimeout(handle);
    this.#handles.clear();
    this.timers = 0;
  }
}

/** Properties of a value the fuzz needs to know to state what must happen. */
export interface Meta {
  /** Safe to read and compare: no trap, no getter, not a thenable, not an observable. */
  readonly plain?: boolean;
  /** Has a callable `cancel()` (a Shutdown with it stops the server). */
  readonly token?: boolean;
  /** An envelope that may be read as a Shutdown (it may stop the server). */
  readonly stopping?: boolean;
  /** May never settle as a promise or an observable (awaiting or following it may wait forever). */
  readonly hangs?: boolean;
}

/** A printable recipe for one value. */
export class Recipe<T = unknown> {
  constructor(
    readonly label: string,
    readonly make: (ledger: Ledger) => T,
    readonly meta: Meta = {},
  ) {}

  [fc.toStringMethod](): string {
    return this.label;
  }
}

const recipe = <T>(label: string, make: (ledger: Ledger) => T, meta: Meta = {}): Recipe<T> =>
  new Recipe(label, make, meta);

// ---------------------------------------------------------------------------------------------
// Thrown values

export const THROW_KINDS = [
  'error',
  'type-error',
  'string',
  'symbol',
  'undefined',
  'null',
  'number',
  'revoked-proxy',
  'throwing-proxy',
  'evil-error',
  'fake-spark-error',
] as const;
export type ThrowKind = (typeof THROW_KINDS)[number];
export const throwKind: fc.Arbitrary<ThrowKind> = fc.constantFrom(...THROW_KINDS);

/** A fresh value of the given kind, recorded as thrown by hostile code. */
export function thrownValue(ledger: Ledger, kind: ThrowKind, where: string): unknown {
  const n = ledger.id();
  let value: unknown;
  switch (kind) {
    case 'error':
      value = new HostileTrapError(`hostile ${where} #${n}`);
      break;
    case 'type-error':
      value = new TypeError(`hostile ${where} #${n}`);
      break;
    case 'string':
      value = `hostile ${where} #${n}`;
      break;
    case 'symbol':
      value = Symbol(`hostile ${where} #${n}`);
      break;
    case 'undefined':
      value = undefined;
      break;
    case 'null':
      value = null;
      break;
    case 'number':
      value = -n;
      break;
    case 'revoked-proxy':
      value = revoked({});
      break;
    case 'throwing-proxy':
      value = trapProxy(ledger, {}, TRAPS, 'error', `${where} (thrown proxy)`);
      break;
    case 'evil-error': {
      const error = new HostileTrapError('evil');
      for (const key of ['stack', 'message', 'name', 'cause', 'code', 'toString']) {
        // 'stack' first: redefining it makes V8 format the stack, which reads name and message
        Object.defineProperty(error, key, {
          get: () => boom(ledger, 'error', `${where} evil-error.${key}`),
          configurable: true,
        });
      }
      value = error;
      break;
    }
    case 'fake-spark-error': {
      const fake = Object.create(SparkChannelError.prototype) as object;
      for (const key of ['code', 'message', 'cause']) {
        Object.defineProperty(fake, key, {
          get: () => boom(ledger, 'error', `${where} fake-spark-error.${key}`),
          configurable: true,
        });
      }
      value = fake;
      break;
    }
  }
  ledger.thrown.add(value);
  return value;
}

export function boom(ledger: Ledger, kind: ThrowKind, where: string): never {
  throw thrownValue(ledger, kind, where);
}

// ---------------------------------------------------------------------------------------------
// Proxies

export const TRAPS = [
  'get',
  'has',
  'set',
  'deleteProperty',
  'ownKeys',
  'getOwnPropertyDescriptor',
  'defineProperty',
  'getPrototypeOf',
  'setPrototypeOf',
  'isExtensible',
  'preventExtensions',
  'apply',
  'construct',
] as const;
export type Trap = (typeof TRAPS)[number];

export function trapProxy<T extends object>(
  ledger: Ledger,
  target: T,
  traps: readonly Trap[],
  kind: ThrowKind,
  where: string,
): T {
  const handler: ProxyHandler<T> = {};
  for (const trap of traps) {
    (handler as Record<string, unknown>)[trap] = () => boom(ledger, kind, `${where} trap ${trap}`);
  }
  return new Proxy(target, handler);
}

export function revoked<T extends object>(target: T): T {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

/** What a proxy wraps: a real instance, so `instanceof` passes while its traps let it. */
const PROXY_TARGETS = {
  object: (): object => ({}),
  function: (): object => function target() {},
  array: (): object => [],
  'null-proto': (): object => Object.create(null) as object,
  wrapper: (): object => new CallbackWrapper(undefined, new AsyncSubject()),
  token: (): object => new SparkChannelCancellationToken(),
  signal: (): object => new AbortController().signal,
  subject: (): object => new AsyncSubject(),
  promise: (): object => Promise.resolve(1),
  command: (): object => ({ type: 'Command', message: 1 }),
  request: (): object => ({ type: 'Request', wrapper: new CallbackWrapper(1, new AsyncSubject()) }),
  shutdown: (): object => ({ type: 'Shutdown', token: new SparkChannelCancellationToken() }),
  handler: (): object => ({ handleRequest: () => 'ok', handleCommand: () => undefined }),
  options: (): object => ({ timeoutMs: 1_000, concurrency: 1, capacity: 1 }),
} as const;
export type ProxyTarget = keyof typeof PROXY_TARGETS;
const proxyTarget = fc.constantFrom(...(Object.keys(PROXY_TARGETS) as ProxyTarget[]));

export const trapProxyArb = (targets: fc.Arbitrary<ProxyTarget> = proxyTarget): fc.Arbitrary<Recipe> =>
  fc
    .tuple(targets, fc.oneof(fc.constant([...TRAPS]), fc.subarray([...TRAPS], { minLength: 1 })), throwKind)
    .map(([target, traps, kind]) =>
      recipe(
        `trapProxy(${target}, [${traps.join(',')}], throws ${kind})`,
        (l) => trapProxy(l, PROXY_TARGETS[target](), traps, kind, `proxy(${target})`),
        { hangs: target === 'subject' || target === 'promise', stopping: target === 'shutdown' },
      ),
    );

export const revokedArb = (targets: fc.Arbitrary<ProxyTarget> = proxyTarget): fc.Arbitrary<Recipe> =>
  targets.map((target) => recipe(`revoked(${target})`, () => revoked(PROXY_TARGETS[target]())));

// ---------------------------------------------------------------------------------------------
// Objects with throwing getters

export const GETTER_KEYS = [
  'type',
  'message',
  'wrapper',
  'token',
  'signal',
  'then',
  'name',
  'subscribe',
  'lift',
  'cancel',
  'next',
  'complete',
  'error',
  'aborted',
  'reason',
  'addEventListener',
  'removeEventListener',
  'sender',
  'cancelled$',
  'isCancelled',
  'handleRequest',
  'handleCommand',
  'capacity',
  'timeoutMs',
  'concurrency',
  'rateLimit',
  'limit',
  'intervalMs',
  'logger',
  'warn',
  'key',
  'guard',
  'scheduler',
  'now',
  'schedule',
  'instrument',
  'code',
  'constructor',
  'prototype',
  'length',
  'toString',
  'valueOf',
  'toJSON',
  Symbol.toPrimitive,
  Symbol.toStringTag,
  Symbol.iterator,
  Symbol.hasInstance,
  Symbol.asyncIterator,
  '@@observable',
  ...(typeof (Symbol as { observable?: symbol }).observable === 'symbol'
    ? [(Symbol as unknown as { observable: symbol }).observable]
    : []),
] as const;
type GetterKey = (typeof GETTER_KEYS)[number];
const keyLabel = (key: GetterKey): string => (typeof key === 'symbol' ? key.toString() : key);

const GETTER_BASES = {
  object: (): object => ({}),
  'null-proto': (): object => Object.create(null) as object,
  arrow: (): object => () => undefined,
  array: (): object => [],
  wrapper: (): object => new CallbackWrapper(undefined, new AsyncSubject()),
  token: (): object => new SparkChannelCancellationToken(),
  signal: (): object => new AbortController().signal,
  subject: (): object => new AsyncSubject(),
  command: (): object => ({ type: 'Command', message: 1 }),
  shutdown: (): object => ({ type: 'Shutdown', token: new SparkChannelCancellationToken() }),
  error: (): object => new Error('base'),
} as const;
type GetterBase = keyof typeof GETTER_BASES;

/** Defines a throwing getter on `target` for each key (keys that cannot be redefined are skipped). */
export function withThrowingGetters<T extends object>(
  ledger: Ledger,
  target: T,
  keys: readonly GetterKey[],
  kind: ThrowKind,
  where: string,
): T {
  for (const key of keys) {
    try {
      Object.defineProperty(target, key, {
        get: () => boom(ledger, kind, `${where} getter ${keyLabel(key)}`),
        configurable: true,
      });
    } catch {
      // non-configurable (a function's prototype): leave it
    }
  }
  return target;
}

export const getterBombArb = (
  keys: fc.Arbitrary<GetterKey[]> = fc.subarray([...GETTER_KEYS], { minLength: 1, maxLength: 6 }),
  bases: fc.Arbitrary<GetterBase> = fc.constantFrom(...(Object.keys(GETTER_BASES) as GetterBase[])),
): fc.Arbitrary<Recipe> =>
  fc
    .tuple(bases, keys, throwKind)
    .map(([base, ks, kind]) =>
      recipe(
        `getters(${base}, [${ks.map(keyLabel).join(',')}] throw ${kind})`,
        (l) => withThrowingGetters(l, GETTER_BASES[base](), ks, kind, `getters(${base})`),
        { hangs: base === 'subject', stopping: base === 'shutdown' },
      ),
    );

/** Throws on every conversion to a primitive, and on the tag `Object.prototype.toString` reads. */
export const primitiveBombArb: fc.Arbitrary<Recipe> = throwKind.map((kind) =>
  recipe(`primitiveBomb(throws ${kind})`, (l) => ({
    toString: () => boom(l, kind, 'toString()'),
    valueOf: () => boom(l, kind, 'valueOf()'),
    [Symbol.toPrimitive]: () => boom(l, kind, '[Symbol.toPrimitive]()'),
    get [Symbol.toStringTag](): string {
      return boom(l, kind, 'get [Symbol.toStringTag]');
    },
  })),
);

// ---------------------------------------------------------------------------------------------
// Thenables (as values; a handler's thenables are in `behaviourArb`)

export const thenableValueArb: fc.Arbitrary<Recipe> = fc
  .tuple(
    fc.constantFrom(
      'then-throws',
      'then-getter-throws',
      'then-never',
      'then-sync-resolve',
      'then-resolve-twice',
      'then-resolve-reject',
      'then-nested',
    ),
    throwKind,
  )
  .map(([shape, kind]) =>
    recipe(
      `thenable(${shape}, ${kind})`,
      (l) => {
        switch (shape) {
          case 'then-throws':
            return { then: () => boom(l, kind, 'then()') };
          case 'then-getter-throws':
            return withThrowingGetters(l, {}, ['then'], kind, 'thenable');
          case 'then-never':
            return { then: () => undefined };
          case 'then-sync-resolve':
            return { then: (resolve: (v: unknown) => void) => resolve(1) };
          case 'then-resolve-twice':
            return {
              then: (resolve: (v: unknown) => void) => {
                resolve(1);
                resolve(2);
              },
            };
          case 'then-resolve-reject':
            return {
              then: (resolve: (v: unknown) => void, reject: (e: unknown) => void) => {
                resolve(1);
                reject(thrownValue(l, kind, 'then reject'));
              },
            };
          case 'then-nested':
            return {
              then: (resolve: (v: unknown) => void) => resolve({ then: (r: (v: unknown) => void) => r(1) }),
            };
        }
      },
      { hangs: shape === 'then-never' },
    ),
  );

// ---------------------------------------------------------------------------------------------
// Observables and observable-likes (as values)

const observableKey = (): string | symbol =>
  typeof (Symbol as { observable?: symbol }).observable === 'symbol'
    ? (Symbol as unknown as { observable: symbol }).observable
    : '@@observable';

export const observableLikeArb: fc.Arbitrary<Recipe> = fc
  .tuple(
    fc.constantFrom(
      'subscribe-throws',
      'lift-subscribe-throws',
      'symbol-observable-throws',
      'rx-subscribe-throws',
    ),
    throwKind,
  )
  .map(([shape, kind]) =>
    recipe(`observableLike(${shape}, ${kind})`, (l) => {
      switch (shape) {
        case 'subscribe-throws':
          return { subscribe: () => boom(l, kind, 'subscribe()') };
        case 'lift-subscribe-throws':
          return { lift: () => boom(l, kind, 'lift()'), subscribe: () => boom(l, kind, 'subscribe()') };
        case 'symbol-observable-throws':
          return { [observableKey()]: () => boom(l, kind, '[Symbol.observable]()') };
        case 'rx-subscribe-throws':
          return new Observable(() => boom(l, kind, 'Observable subscribe'));
      }
    }),
  );

// ---------------------------------------------------------------------------------------------
// Signals

export const hostileSignalArb: fc.Arbitrary<Recipe> = fc
  .tuple(
    fc.constantFrom(
      'fake-signal',
      'addEventListener-throws',
      'addEventListener-throws-once',
      'removeEventListener-throws',
      'aborted-getter-throws',
      'aborted-with-hostile-reason',
      'aborted-addEventListener-throws',
      'reason-getter-throws',
      'constructor-getter-throws', // Node's own addEventListener reads it
    ),
    throwKind,
  )
  .map(([shape, kind]) =>
    recipe(`signal(${shape}, ${kind})`, (l) => {
      switch (shape) {
        case 'fake-signal':
          return Object.create(AbortSignal.prototype) as AbortSignal;
        case 'addEventListener-throws': {
          const signal = new AbortController().signal;
          Object.defineProperty(signal, 'addEventListener', {
            value: () => boom(l, kind, 'addEventListener()'),
          });
          return signal;
        }
        case 'addEventListener-throws-once': {
          const signal = new AbortController().signal;
          let first = true;
          const original = signal.addEventListener.bind(signal);
          Object.defineProperty(signal, 'addEventListener', {
            value: (...args: Parameters<AbortSignal['addEventListener']>) => {
              if (first) {
                first = false;
                boom(l, kind, 'addEventListener() (first call)');
              }
              original(...args);
            },
          });
          return signal;
        }
        case 'removeEventListener-throws': {
          const signal = new AbortController().signal;
          Object.defineProperty(signal, 'removeEventListener', {
            value: () => boom(l, kind, 'removeEventListener()'),
          });
          return signal;
        }
        case 'aborted-getter-throws':
          return withThrowingGetters(l, new AbortController().signal, ['aborted'], kind, 'signal');
        case 'aborted-with-hostile-reason':
          return AbortSignal.abort(thrownValue(l, kind, 'abort reason'));
        case 'aborted-addEventListener-throws': {
          const signal = AbortSignal.abort();
          Object.defineProperty(signal, 'addEventListener', {
            value: () => boom(l, kind, 'addEventListener()'),
          });
          return signal;
        }
        case 'constructor-getter-throws':
          return withThrowingGetters(l, new AbortController().signal, ['constructor'], kind, 'signal');
        case 'reason-getter-throws': {
          const controller = new AbortController();
          controller.abort();
          return withThrowingGetters(l, controller.signal, ['reason'], kind, 'signal');
        }
      }
    }),
  );

// ---------------------------------------------------------------------------------------------
// Tokens

export const tokenArb: fc.Arbitrary<Recipe> = fc
  .tuple(
    fc.constantFrom(
      'token',
      'cancelled-token',
      'child-token',
      'child-of-cancelled',
      'grandchild-token',
      'trait-object',
      'cancel-throws',
      'own-cancel-throws',
      'token-proto-only',
      'cancel-not-function',
      'cancelled$-getter-throws',
      'token-proxy-get-throws',
    ),
    throwKind,
  )
  .map(([shape, kind]) => {
    const token = ['token', 'cancelled-token', 'child-token', 'child-of-cancelled', 'grandchild-token'];
    const callable = [
      ...token,
      'trait-object',
      'cancel-throws',
      'own-cancel-throws',
      'cancelled$-getter-throws',
    ];
    return recipe(
      `token(${shape}, ${kind})`,
      (l): unknown => {
        switch (shape) {
          case 'token':
            return new SparkChannelCancellationToken();
          case 'cancelled-token': {
            const t = new SparkChannelCancellationToken();
            t.cancel();
            return t;
          }
          case 'child-token':
            return new SparkChannelCancellationToken().child();
          case 'child-of-cancelled': {
            const parent = new SparkChannelCancellationToken();
            parent.cancel();
            return parent.child();
          }
          case 'grandchild-token':
            return new SparkChannelCancellationToken().child().child();
          case 'trait-object':
            return { cancel: () => undefined };
          case 'cancel-throws':
            return { cancel: () => boom(l, kind, 'cancel()') };
          case 'own-cancel-throws': {
            const t = new SparkChannelCancellationToken();
            Object.defineProperty(t, 'cancel', { value: () => boom(l, kind, 'cancel()') });
            return t;
          }
          case 'token-proto-only':
            return Object.create(SparkChannelCancellationToken.prototype) as unknown;
          case 'cancel-not-function':
            return { cancel: 42 };
          case 'cancelled$-getter-throws':
            return withThrowingGetters(l, new SparkChannelCancellationToken(), ['cancelled$'], kind, 'token');
          case 'token-proxy-get-throws':
            return trapProxy(l, new SparkChannelCancellationToken(), ['get'], kind, 'token proxy');
        }
      },
      // token-proto-only has cancel() on its prototype: callable, but on no real token
      { token: callable.includes(shape) || shape === 'token-proto-only' },
    );
  });

// ---------------------------------------------------------------------------------------------
// Functions

export const hostileFunctionArb: fc.Arbitrary<Recipe> = fc
  .tuple(
    fc.constantFrom(
      'throws',
      'name-getter-throws',
      'class-hasInstance-throws',
      'apply-trap-throws',
      'revoked-function',
      'async-rejects',
      'returns-revoked',
      'returns-trap-proxy',
      'prototype-getter-throws',
    ),
    throwKind,
  )
  .map(([shape, kind]) =>
    recipe(`function(${shape}, ${kind})`, (l): unknown => {
      switch (shape) {
        case 'throws':
          return () => boom(l, kind, 'function call');
        case 'name-getter-throws':
          return withThrowingGetters(l, () => true, ['name'], kind, 'function');
        case 'class-hasInstance-throws':
          return class Hostile {
            static [Symbol.hasInstance](): boolean {
              return boom(l, kind, 'Symbol.hasInstance');
            }
          };
        case 'apply-trap-throws':
          return trapProxy(l, function target() {}, ['apply'], kind, 'function proxy');
        case 'revoked-function':
          return revoked(function target() {});
        case 'async-rejects':
          return () => {
            // handled here: only a promise the library chains on it, and leaves unhandled, escapes
            const rejected = Promise.reject(thrownValue(l, kind, 'async function'));
            rejected.catch(() => undefined);
            return rejected;
          };
        case 'returns-revoked':
          return () => revoked({});
        case 'returns-trap-proxy':
          return () => trapProxy(l, {}, TRAPS, kind, 'returned proxy');
        case 'prototype-getter-throws':
          return withThrowingGetters(l, () => true, ['prototype'], kind, 'function');
      }
    }),
  );

// ---------------------------------------------------------------------------------------------
// Values whose answer changes between reads

export const TYPES = ['Command', 'Request', 'Shutdown', 'Bogus', undefined] as const;

/** An envelope whose `type` reads differently each time (with every field a type might want). */
export const typeShifterArb: fc.Arbitrary<Recipe> = fc
  .array(fc.constantFrom(...TYPES), { minLength: 2, maxLength: 4 })
  .filter((seq) => new Set(seq).size > 1)
  .map((seq) =>
    recipe(
      `typeShifter(${seq.map(String).join('→')})`,
      () => {
        let i = 0;
        return {
          get type(): unknown {
            return seq[i++ % seq.length];
          },
          message: 'shifted',
          wrapper: new CallbackWrapper('shifted', new AsyncSubject()),
          token: new SparkChannelCancellationToken(),
        };
      },
      { stopping: seq.includes('Shutdown') },
    ),
  );

// ---------------------------------------------------------------------------------------------
// Everything together

const fcAnything = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  maxDepth: 2,
});

/** fc.anything(): no getter, no trap, no function (so not a thenable). */
export const plainValueArb: fc.Arbitrary<Recipe> = fcAnything.map((v) =>
  recipe(`anything(${fc.stringify(v)})`, () => v, { plain: true }),
);

export const edgePrimitiveArb: fc.Arbitrary<Recipe> = fc
  .constantFrom<[string, () => unknown]>(
    ['Symbol()', () => Symbol('fuzz')],
    ['Symbol.iterator', () => Symbol.iterator],
    ['0n', () => 0n],
    ['2n**64n', () => 2n ** 64n],
    ['-0', () => -0],
    ['NaN', () => NaN],
    ['Infinity', () => Infinity],
    ['-Infinity', () => -Infinity],
    ["''", () => ''],
    ["'Command'", () => 'Command'],
    ["'Request'", () => 'Request'],
    ["'Shutdown'", () => 'Shutdown'],
    ['undefined', () => undefined],
    ['null', () => null],
    ['true', () => true],
  )
  .map(([label, make]) => recipe(label, make, { plain: true }));

export const miscObjectArb: fc.Arbitrary<Recipe> = fc.constantFrom(
  recipe('Object.create(null)', () => Object.create(null) as unknown, { plain: true }),
  recipe(
    "Object.create(null) with type 'Command'",
    () => Object.assign(Object.create(null) as object, { type: 'Command', message: 1 }),
    { plain: true },
  ),
  recipe(
    'cyclic object',
    () => {
      const a: Record<string, unknown> = { type: 'Command' };
      a.self = a;
      a.message = a;
      a.list = [a, [a]];
      return a;
    },
    { plain: true },
  ),
  recipe('frozen command', () => Object.freeze({ type: 'Command', message: Object.freeze({}) }), {
    plain: true,
  }),
  recipe('Object.create(AbortSignal.prototype)', () => Object.create(AbortSignal.prototype) as unknown),
  recipe(
    'Object.create(CallbackWrapper.prototype)',
    () => Object.create(CallbackWrapper.prototype) as unknown,
  ),
  recipe('a live AbortSignal', () => new AbortController().signal),
  recipe('AbortSignal.abort()', () => AbortSignal.abort()),
  recipe('asyncScheduler', () => asyncScheduler),
  recipe('new AsyncSubject()', () => new AsyncSubject(), { hangs: true }),
  recipe('a real promise', () => Promise.resolve(1)),
  recipe('a never-settling promise', () => new Promise(() => undefined), { hangs: true }),
  recipe('new Error()', () => new Error('plain'), { plain: true }),
  recipe('a WeakMap', () => new WeakMap(), { plain: true }),
  recipe('an ArrayBuffer', () => new ArrayBuffer(8), { plain: true }),
  recipe('globalThis-like', () => ({ globalThis: {}, process: {}, __proto__: null }), { plain: true }),
);

/** Hostile values of every kind (none is plain). */
export const hostileValueArb: fc.Arbitrary<Recipe> = fc.oneof(
  { weight: 3, arbitrary: trapProxyArb() },
  { weight: 2, arbitrary: revokedArb() },
  { weight: 3, arbitrary: getterBombArb() },
  { weight: 1, arbitrary: primitiveBombArb },
  { weight: 2, arbitrary: thenableValueArb },
  { weight: 1, arbitrary: observableLikeArb },
  { weight: 1, arbitrary: hostileSignalArb },
  { weight: 1, arbitrary: tokenArb },
  { weight: 1, arbitrary: hostileFunctionArb },
  { weight: 1, arbitrary: typeShifterArb },
  { weight: 1, arbitrary: miscObjectArb },
);

/** Any value: fc.anything(), edge primitives, hostile values. */
export const anyValueArb: fc.Arbitrary<Recipe> = fc.oneof(
  { weight: 3, arbitrary: plainValueArb },
  { weight: 1, arbitrary: edgePrimitiveArb },
  { weight: 6, arbitrary: hostileValueArb },
);

/** A value a handler may throw or reject with: anything, including a thrown-kind value. */
export const thrownArb: fc.Arbitrary<Recipe> = fc.oneof(
  throwKind.map((kind) => recipe(`thrown(${kind})`, (l) => thrownValue(l, kind, 'handler'))),
  anyValueArb,
);

/** Numbers at and around every limit (timers overflow past 2**31 - 1 ms). */
export const NUMBER_EDGES = [
  0,
  -0,
  -1,
  0.5,
  1,
  1.5,
  2,
  3,
  NaN,
  Infinity,
  -Infinity,
  Number.MIN_VALUE,
  1e-300,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  1e10,
  Number.MAX_SAFE_INTEGER,
  2 ** 53,
  1e300,
  Number.MAX_VALUE,
] as const;

export const numberLikeArb: fc.Arbitrary<Recipe> = fc.oneof(
  fc
    .constantFrom(...NUMBER_EDGES)
    .map((n) => recipe(Object.is(n, -0) ? '-0' : String(n), () => n, { plain: true })),
  fc.double().map((n) => recipe(`double ${String(n)}`, () => n, { plain: true })),
  fc.integer().map((n) => recipe(`int ${n}`, () => n, { plain: true })),
  fc
    .constantFrom<[string, () => unknown]>(
      ["'5'", () => '5'],
      ['5n', () => 5n],
      ['new Number(5)', () => new Number(5)],
      ['{ valueOf: () => 5 }', () => ({ valueOf: () => 5 })],
    )
    .map(([label, make]) => recipe(label, make, { plain: true })),
);

/** A handler's observable that counts its subscriptions, teardowns and emitted values. */
export function probed<T>(
  probe: ObservableProbe,
  subscribe: (sink: Sink<T>) => (() => void) | void,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    probe.subscribed++;
    subscriber.add(() => {
      probe.unsubscribed++;
    });
    const sink: Sink<T> = {
      next: (value) => {
        probe.emitted++;
        subscriber.next(value);
      },
      error: (error) => subscriber.error(error),
      complete: () => subscriber.complete(),
      get closed() {
        return subscriber.closed;
      },
    };
    return subscribe(sink);
  });
}

export interface Sink<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
  readonly closed: boolean;
}

// ---------------------------------------------------------------------------------------------
// Handler behaviours: what a handler does with a message, and what must then happen

/**
 * - `value`: answers with `produced` (`adopts`: `produced` is not plain, so `request()`'s promise
 *   would adopt it as a thenable and the exact value cannot be predicted there; `adoptsForever`:
 *   it is a thenable that never settles, so `request()`'s promise, adopting it, never settles
 *   either: that is what a promise does, not the library).
 * - `error`: fails with `produced`, which must reach the caller unchanged.
 * - `empty`: an observable that completes with no value (EmptyError for a request).
 * - `hang-promise`: a promise-like that never settles: keeps its slot until the server stops.
 * - `maybe-hang`: a hostile value that may never settle (a subject, a proxy of one): treated as
 *   settling somehow, or keeping its slot until the server stops.
 * - `hang-observable`: never emits: the server must unsubscribe when a dispatcher's caller gives up.
 * - `hang-abortable`: settles (rejects) only when `context.signal` aborts.
 * - `any`: settles somehow; only settlement and survival are checked.
 */
export type Outcome =
  | { readonly kind: 'value'; readonly adopts: boolean; readonly adoptsForever?: boolean }
  | { readonly kind: 'error' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'hang-promise' }
  | { readonly kind: 'maybe-hang' }
  | { readonly kind: 'hang-observable' }
  | { readonly kind: 'hang-abortable' }
  | { readonly kind: 'any' };

export class Behaviour {
  constructor(
    readonly label: string,
    readonly outcome: Outcome,
    readonly run: (ledger: Ledger, invocation: Invocation) => unknown,
    /** Emits many values synchronously: a request must pull only the first. */
    readonly burst = false,
    /** An observable that never completes (a command waits for completion: it then never ends). */
    readonly endless = false,
    /** Stops its own server from inside the handler. */
    readonly stops = false,
  ) {}

  [fc.toStringMethod](): string {
    return this.label;
  }
}

const valueOf = (r: Recipe): Outcome => ({
  kind: 'value',
  adopts: r.meta.plain !== true,
  ...(r.meta.hangs === true ? { adoptsForever: true } : {}),
});

/** Records `value` as what the handler failed with (so it counts as the user's own error). */
const failing = (ledger: Ledger, invocation: Invocation, value: unknown): unknown => {
  ledger.thrown.add(value);
  invocation.produced = value;
  return value;
};

const answerArb: fc.Arbitrary<Recipe> = fc.oneof(
  { weight: 3, arbitrary: plainValueArb },
  { weight: 1, arbitrary: edgePrimitiveArb },
  { weight: 3, arbitrary: hostileValueArb },
);

const answering = fc
  .tuple(fc.constantFrom('return', 'resolve', 'delayed-resolve', 'of', 'burst', 'async-of'), answerArb)
  .map(([shape, v]) => {
    // A handler's result is looked at (promise? observable?) before it is an answer, and so is an
    // observable's first value (a thenable is adopted, as the caller's promise would adopt it):
    // a hostile value may then fail, or never settle.
    const outcome: Outcome =
      v.meta.hangs === true ? { kind: 'maybe-hang' } : v.meta.plain !== true ? { kind: 'any' } : valueOf(v);
    return new Behaviour(
      `${shape}(${v.label})`,
      outcome,
      (l, inv) => {
        const value = v.make(l);
        inv.produced = value;
        switch (shape) {
          case 'return':
            return value;
          case 'resolve':
            return Promise.resolve(value);
          case 'delayed-resolve':
            return new Promise((resolve) => l.later(1, () => resolve(value)));
          case 'of':
            return probed((inv.probe = l.observable('of')), (sink) => {
              sink.next(value);
              sink.complete();
            });
          case 'burst':
            return probed((inv.probe = l.observable('burst')), (sink) => {
              for (let i = 0; i < 50 && !sink.closed; i++) sink.next(i === 0 ? value : i);
              if (!sink.closed) sink.complete();
            });
          case 'async-of':
            return probed((inv.probe = l.observable('async-of')), (sink) =>
              l.later(1, () => {
                sink.next(value);
                sink.complete();
              }),
            );
        }
      },
      shape === 'burst',
    );
  });

const failingArb = fc
  .tuple(
    fc.constantFrom(
      'throw',
      'reject',
      'delayed-reject',
      'throwError',
      'async-throwError',
      'subscribe-throws',
      'then-throws',
      'then-reject-resolve',
    ),
    thrownArb,
  )
  .map(
    ([shape, e]) =>
      new Behaviour(`${shape}(${e.label})`, { kind: 'error' }, (l, inv) => {
        const error = failing(l, inv, e.make(l));
        switch (shape) {
          case 'throw':
            throw error;
          case 'reject':
            return Promise.reject(error);
          case 'delayed-reject':
            return new Promise((_, reject) => l.later(1, () => reject(error)));
          case 'throwError':
            return probed((inv.probe = l.observable('throwError')), (sink) => sink.error(error));
          case 'async-throwError':
            return probed((inv.probe = l.observable('async-throwError')), (sink) =>
              l.later(1, () => sink.error(error)),
            );
          case 'subscribe-throws':
            return probed((inv.probe = l.observable('subscribe-throws')), () => {
              throw error;
            });
          case 'then-throws':
            return {
              then: () => {
                throw error;
              },
            };
          case 'then-reject-resolve':
            return {
              then: (resolve: (v: unknown) => void, reject: (e: unknown) => void) => {
                reject(error);
                resolve('too late');
              },
            };
        }
      }),
  );

const hangingArb = fc.constantFrom(
  new Behaviour('empty observable', { kind: 'empty' }, (l, inv) =>
    probed((inv.probe = l.observable('empty')), (sink) => sink.complete()),
  ),
  new Behaviour('never-emitting observable', { kind: 'hang-observable' }, (l, inv) =>
    probed((inv.probe = l.observable('never')), () => undefined),
  ),
  new Behaviour('thenable that never calls back', { kind: 'hang-promise' }, () => ({
    then: () => undefined,
  })),
  new Behaviour('promise rejecting on context.signal abort', { kind: 'hang-abortable' }, (_l, inv) => {
    const signal = inv.context.signal;
    return new Promise((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }),
  new Behaviour('observable erroring on context.signal abort', { kind: 'hang-abortable' }, (l, inv) => {
    const signal = inv.context.signal;
    return probed((inv.probe = l.observable('abort-aware')), (sink) => {
      const onAbort = (): void => sink.error(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      return () => signal.removeEventListener('abort', onAbort);
    });
  }),
);

const oddArb = fc
  .tuple(
    fc.constantFrom(
      'teardown-throws',
      'async-teardown-throws',
      'then-twice',
      'then-resolve-reject',
      'then-sync-then-throw',
      'then-async',
      'then-getter-throws',
      'then-nested',
      'then-nested-never',
      'observable-like',
      'observable-like-throws',
      'returns-revoked-proxy',
      'returns-trap-proxy',
    ),
    plainValueArb,
    throwKind,
  )
  .map(([shape, v, kind]) => {
    const outcome: Outcome = [
      'teardown-throws',
      'async-teardown-throws',
      'then-twice',
      'then-resolve-reject',
      'then-sync-then-throw',
      'then-async',
      'then-nested', // flattened, as a promise would be
    ].includes(shape)
      ? { kind: 'value', adopts: false }
      : shape === 'then-nested-never'
        ? { kind: 'hang-promise' } // flattened: the inner thenable never settles
        : { kind: 'any' };
    const endless = shape === 'teardown-throws' || shape === 'async-teardown-throws';
    return new Behaviour(
      `${shape}(${v.label}, ${kind})`,
      outcome,
      (l, inv) => {
        const value = v.make(l);
        inv.produced = value;
        switch (shape) {
          case 'teardown-throws':
            return probed((inv.probe = l.observable('teardown-throws')), (sink) => {
              sink.next(value);
              return () => boom(l, kind, 'teardown');
            });
          case 'async-teardown-throws':
            return probed((inv.probe = l.observable('async-teardown-throws')), (sink) => {
              const clear = l.later(1, () => sink.next(value));
              return () => {
                clear();
                boom(l, kind, 'teardown');
              };
            });
          case 'then-twice':
            return {
              then: (resolve: (v: unknown) => void) => {
                resolve(value);
                resolve('second');
              },
            };
          case 'then-resolve-reject':
            return {
              then: (resolve: (v: unknown) => void, reject: (e: unknown) => void) => {
                resolve(value);
                reject(thrownValue(l, kind, 'then reject after resolve'));
              },
            };
          case 'then-sync-then-throw':
            return {
              then: (resolve: (v: unknown) => void) => {
                resolve(value);
                boom(l, kind, 'then() after resolving');
              },
            };
          case 'then-async':
            return { then: (resolve: (v: unknown) => void) => l.later(1, () => resolve(value)) };
          case 'then-getter-throws':
            return withThrowingGetters(l, {}, ['then'], kind, 'returned thenable');
          case 'then-nested':
            return {
              then: (resolve: (v: unknown) => void) =>
                resolve({ then: (r: (v: unknown) => void) => r(value) }),
            };
          case 'then-nested-never':
            return { then: (resolve: (v: unknown) => void) => resolve({ then: () => undefined }) };
          case 'observable-like':
            return {
              lift: () => undefined,
              subscribe: (observer: { next(v: unknown): void; complete(): void }) => {
                observer.next(value);
                observer.complete();
                return { unsubscribe: () => undefined };
              },
            };
          case 'observable-like-throws':
            return { lift: () => undefined, subscribe: () => boom(l, kind, 'observable-like subscribe()') };
          case 'returns-revoked-proxy':
            return revoked({});
          case 'returns-trap-proxy':
            return trapProxy(l, {}, TRAPS, kind, 'returned proxy');
        }
      },
      false,
      endless,
    );
  });

/** What a handler does with one message. */
export const behaviourArb: fc.Arbitrary<Behaviour> = fc.oneof(
  { weight: 4, arbitrary: answering },
  { weight: 4, arbitrary: failingArb },
  { weight: 2, arbitrary: hangingArb },
  { weight: 3, arbitrary: oddArb },
);

/** Behaviours that stop their own server from inside the handler, then answer, fail or hang. */
export const stoppingBehaviourArb: fc.Arbitrary<Behaviour> = fc
  .tuple(fc.constantFrom('return', 'throw', 'reject-later', 'hang', 'observable'), anyValueArb)
  .map(
    ([then, v]) =>
      new Behaviour(
        `server.stop() inside the handler, then ${then}(${v.label})`,
        { kind: 'any' },
        (l, inv) => {
          inv.stop?.();
          const value = v.make(l);
          switch (then) {
            case 'return':
              return value;
            case 'throw':
              throw failing(l, inv, value);
            case 'reject-later':
              return new Promise((_, reject) => l.later(1, () => reject(failing(l, inv, value))));
            case 'hang':
              return new Promise(() => undefined);
            case 'observable':
              return probed((inv.probe = l.observable('after stop')), (sink) => sink.next(value));
          }
        },
        false,
        false,
        true,
      ),
  );
