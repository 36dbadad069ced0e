import { formatValue } from './format-value.js';

/** Where and why a message did not match a partial pattern. */
export interface Mismatch {
  /** `.user.id`, `[2]`, `.get("key")`; empty for the message itself. */
  readonly path: string;
  /** `expected 7, got 8`, `missing (expected "Ann")`… */
  readonly reason: string;
}

/** A jest / vitest asymmetric matcher such as `expect.any(Number)`. */
interface AsymmetricMatcher {
  asymmetricMatch(actual: unknown): boolean;
}

/**
 * Matches `value` against a partial `pattern`, as jest's `toMatchObject` does: an object pattern
 * needs only the properties it lists (recursively), an array pattern needs the same length and
 * each item to match, a Date, RegExp, Map or Set pattern an equal one, a primitive the same value
 * (`Object.is`), and an asymmetric matcher (`expect.any(Number)`) its own verdict. Returns the
 * first difference, or `undefined` when it matches.
 */
export function findMismatch(value: unknown, pattern: unknown): Mismatch | undefined {
  return mismatch(value, pattern, '', new Set());
}

/** Whether `value` is a jest / vitest asymmetric matcher. */
export function isAsymmetricMatcher(value: unknown): value is AsymmetricMatcher {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<AsymmetricMatcher>).asymmetricMatch === 'function'
  );
}

function mismatch(value: unknown, pattern: unknown, path: string, seen: Set<object>): Mismatch | undefined {
  if (Object.is(value, pattern)) return undefined;
  if (isAsymmetricMatcher(pattern)) {
    let matched: boolean;
    try {
      matched = pattern.asymmetricMatch(value);
    } catch (error: unknown) {
      return { path, reason: `the matcher ${formatValue(pattern)} threw ${formatValue(error)}` };
    }
    return matched ? undefined : differs(path, pattern, value);
  }
  if (typeof pattern !== 'object' || pattern === null) return differs(path, pattern, value);
  if (typeof value !== 'object' || value === null) return differs(path, pattern, value);
  if (seen.has(pattern)) return undefined; // a cyclic pattern: this branch is being checked already
  seen.add(pattern);
  try {
    return mismatchObject(value, pattern, path, seen);
  } finally {
    seen.delete(pattern);
  }
}

function mismatchObject(
  value: object,
  pattern: object,
  path: string,
  seen: Set<object>,
): Mismatch | undefined {
  if (pattern instanceof Date) {
    const same = value instanceof Date && Object.is(value.getTime(), pattern.getTime());
    return same ? undefined : differs(path, pattern, value);
  }
  if (pattern instanceof RegExp) {
    const same = value instanceof RegExp && value.source === pattern.source && value.flags === pattern.flags;
    return same ? undefined : differs(path, pattern, value);
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(value)) return differs(path, pattern, value);
    if (value.length !== pattern.length) {
      return {
        path,
        reason: `expected ${count(pattern.length)}, got ${count(value.length)}: ${formatValue(value)}`,
      };
    }
    for (let i = 0; i < pattern.length; i++) {
      const found = mismatch(value[i], pattern[i], `${path}[${i}]`, seen);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (pattern instanceof Map) {
    if (!(value instanceof Map) || value.size !== pattern.size) return differs(path, pattern, value);
    for (const [key, item] of pattern) {
      const at = `${path}.get(${formatValue(key)})`;
      if (!value.has(key)) return { path: at, reason: `missing (expected ${formatValue(item)})` };
      const found = mismatch(value.get(key), item, at, seen);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (pattern instanceof Set) {
    const same =
      value instanceof Set && value.size === pattern.size && [...pattern].every((item) => value.has(item));
    return same ? undefined : differs(path, pattern, value);
  }
  const prototype: unknown = Object.getPrototypeOf(pattern);
  if (prototype !== Object.prototype && prototype !== null && Object.getPrototypeOf(value) !== prototype) {
    return differs(path, pattern, value); // an instance of a class matches instances of that class only
  }
  for (const key of Reflect.ownKeys(pattern)) {
    const descriptor = Object.getOwnPropertyDescriptor(pattern, key);
    if (descriptor?.enumerable !== true) continue;
    const expected: unknown = (pattern as Record<PropertyKey, unknown>)[key];
    const at = `${path}${pathKey(key)}`;
    if (!(key in value)) {
      if (expected === undefined) continue; // `{ a: undefined }` also matches a message without `a`
      return { path: at, reason: `missing (expected ${formatValue(expected)})` };
    }
    const found = mismatch((value as Record<PropertyKey, unknown>)[key], expected, at, seen);
    if (found !== undefined) return found;
  }
  return undefined;
}

function differs(path: string, expected: unknown, actual: unknown): Mismatch {
  return { path, reason: `expected ${formatValue(expected)}, got ${formatValue(actual)}` };
}

function count(n: number): string {
  return n === 1 ? '1 item' : `${n} items`;
}

function pathKey(key: string | symbol): string {
  if (typeof key === 'symbol') return `[${key.toString()}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
