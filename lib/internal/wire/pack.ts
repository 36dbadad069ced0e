// The worker's end of the wire for spark-channel/web-worker: what a handler threw, packed so that
// it survives structured clone (the `Packed` shapes lib/internal/wire/envelope.ts revives), and the
// abort reasons the main thread packs with `packReason`, rebuilt.
//
// It is the TypeScript twin of PACK_SOURCE (lib/worker/thread-source.ts), which Node threads run
// as text and cannot import; spec/web-worker/pack-parity.spec.ts runs both over the same fuzzed
// values and requires the same output, so the two cannot drift apart. The only difference is the
// clone check: `structuredClone` (what `postMessage` does) in place of node:v8's round trip.
import type { Packed, PackedError } from './envelope.js';

const OWN: ReadonlySet<string> = new Set(['name', 'message', 'stack', 'cause', 'errors']);
// Bounds on the work, whatever the input claims (an aggregate of a billion errors, a cause chain
// 10 000 deep): the same as the Node threads'.
const MAX_DEPTH = 16;
const MAX_ERRORS = 256;
const MAX_ENTRIES = 1000;

interface Budget {
  readonly seen: Map<unknown, Packed>;
  errors: number;
}

type Read = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** A packed error under construction (the fields `PackedError` declares read-only). */
type Building = { -readonly [K in keyof PackedError]: PackedError[K] } & {
  props: Record<string, unknown>;
  errors?: Packed[];
};

/**
 * Packs a thrown value without trusting it: an error-like value as a `PackedError`, anything else
 * as a `PackedValue` (the value when it clones, its description when it does not). Never throws;
 * what it returns clones.
 */
export function pack(thrown: unknown): Packed {
  return packAt(thrown, 0, { seen: new Map(), errors: 0 });
}

function packAt(value: unknown, depth: number, budget: Budget): Packed {
  if (!errorLike(value)) return packValue(value);
  const known = budget.seen.get(value);
  if (known !== undefined) return known;
  if (depth > MAX_DEPTH || budget.errors >= MAX_ERRORS) return { value: describe(value) };
  budget.errors++;
  const packed: Building = { error: true, name: 'Error', message: '', props: {} };
  // Registered before its cause and errors are packed, so that a cycle ends here.
  budget.seen.set(value, packed);
  const name = read(value, 'name');
  if (name.ok && typeof name.value === 'string') packed.name = name.value;
  const message = read(value, 'message');
  if (!message.ok) packed.message = `(the message could not be read: ${describe(message.error)})`;
  else if (message.value !== undefined) {
    packed.message = typeof message.value === 'string' ? message.value : describe(message.value);
  }
  const stack = read(value, 'stack');
  if (stack.ok && typeof stack.value === 'string') packed.stack = stack.value;
  if (attempt(() => value instanceof DOMException) === true) packed.domException = true;
  for (const key of attempt(() => Object.keys(value as object)) ?? []) {
    if (OWN.has(key)) continue;
    const property = read(value, key);
    // defineProperty, not assignment: a key named __proto__ stays a key.
    Object.defineProperty(packed.props, key, {
      value: !property.ok
        ? `(could not be read: ${describe(property.error)})`
        : cloneable(property.value)
          ? property.value
          : describe(property.value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  if (attempt(() => 'cause' in (value as object)) === true) {
    const cause = read(value, 'cause');
    packed.cause = cause.ok
      ? packAt(cause.value, depth + 1, budget)
      : { value: `(the cause could not be read: ${describe(cause.error)})` };
  }
  const errors = read(value, 'errors');
  if (errors.ok && attempt(() => Array.isArray(errors.value)) === true) {
    const length = read(errors.value, 'length');
    const count = length.ok && typeof length.value === 'number' ? Math.min(length.value, MAX_ENTRIES) : 0;
    const list: Packed[] = [];
    packed.errors = list;
    for (let i = 0; i < count; i++) {
      const inner = read(errors.value, i);
      list.push(
        inner.ok
          ? packAt(inner.value, depth + 1, budget)
          : { value: `(could not be read: ${describe(inner.error)})` },
      );
    }
  }
  return packed;
}

function errorLike(value: unknown): boolean {
  return (
    attempt(
      () =>
        value instanceof Error ||
        (value !== null && typeof value === 'object' && 'message' in value && 'name' in value),
    ) === true
  );
}

function packValue(value: unknown): Packed {
  return cloneable(value) ? { value } : { value: describe(value) };
}

function read(object: unknown, key: string | number): Read {
  try {
    return { ok: true, value: (object as Record<string | number, unknown>)[key] };
  } catch (error: unknown) {
    return { ok: false, error };
  }
}

function attempt<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}

/** Whether `postMessage` could carry `value`: its own algorithm, structured clone. */
function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/** A value as text, for what cannot cross: whatever it is, this returns a string. */
export function describe(value: unknown): string {
  try {
    if (value instanceof Error) return `${String(value.name)}: ${String(value.message)}`;
  } catch {
    // A Proxy's getPrototypeOf trap may throw: describe it as a plain value below.
  }
  try {
    return String(value);
  } catch {
    // A toString that throws, or an object with no prototype and a non-function toString.
  }
  try {
    return Object.prototype.toString.call(value);
  } catch {
    // A revoked Proxy.
  }
  return `(an unreadable ${typeof value})`;
}

/**
 * Rebuilds an abort reason the main thread packed with `packReason`: an `Error` (or a
 * `DOMException`) with the same name, message and string code, or the string or `undefined` it
 * was. What cannot be read aborts with no reason rather than throw in the message listener.
 */
export function reviveReason(packed: unknown): unknown {
  try {
    if (packed === null || typeof packed !== 'object') return undefined;
    const fields = packed as Record<string, unknown>;
    if (fields['error'] !== true) return fields['value'];
    const name = typeof fields['name'] === 'string' ? fields['name'] : 'Error';
    const message = typeof fields['message'] === 'string' ? fields['message'] : '';
    if (fields['domException'] === true) return new DOMException(message, name);
    const error: Error & { code?: string } = new Error(message);
    error.name = name;
    const props = fields['props'];
    const code = typeof props === 'object' && props !== null ? (props as { code?: unknown }).code : undefined;
    if (typeof code === 'string') error.code = code;
    return error;
  } catch {
    return undefined;
  }
}
