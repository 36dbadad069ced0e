import { formatValue } from '../../lib/testing/internal/format-value.js';

// The renderer of failure messages: short, JSON-like, and it never throws whatever it is given.
describe('formatValue', () => {
  it.each<[string, unknown, string]>([
    ['a string, JSON-quoted', 'say "hi"\n', '"say \\"hi\\"\\n"'],
    ['a number', 42, '42'],
    ['negative zero', -0, '-0'],
    ['NaN and Infinity', [NaN, -Infinity], '[NaN, -Infinity]'],
    ['a bigint', 10n, '10n'],
    ['booleans, null and undefined', [true, null, undefined], '[true, null, undefined]'],
    ['a symbol', Symbol('tag'), 'Symbol(tag)'],
    ['a named function', function load() {}, '[Function load]'],
    ['an anonymous function', [() => 1], '[[Function (anonymous)]]'],
    ['a class', class UserService {}, '[Function UserService]'],
    ['an empty object and array', [{}, []], '[{}, []]'],
    ['a plain object', { type: 'GetUser', id: 7 }, '{ type: "GetUser", id: 7 }'],
    ['only enumerable properties', Object.defineProperty({ a: 1 }, 'hidden', { value: 2 }), '{ a: 1 }'],
    [
      'keys that need quotes, index keys and symbol keys',
      { 'a-b': 1, 0: 2, [Symbol('s')]: 3 },
      '{ 0: 2, "a-b": 1, [Symbol(s)]: 3 }',
    ],
    ['a Date', new Date(0), 'Date(1970-01-01T00:00:00.000Z)'],
    ['an invalid Date', new Date(NaN), 'Date(Invalid)'],
    ['a RegExp', /ab+c/gi, '/ab+c/gi'],
    ['an Error', new TypeError('bad input'), '[TypeError: bad input]'],
    ['an error with a code', Object.assign(new Error('late'), { code: 'TIMEOUT' }), '[Error TIMEOUT: late]'],
    [
      'a Map',
      new Map<unknown, unknown>([
        ['a', 1],
        [{ k: 1 }, [2]],
      ]),
      'Map(2) { "a" => 1, { k: 1 } => [2] }',
    ],
    ['a Set', new Set([1, 'two']), 'Set(2) { 1, "two" }'],
    ['an empty Map', new Map(), 'Map(0) {}'],
    ['a typed array', new Uint8Array([1, 2, 3]), 'Uint8Array(3) [1, 2, 3]'],
    ['a DataView', new DataView(new ArrayBuffer(4)), 'DataView(4)'],
    ['a promise', Promise.resolve(1), 'Promise {…}'],
    ['a WeakMap', new WeakMap(), 'WeakMap {…}'],
    [
      'a class instance',
      new (class Point {
        x = 1;
        y = 2;
      })(),
      'Point { x: 1, y: 2 }',
    ],
    [
      'a null-prototype object',
      Object.assign(Object.create(null) as object, { a: 1 }),
      '[Object: null prototype] { a: 1 }',
    ],
    ['an Array subclass', new (class Stack extends Array<number> {})(), 'Stack(0) []'],
    ['an asymmetric matcher', [expect.any(Number)], '[Any<Number>]'],
    ['a Buffer (a Uint8Array subclass)', Buffer.from('hi'), 'Buffer(2) [104, 105]'],
    ['a BigInt64Array', new BigInt64Array([1n]), 'BigInt64Array(1) [1n]'],
    ['a null-prototype array', Object.setPrototypeOf([1], null) as unknown, 'Array(1) [1]'],
    ['a null-prototype object too deep to show', [[[[Object.create(null) as object]]]], '[[[[[Object]]]]]'],
    [
      'a function whose name is not a string',
      Object.defineProperty(() => 1, 'name', { value: 5 }),
      '[Function (anonymous)]',
    ],
    [
      'a null-prototype asymmetric matcher',
      Object.assign(Object.create(null) as object, { asymmetricMatch: () => true }),
      'Object<…>',
    ],
  ])('renders %s', (_, value, expected) => {
    expect(formatValue(value)).toBe(expected);
  });

  it('marks cycles instead of recursing forever', () => {
    const node: { name: string; self?: unknown; list: unknown[] } = { name: 'a', list: [] };
    node.self = node;
    node.list.push(node);
    expect(formatValue(node)).toBe('{ name: "a", list: [[Circular]], self: [Circular] }');
  });

  it('renders a value met twice, but not in a cycle, twice', () => {
    const shared = { id: 1 };
    expect(formatValue([shared, shared])).toBe('[{ id: 1 }, { id: 1 }]');
  });

  it('cuts deep nesting, long strings, long lists and long output', () => {
    expect(formatValue({ a: { b: { c: { d: { e: 1 } } } } })).toBe('{ a: { b: { c: { d: [Object] } } } }');
    expect(formatValue([[[[[1]]]]])).toBe('[[[[[Array]]]]]');
    expect(formatValue('x'.repeat(150))).toBe(`"${'x'.repeat(100)}"… (150 characters)`);
    expect(formatValue(Array.from({ length: 25 }, (_, i) => i))).toBe(
      `[${Array.from({ length: 20 }, (_, i) => i).join(', ')}, … 5 more]`,
    );
    const long = formatValue(Array.from({ length: 20 }, () => 'y'.repeat(90)));
    expect(long).toHaveLength(300);
    expect(long.endsWith('…')).toBe(true);
    expect(formatValue({ a: [1, 2, 3] }, { depth: 1, items: 2, length: 12 })).toBe(
      '{ a: [Array] }'.slice(0, 11) + '…',
    );
  });

  it('stops reading entries once the output is long enough, however many there are', () => {
    let reads = 0;
    const items = Array.from({ length: 10_000 }, () => 'z'.repeat(50));
    const counted = new Proxy(items, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    expect(formatValue([counted, counted], { items: 10_000 })).toHaveLength(300);
    expect(reads).toBeLessThan(10); // 300 characters' worth, not 20,000 strings rendered and cut
  });

  it('never calls getters and never throws', () => {
    let called = false;
    const withAccessors = {
      get lazy() {
        called = true;
        return 1;
      },
      set onlySet(_: number) {},
      get both() {
        return 1;
      },
      set both(_: number) {},
    };
    expect(formatValue(withAccessors)).toBe('{ lazy: [Getter], onlySet: [Setter], both: [Getter/Setter] }');
    expect(called).toBe(false);

    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(formatValue({ proxy })).toBe('{ proxy: [unrenderable object] }');

    const hostileError = new Error('x');
    Object.defineProperty(hostileError, 'message', {
      get() {
        throw new Error('no');
      },
    });
    expect(formatValue(hostileError)).toBe('[Error: ]');

    const hostileName = () => undefined;
    Object.defineProperty(hostileName, 'name', {
      get() {
        throw new Error('no');
      },
    });
    expect(formatValue(hostileName)).toBe('[Function (anonymous)]');
    const weirdPrototype = Object.create({ constructor: 'not a function' }) as object;
    expect(formatValue(weirdPrototype)).toBe('{}');
    const anonymousClass = new (class {})();
    expect(formatValue(anonymousClass)).toBe('{}');
  });

  it('names an asymmetric matcher without toAsymmetricMatcher() generically', () => {
    class Matcher {
      asymmetricMatch(): boolean {
        return true;
      }
    }
    const throwing = {
      asymmetricMatch: () => true,
      toAsymmetricMatcher: () => {
        throw new Error('no');
      },
    };
    expect(formatValue([new Matcher(), throwing])).toBe('[Matcher<…>, Object<…>]');
  });

  it('cuts a long error message', () => {
    expect(formatValue(new Error('e'.repeat(120)))).toBe(`[Error: ${'e'.repeat(100)}…]`);
  });
});
