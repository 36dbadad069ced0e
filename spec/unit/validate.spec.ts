import {
  checkAbortSignal,
  checkOptions,
  checkPositiveInteger,
  checkPositiveIntegerOrInfinity,
  checkPositiveNumber,
  describe as describeValue,
  failure,
} from '../../lib/internal/validate.js';
import { SparkChannelError } from '../../lib/index.js';

/** Runs `fn` and returns what it threw. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error: unknown) {
    return error;
  }
  throw new Error('expected a throw');
}

/** `%p`-friendly labels: jest prints NaN, -0 and Infinity as they are. */
const notNumbers: unknown[] = ['3', null, undefined, true, {}, [], () => 1, 3n, new Number(3)];

describe('describe()', () => {
  it.each<[unknown, string]>([
    [null, 'null'],
    [undefined, 'undefined'],
    [0, '0'],
    [-1, '-1'],
    [1.5, '1.5'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
    [true, 'true'],
    [3n, '3'],
    ['3', '"3"'],
    ['', '""'],
    ['say "hi"', '"say \\"hi\\""'],
    [Symbol('s'), 'Symbol(s)'],
    [() => 1, 'a function'],
    [class Foo {}, 'a function'],
    [{ a: 1 }, 'an object ([object Object])'],
    [[1, 2], 'an object ([object Array])'],
    [new Date(0), 'an object ([object Date])'],
    [Object.create(null), 'an object ([object Object])'],
  ])('renders %p as %p', (value, rendered) => {
    expect(describeValue(value)).toBe(rendered);
  });

  it('quotes strings, so "3" and 3 read differently', () => {
    expect(describeValue('3')).not.toBe(describeValue(3));
  });

  it('never dumps an object’s contents', () => {
    expect(describeValue({ secret: 'hunter2' })).not.toMatch(/hunter2/);
  });
});

describe('checkPositiveIntegerOrInfinity', () => {
  it.each([1, 2, 32, Number.MAX_SAFE_INTEGER, Infinity])('accepts %p and returns it', (value) => {
    expect(checkPositiveIntegerOrInfinity('capacity', value)).toBe(value);
  });

  it.each([0, -0, -1, 1.5, NaN, -Infinity, Number.EPSILON, ...notNumbers])(
    'throws a RangeError naming the argument for %p',
    (value) => {
      const error = thrownBy(() => checkPositiveIntegerOrInfinity('capacity', value));
      expect(error).toBeInstanceOf(RangeError);
      expect((error as RangeError).message).toBe(
        `Expected \`capacity\` to be a positive integer or Infinity, got ${describeValue(value)}`,
      );
    },
  );
});

describe('checkPositiveInteger', () => {
  it.each([1, 2, 1_000, Number.MAX_SAFE_INTEGER])('accepts %p and returns it', (value) => {
    expect(checkPositiveInteger('concurrency', value)).toBe(value);
  });

  it.each([0, -0, -1, 1.5, NaN, Infinity, -Infinity, ...notNumbers])(
    'throws a RangeError naming the argument for %p',
    (value) => {
      const error = thrownBy(() => checkPositiveInteger('rateLimit.limit', value));
      expect(error).toBeInstanceOf(RangeError);
      expect((error as RangeError).message).toBe(
        `Expected \`rateLimit.limit\` to be a positive integer, got ${describeValue(value)}`,
      );
    },
  );
});

describe('checkPositiveNumber', () => {
  describe('where Infinity means none (timeoutMs)', () => {
    it.each([1, 1.5, 0.001, Number.MIN_VALUE, 1e9, Infinity])('accepts %p and returns it', (value) => {
      expect(checkPositiveNumber('timeoutMs', value, true)).toBe(value);
    });

    it.each([0, -0, -1, -1.5, NaN, -Infinity, ...notNumbers])(
      'throws a RangeError naming the argument for %p',
      (value) => {
        const error = thrownBy(() => checkPositiveNumber('timeoutMs', value, true));
        expect(error).toBeInstanceOf(RangeError);
        expect((error as RangeError).message).toBe(
          `Expected \`timeoutMs\` to be a positive number or Infinity, got ${describeValue(value)}`,
        );
      },
    );
  });

  describe('where it must be finite (intervalMs)', () => {
    it.each([1, 1.5, 0.001, 1e9])('accepts %p and returns it', (value) => {
      expect(checkPositiveNumber('rateLimit.intervalMs', value, false)).toBe(value);
    });

    it.each([Infinity, 0, -1, NaN, -Infinity, ...notNumbers])(
      'throws a RangeError naming the argument for %p',
      (value) => {
        const error = thrownBy(() => checkPositiveNumber('rateLimit.intervalMs', value, false));
        expect(error).toBeInstanceOf(RangeError);
        expect((error as RangeError).message).toBe(
          `Expected \`rateLimit.intervalMs\` to be a positive finite number, got ${describeValue(value)}`,
        );
      },
    );
  });
});

describe('checkOptions', () => {
  it.each<unknown>([undefined, {}, { timeoutMs: 5 }, Object.create(null), []])('accepts %p', (value) => {
    expect(() => checkOptions('options', value)).not.toThrow();
  });

  it.each<unknown>([null, 5, 'timeoutMs', true, () => ({})])(
    'throws a TypeError naming the argument for %p',
    (value) => {
      const error = thrownBy(() => checkOptions('rateLimit', value));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as TypeError).message).toBe(
        `Expected \`rateLimit\` to be an object, got ${describeValue(value)}`,
      );
    },
  );
});

describe('checkAbortSignal', () => {
  it('accepts an AbortSignal, live or aborted, and returns it', () => {
    const live = new AbortController().signal;
    const aborted = AbortSignal.abort();

    expect(checkAbortSignal('signal', live)).toBe(live);
    expect(checkAbortSignal('signal', aborted)).toBe(aborted);
  });

  it.each<unknown>([
    undefined,
    null,
    {},
    { aborted: false, addEventListener: () => undefined },
    new AbortController(),
  ])('throws a TypeError naming the argument for %p', (value) => {
    const error = thrownBy(() => checkAbortSignal('signal', value));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe(
      `Expected \`signal\` to be an AbortSignal, got ${describeValue(value)}`,
    );
  });
});

describe('failure()', () => {
  it('builds a SparkChannelError with the code and message, and no cause', () => {
    const error = failure('TIMEOUT', 'Request timed out after 5 ms');

    expect(error).toBeInstanceOf(SparkChannelError);
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toBe('Request timed out after 5 ms');
    expect('cause' in error).toBe(false);
  });

  it('keeps a given cause by reference, even a falsy one', () => {
    const cause = new Error('underlying');

    expect(failure('CANCELLED', 'm', cause).cause).toBe(cause);
    expect(failure('CANCELLED', 'm', null).cause).toBeNull();
    expect(failure('CANCELLED', 'm', 0).cause).toBe(0);
  });
});
