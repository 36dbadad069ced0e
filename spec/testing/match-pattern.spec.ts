import { findMismatch } from '../../lib/testing/internal/match-pattern.js';

// Partial patterns match as jest's toMatchObject does, and say where they differ.
describe('findMismatch', () => {
  it.each<[string, unknown, unknown]>([
    ['the same primitive', 'ping', 'ping'],
    ['NaN against NaN', NaN, NaN],
    ['a subset of the properties', { type: 'GetUser', id: 7, name: 'Ada' }, { type: 'GetUser' }],
    ['nested subsets', { user: { id: 7, name: 'Ada' }, at: 1 }, { user: { id: 7 } }],
    ['an array item by item, each a subset', [{ id: 1, x: 1 }, { id: 2 }], [{ id: 1 }, { id: 2 }]],
    ['an equal Date', { at: new Date(5) }, { at: new Date(5) }],
    ['an equal RegExp', /a/g, /a/g],
    ['an equal Map, values as subsets', new Map([['k', { a: 1, b: 2 }]]), new Map([['k', { a: 1 }]])],
    ['an equal Set', new Set([1, 2]), new Set([2, 1])],
    [
      'an instance of the same class',
      new (class A {
        x = 1;
      })(),
      { x: 1 },
    ],
    ['an undefined property against a missing one', { a: 1 }, { a: 1, b: undefined }],
    [
      'an asymmetric matcher',
      { id: 42, name: 'Ada' },
      { id: expect.any(Number), name: expect.stringMatching(/^A/) },
    ],
    ['the same object', globalThis, globalThis],
    ['a symbol key', { [Symbol.for('k')]: 1, a: 2 }, { [Symbol.for('k')]: 1 }],
    [
      'a pattern whose non-enumerable keys are ignored',
      { a: 1 },
      Object.defineProperty({ a: 1 }, 'hidden', { value: 2 }),
    ],
  ])('matches %s', (_, value, pattern) => {
    expect(findMismatch(value, pattern)).toBeUndefined();
  });

  it.each<[string, unknown, unknown, string, string]>([
    ['another primitive', 'pong', 'ping', '', 'expected "ping", got "pong"'],
    [
      'a different property',
      { type: 'GetUser', id: 8 },
      { type: 'GetUser', id: 7 },
      '.id',
      'expected 7, got 8',
    ],
    ['a missing property', { type: 'GetUser' }, { id: 7 }, '.id', 'missing (expected 7)'],
    [
      'a deep difference',
      { user: { tags: ['a', 'b'] } },
      { user: { tags: ['a', 'c'] } },
      '.user.tags[1]',
      'expected "c", got "b"',
    ],
    [
      'an array of another length',
      { tags: ['a'] },
      { tags: ['a', 'b'] },
      '.tags',
      'expected 2 items, got 1 item: ["a"]',
    ],
    ['a one-item array pattern', { tags: [] }, { tags: ['a'] }, '.tags', 'expected 1 item, got 0 items: []'],
    [
      'an object where an array is expected',
      { tags: { 0: 'a' } },
      { tags: ['a'] },
      '.tags',
      'expected ["a"], got { 0: "a" }',
    ],
    [
      'a primitive where an object is expected',
      { user: 'Ada' },
      { user: { name: 'Ada' } },
      '.user',
      'expected { name: "Ada" }, got "Ada"',
    ],
    ['null where an object is expected', null, { a: 1 }, '', 'expected { a: 1 }, got null'],
    [
      'an object where a primitive is expected',
      { id: { n: 7 } },
      { id: 7 },
      '.id',
      'expected 7, got { n: 7 }',
    ],
    [
      'another Date',
      { at: new Date(6) },
      { at: new Date(5) },
      '.at',
      'expected Date(1970-01-01T00:00:00.005Z), got Date(1970-01-01T00:00:00.006Z)',
    ],
    [
      'a string where a Date is expected',
      { at: 'now' },
      { at: new Date(5) },
      '.at',
      'expected Date(1970-01-01T00:00:00.005Z), got "now"',
    ],
    ['another RegExp', /a/i, /a/g, '', 'expected /a/g, got /a/i'],
    ['a Map without the key', new Map([['j', 1]]), new Map([['k', 1]]), '.get("k")', 'missing (expected 1)'],
    ['a Map with another value', new Map([['k', 2]]), new Map([['k', 1]]), '.get("k")', 'expected 1, got 2'],
    [
      'a Map of another size',
      new Map(),
      new Map([['k', 1]]),
      '',
      'expected Map(1) { "k" => 1 }, got Map(0) {}',
    ],
    ['another Set', new Set([1, 3]), new Set([1, 2]), '', 'expected Set(2) { 1, 2 }, got Set(2) { 1, 3 }'],
    [
      'an instance of another class',
      { x: 1 },
      new (class Point {
        x = 1;
      })(),
      '',
      'expected Point { x: 1 }, got { x: 1 }',
    ],
    ['a key that needs quotes', { 'a-b': 1 }, { 'a-b': 2 }, '["a-b"]', 'expected 2, got 1'],
    ['a symbol key', { [Symbol.for('k')]: 1 }, { [Symbol.for('k')]: 2 }, '[Symbol(k)]', 'expected 2, got 1'],
    [
      'an asymmetric matcher',
      { id: '42' },
      { id: expect.any(Number) },
      '.id',
      'expected Any<Number>, got "42"',
    ],
  ])('reports %s', (_, value, pattern, path, reason) => {
    expect(findMismatch(value, pattern)).toEqual({ path, reason });
  });

  it('reports a matcher that throws', () => {
    const throwing = {
      asymmetricMatch: (): boolean => {
        throw new Error('boom');
      },
      toAsymmetricMatcher: () => 'Boom',
    };
    expect(findMismatch({ a: 1 }, { a: throwing })).toEqual({
      path: '.a',
      reason: 'the matcher Boom threw [Error: boom]',
    });
  });

  it('survives a cyclic pattern', () => {
    const pattern: { name: string; self?: unknown } = { name: 'a' };
    pattern.self = pattern;
    const value: { name: string; self?: unknown } = { name: 'a' };
    value.self = value;
    expect(findMismatch(value, pattern)).toBeUndefined();
    expect(findMismatch({ name: 'b', self: {} }, pattern)).toEqual({
      path: '.name',
      reason: 'expected "a", got "b"',
    });
  });
});
