// Arbitraries of what a worker's handler may throw, shared by the worker wire fuzz
// (spec/worker/wire-fuzz.spec.ts) and the Web Worker packer's parity with it
// (spec/web-worker/pack-parity.spec.ts): safe trees with markers, made into hostile values and
// real errors per run by `materialize`.
import fc from 'fast-check';
import { EmptyError } from 'rxjs';

import { SparkChannelError } from '../../lib/index.js';
import { anythingWith } from './arbitraries.js';

// ---- hostile values ----------------------------------------------------------------------------
// fast-check probes what it generates (to print a counterexample, to clone it), and a hostile
// Proxy throws at the first probe. So the arbitraries generate safe trees with Hostile markers in
// them, and each run builds its own hostile values from the tree (materialize).

function trapAll(): object {
  const handler = new Proxy(
    {},
    {
      get: () => () => {
        throw new Error('trap');
      },
    },
  );
  return new Proxy({}, handler);
}

function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

function cyclic(): object {
  const value: Record<string, unknown> = { name: 'cycle' };
  value['self'] = value;
  value['list'] = [value];
  return value;
}

const makers: (() => unknown)[] = [
  trapAll,
  revoked,
  () => Object.create(null) as object,
  () => Object.assign(Object.create(null) as object, { message: 'null prototype', name: 'Odd' }),
  () => ({
    toString(): never {
      throw new Error('toString throws');
    },
  }),
  () => ({
    get message(): never {
      throw revoked();
    },
    get name(): never {
      throw trapAll();
    },
  }),
  () =>
    Object.defineProperty(new Error('getter'), 'detail', {
      enumerable: true,
      get(): never {
        throw Object.create(null);
      },
    }),
  cyclic,
  () => Symbol('fuzz'),
  () => 10n ** 30n,
  () => () => 'a function',
  () => new Proxy(new TypeError('transparent proxy'), {}),
  () => Object.assign(new Error('carries a cycle'), { self: cyclic() }),
  () =>
    Object.defineProperty(new Error('own proto'), '__proto__', { value: { polluted: 1 }, enumerable: true }),
  () => Object.assign(Object.create(null) as object, { toString: 1, valueOf: 'x' }),
  () => {
    const error = new AggregateError([], 'contains itself');
    error.errors.push(error);
    error.cause = error;
    return error;
  },
  () =>
    Object.assign(new Error('endless'), {
      name: 'AggregateError',
      errors: new Proxy([], { get: (target, key) => (key === 'length' ? 1e9 : Reflect.get(target, key)) }),
    }),
];

/** Stands for a hostile value in a generated tree: an index into `makers`. */
export class Hostile {
  constructor(readonly index: number) {}
}

/** Stands for an error to build: its class, fields, own properties, cause and aggregate errors. */
export class ErrorSpec {
  constructor(
    readonly kind: string,
    readonly name: string,
    readonly message: string,
    readonly props: Record<string, unknown>,
    readonly cause: unknown,
    readonly errors: unknown[] | undefined,
    readonly selfCause: boolean,
  ) {}
}

export function build(spec: ErrorSpec): Error {
  const errors = (spec.errors ?? []).map(materialize);
  let error: Error;
  switch (spec.kind) {
    case 'AggregateError':
      error = new AggregateError(errors, spec.message);
      break;
    case 'DOMException':
      error = new DOMException(spec.message, spec.name);
      break;
    case 'SparkChannelError':
      error = new SparkChannelError('TIMEOUT', spec.message);
      break;
    case 'EmptyError':
      error = new EmptyError();
      break;
    case 'TypeError':
      error = new TypeError(spec.message);
      break;
    default:
      error = new Error(spec.message);
      if (spec.kind === 'custom') error.name = spec.name;
  }
  // Replacing `stack` formats the pending stack trace, which reads `name`: format it now, while
  // the name is still a string.
  void error.stack;
  for (const [key, value] of Object.entries(spec.props)) {
    Object.defineProperty(error, key, {
      value: materialize(value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  if (spec.errors !== undefined && spec.kind !== 'AggregateError')
    (error as { errors?: unknown }).errors = errors;
  if (spec.selfCause) error.cause = error;
  else if (spec.cause !== undefined) error.cause = materialize(spec.cause);
  return error;
}

/** What a `copyTree` swap returns for a node it does not replace: the node is copied as it is. */
export const KEEP: unique symbol = Symbol('keep');

/**
 * A copy of a generated tree (arrays with their holes, Maps, Sets, plain and null-prototype
 * objects), each node first offered to `swap`, which returns its replacement or {@link KEEP}.
 * Shared by every fuzz that turns safe markers into hostile values per run.
 */
export function copyTree(tree: unknown, swap: (node: unknown) => unknown): unknown {
  const swapped = swap(tree);
  if (swapped !== KEEP) return swapped;
  const copyOf = (node: unknown): unknown => copyTree(node, swap);
  if (Array.isArray(tree)) {
    const copy: unknown[] = new Array(tree.length);
    for (const key of Object.keys(tree)) copy[Number(key)] = copyOf(tree[Number(key)]); // holes stay holes
    return copy;
  }
  if (tree instanceof Map) return new Map([...tree].map(([k, v]) => [copyOf(k), copyOf(v)]));
  if (tree instanceof Set) return new Set([...tree].map(copyOf));
  if (typeof tree !== 'object' || tree === null) return tree;
  const prototype = Object.getPrototypeOf(tree) as object | null;
  if (prototype !== Object.prototype && prototype !== null) return tree; // Date, boxed values, typed arrays
  const copy = Object.create(prototype) as object;
  for (const key of Object.keys(tree)) {
    const value = copyOf((tree as Record<string, unknown>)[key]);
    Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** A copy of `tree` with every marker replaced by a fresh hostile value or a built error. */
export function materialize(tree: unknown): unknown {
  return copyTree(tree, (node) => {
    if (node instanceof Hostile) return makers[node.index]?.();
    if (node instanceof ErrorSpec) return build(node);
    return KEEP;
  });
}

export const hostileLeaf = fc.constantFrom(...makers.map((_, i) => i)).map((i) => new Hostile(i));
export const hostileKey = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'then'),
  fc.constantFrom('name', 'message', 'code', 'stack', 'cause', 'errors', 'error', 'value', 'props'),
);
const anything = (leaf: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => anythingWith(leaf, hostileKey);

export const { errorSpec } = fc.letrec<{ errorSpec: ErrorSpec; leaf: unknown }>((tie) => ({
  leaf: fc.oneof({ depthSize: 'small' }, hostileLeaf, anything(hostileLeaf), tie('errorSpec')),
  errorSpec: fc
    .record({
      kind: fc.constantFrom(
        'Error',
        'TypeError',
        'AggregateError',
        'DOMException',
        'SparkChannelError',
        'EmptyError',
        'custom',
      ),
      name: fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.constantFrom('AbortError', 'DataCloneError', '__proto__'),
      ),
      message: fc.string({ maxLength: 20 }),
      props: fc.dictionary(hostileKey, fc.oneof(anything(hostileLeaf), hostileLeaf), { maxKeys: 3 }),
      cause: fc.option(tie('leaf'), { nil: undefined }),
      errors: fc.option(fc.array(tie('leaf'), { maxLength: 3 }), { nil: undefined }),
      selfCause: fc.boolean(),
    })
    .map(({ kind, name, message, props, cause, errors, selfCause }) => {
      return new ErrorSpec(kind, name, message, props, cause, errors, selfCause);
    }),
}));

/** Anything a handler may throw, as a tree to materialize. */
export const anyThrown: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything(),
  hostileLeaf,
  anything(hostileLeaf),
  errorSpec,
);
