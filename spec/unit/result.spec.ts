import { expectTypeOf } from 'expect-type';
import fc from 'fast-check';

import {
  err,
  intoResult,
  type IntoResult,
  isErr,
  isOk,
  ok,
  type Result,
  resultFrom,
  tryResult,
  unwrap,
  unwrapOr,
} from '../../lib/index.js';

/** Runs `fn` and returns what it threw (or a marker when it did not throw). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error: unknown) {
    return error;
  }
  return NOTHING_THROWN;
}
const NOTHING_THROWN = Symbol('nothing thrown');

const nonErrorValues: unknown[] = ['a string', 42, 0, false, null, undefined, { code: 'E' }, Symbol('s')];

describe('ok / err', () => {
  it('ok(value) is { ok: true, value }', () => {
    expect(ok(42)).toStrictEqual({ ok: true, value: 42 });
    expect(ok(undefined)).toStrictEqual({ ok: true, value: undefined });
  });

  it('err(error) is { ok: false, error }, keeping the error by reference', () => {
    const error = new Error('no such key');
    const result = err(error);

    expect(result).toStrictEqual({ ok: false, error });
    expect(!result.ok && result.error).toBe(error);
  });

  it('are typed as one-sided results', () => {
    expectTypeOf(ok(1)).toEqualTypeOf<Result<number, never>>();
    expectTypeOf(err('boom')).toEqualTypeOf<Result<never, string>>();
    expectTypeOf(ok(1)).toMatchTypeOf<Result<number, Error>>();
    expectTypeOf(err(new Error())).toMatchTypeOf<Result<number, Error>>();
  });
});

describe('isOk / isErr', () => {
  it('tell the two cases apart', () => {
    expect(isOk(ok(1))).toBe(true);
    expect(isErr(ok(1))).toBe(false);
    expect(isOk(err(1))).toBe(false);
    expect(isErr(err(1))).toBe(true);
  });

  it('do not confuse falsy payloads with failure', () => {
    for (const value of [0, '', false, null, undefined]) {
      expect(isOk(ok(value))).toBe(true);
      expect(isErr(err(value))).toBe(true);
    }
  });

  it('narrow the result', () => {
    const result: Result<number, string> = Math.random() > 2 ? ok(1) : err('e');
    if (isOk(result)) expectTypeOf(result.value).toEqualTypeOf<number>();
    if (isErr(result)) expectTypeOf(result.error).toEqualTypeOf<string>();
    expect(isErr(result)).toBe(true);
  });
});

describe('unwrap', () => {
  it('returns the value of a successful result', () => {
    const value = { id: 7 };
    expect(unwrap(ok(value))).toBe(value);
    expect(unwrap(ok(undefined))).toBeUndefined();
  });

  it('throws the error of a failed result unchanged', () => {
    const error = new TypeError('bad');
    expect(thrownBy(() => unwrap(err(error)))).toBe(error);
  });

  it.each(nonErrorValues)('throws a non-Error value (%p) as it is, without wrapping it', (value) => {
    expect(thrownBy(() => unwrap(err(value)))).toBe(value);
  });

  it('is typed as the success type', () => {
    expectTypeOf(unwrap(ok(1) as Result<number, string>)).toEqualTypeOf<number>();
  });
});

describe('unwrapOr', () => {
  it('returns the value of a successful result, even a falsy one', () => {
    expect(unwrapOr(ok(5), 0)).toBe(5);
    expect(unwrapOr(ok(0), 9)).toBe(0);
    expect(unwrapOr(ok(undefined), 9)).toBeUndefined();
  });

  it('returns the fallback for a failed result, without throwing', () => {
    expect(unwrapOr(err(new Error('x')), 'fallback')).toBe('fallback');
    expect(unwrapOr(err(undefined), null)).toBeNull();
  });

  it('is typed as the union of the value and the fallback', () => {
    expectTypeOf(unwrapOr(ok(1) as Result<number, Error>, 'none')).toEqualTypeOf<number | string>();
  });
});

describe('tryResult', () => {
  it('captures a returned value as ok', () => {
    expect(tryResult(() => JSON.parse('{"a":1}') as unknown)).toStrictEqual({ ok: true, value: { a: 1 } });
  });

  it('captures a thrown error as err, unchanged', () => {
    const error = new SyntaxError('bad json');
    const result = tryResult(() => {
      throw error;
    });
    expect(result).toStrictEqual({ ok: false, error });
    expect(!result.ok && result.error).toBe(error);
  });

  it.each(nonErrorValues)('captures a thrown non-Error value (%p) unchanged', (value) => {
    const result = tryResult(() => {
      throw value;
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toBe(value);
  });

  it('calls the function exactly once, synchronously', () => {
    const fn = jest.fn(() => 1);
    tryResult(fn);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('is typed with an unknown error', () => {
    expectTypeOf(tryResult(() => 'x')).toEqualTypeOf<Result<string, unknown>>();
  });
});

describe('resultFrom', () => {
  it('resolves a fulfilled promise to ok', async () => {
    await expect(resultFrom(Promise.resolve(3))).resolves.toStrictEqual({ ok: true, value: 3 });
  });

  it('resolves a rejected promise to err with the rejection reason unchanged', async () => {
    const error = new Error('down');
    const result = await resultFrom(Promise.reject(error));
    expect(result).toStrictEqual({ ok: false, error });
    expect(!result.ok && result.error).toBe(error);
  });

  it.each(nonErrorValues)('resolves a rejection with a non-Error value (%p) unchanged', async (value) => {
    const result = await resultFrom(Promise.reject(value));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toBe(value);
  });

  it('accepts any thenable', async () => {
    // A bare thenable: `then` calls back and returns nothing, as minimal implementations do.
    const thenable = { then: (onFulfilled: (value: string) => void) => onFulfilled('t') };
    await expect(resultFrom(thenable as unknown as PromiseLike<string>)).resolves.toStrictEqual({
      ok: true,
      value: 't',
    });
  });

  it('accepts a thenable that rejects', async () => {
    const error = new Error('no');
    const thenable = { then: (_: unknown, onRejected: (reason: unknown) => void) => onRejected(error) };
    await expect(resultFrom(thenable as unknown as PromiseLike<string>)).resolves.toStrictEqual({
      ok: false,
      error,
    });
  });

  it('resolves a real promise to the same shape', async () => {
    const thenable: PromiseLike<string> = Promise.resolve('t');
    await expect(resultFrom(thenable)).resolves.toStrictEqual({ ok: true, value: 't' });
  });

  it('never rejects, even for a thenable whose then() throws', async () => {
    const error = new Error('then exploded');
    const thenable: PromiseLike<never> = {
      then: () => {
        throw error;
      },
    };
    await expect(resultFrom(thenable)).resolves.toStrictEqual({ ok: false, error });
  });

  it('never rejects, whatever the promise settles with (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), fc.boolean(), async (value, fulfil) => {
        const promise = fulfil ? Promise.resolve(value) : Promise.reject(value);
        const result = await resultFrom(promise);
        expect(result).toStrictEqual(fulfil ? { ok: true, value } : { ok: false, error: value });
      }),
    );
  });

  it('is typed with an unknown error', () => {
    expectTypeOf(resultFrom(Promise.resolve(1))).toEqualTypeOf<Promise<Result<number, unknown>>>();
  });
});

describe('intoResult', () => {
  class Outcome implements IntoResult<number, string> {
    constructor(private readonly n: number) {}
    intoResult(): Result<number, string> {
      return this.n >= 0 ? ok(this.n) : err(`negative: ${this.n}`);
    }
  }

  it('calls intoResult() of an IntoResult object and returns its result as is', () => {
    expect(intoResult(new Outcome(1))).toStrictEqual({ ok: true, value: 1 });
    expect(intoResult(new Outcome(-1))).toStrictEqual({ ok: false, error: 'negative: -1' });

    const produced = ok(5);
    const source = { intoResult: jest.fn(() => produced) };
    expect(intoResult(source)).toBe(produced);
    expect(source.intoResult).toHaveBeenCalledTimes(1);
  });

  it('calls intoResult() with the object as `this`', () => {
    const source = {
      value: 9,
      intoResult(this: { value: number }): Result<number, never> {
        return ok(this.value);
      },
    };
    expect(intoResult(source)).toStrictEqual({ ok: true, value: 9 });
  });

  it('returns a plain Result unchanged', () => {
    const success = ok('v');
    const failure = err(new Error('e'));
    expect(intoResult(success)).toBe(success);
    expect(intoResult(failure)).toBe(failure);
  });

  it('lets an error thrown by intoResult() propagate unchanged', () => {
    const error = new Error('cannot convert');
    const source: IntoResult<number, string> = {
      intoResult: () => {
        throw error;
      },
    };
    expect(thrownBy(() => intoResult(source))).toBe(error);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a string', 'ok'],
    ['a boolean', true],
    ['an empty object', {}],
    ['an object whose ok is not a boolean', { ok: 'yes', value: 1 }],
    ['an object whose intoResult is not a function', { intoResult: 1 }],
    ['an array', []],
    ['a function', () => ok(1)],
  ])('throws a TypeError naming `value` for %s', (_label, value) => {
    const thrown = thrownBy(() => intoResult(value as Result<unknown, unknown>));
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as TypeError).message).toMatch(/`value`/);
  });

  it('is typed as the Result of what it converts', () => {
    expectTypeOf(intoResult(new Outcome(1))).toEqualTypeOf<Result<number, string>>();
    // @ts-expect-error a value that is neither a Result nor an IntoResult does not compile
    expect(() => intoResult(42)).toThrow(TypeError);
  });
});
