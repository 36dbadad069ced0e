// What crosses the thread boundary: errors rebuilt on the main thread, abort reasons packed for
// the worker.
import { EmptyError } from 'rxjs';

import { SparkChannelError } from '../../lib/index.js';
import { isSparkChannelError } from '../../lib/index.js';
import { openEnvelope, packReason, revive } from '../../lib/internal/wire/envelope.js';

describe('revive', () => {
  it('returns a packed plain value as it is', () => {
    expect(revive({ value: 42 })).toBe(42);
    expect(revive({ value: undefined })).toBeUndefined();
  });

  it('rebuilds an error with its name, message, own properties and cause, keeping its stack when known', () => {
    const error = revive({
      error: true,
      name: 'ValidationError',
      message: 'bad',
      props: { code: 'E_BAD' },
      cause: { value: 'why' },
    }) as Error & { code: string };
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'ValidationError', message: 'bad', code: 'E_BAD', cause: 'why' });
    expect(error.stack).toContain('wire'); // no stack from the thread: the local one stays
    expect(Object.keys(error)).toEqual(['code']);
  });

  it('rebuilds SparkChannelError only for a known code', () => {
    const known = revive({
      error: true,
      name: 'SparkChannelError',
      message: 'm',
      props: { code: 'TIMEOUT' },
    });
    expect(known).toBeInstanceOf(SparkChannelError);
    const unknown = revive({ error: true, name: 'SparkChannelError', message: 'm', props: { code: 'NOPE' } });
    expect(unknown).not.toBeInstanceOf(SparkChannelError);
    expect(unknown).toMatchObject({ name: 'SparkChannelError', code: 'NOPE' });
  });

  it('rebuilds EmptyError, built-in classes and aggregates', () => {
    expect(revive({ error: true, name: 'EmptyError', message: 'x', props: {} })).toBeInstanceOf(EmptyError);
    expect(revive({ error: true, name: 'URIError', message: 'x', props: {} })).toBeInstanceOf(URIError);
    const aggregate = revive({
      error: true,
      name: 'AggregateError',
      message: 'many',
      props: {},
      errors: [{ value: 1 }, { error: true, name: 'Error', message: 'two', props: {} }],
    }) as Error & { errors: unknown[] };
    expect(aggregate).toBeInstanceOf(AggregateError);
    expect(aggregate.errors).toEqual([1, expect.objectContaining({ message: 'two' })]);
  });

  it('rebuilds a DOMException from its name and message, its code from the name, never from props', () => {
    const error = revive({
      error: true,
      name: 'TimeoutError',
      message: 'late',
      stack: 'TimeoutError: late\n    at the worker',
      props: { code: 99, extra: 'kept' },
      cause: { value: 'why' },
      domException: true,
    }) as DOMException & { extra: string };
    expect(error).toBeInstanceOf(DOMException);
    expect(error).toMatchObject({
      name: 'TimeoutError',
      message: 'late',
      code: 23,
      extra: 'kept',
      cause: 'why',
    });
    expect(error.stack).toBe('TimeoutError: late\n    at the worker');
  });

  it('rebuilds errors that refer to each other as errors that do', () => {
    const packed: Record<string, unknown> = {
      error: true,
      name: 'AggregateError',
      message: 'loop',
      props: {},
    };
    packed['cause'] = packed;
    packed['errors'] = [packed, { value: 2 }];
    const error = revive(structuredClone(packed)) as AggregateError;
    expect(error.cause).toBe(error);
    expect(error.errors).toEqual([error, 2]);
  });

  it('gives names such as constructor, toString or __proto__ no class of their own', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const error = revive({ error: true, name, message: 'm', props: {} }) as Error;
      expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
      expect(error.name).toBe(name);
    }
  });

  it('keeps an own __proto__ key of props as an own property, changing no prototype', () => {
    const props = JSON.parse('{"__proto__": {"polluted": true}, "code": "E"}') as Record<string, unknown>;
    const error = revive({ error: true, name: 'Error', message: 'm', props }) as Error & { code: string };
    expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
    expect(Object.getOwnPropertyDescriptor(error, '__proto__')?.value).toEqual({ polluted: true });
    expect(error.code).toBe('E');
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('fails a malformed packed error with RECEIVE_FAILED, saying what is wrong, the data as cause', () => {
    const base = { error: true, name: 'Error', message: 'm', props: {} };
    const cases: [unknown, RegExp][] = [
      [null, /is null, not an object/],
      [7, /is a number, not an object/],
      [{}, /neither `error: true` nor a `value`/],
      [{ ...base, name: 42 }, /`name` that is a number/],
      [{ ...base, message: ['m'] }, /`message` that is an array/],
      [{ ...base, props: 'code' }, /`props` that are a string/],
      [{ ...base, props: null }, /`props` that are null/],
      [{ ...base, stack: {} }, /`stack` that is an object/],
      [{ ...base, errors: 'many' }, /`errors` that are a string/],
    ];
    for (const [packed, why] of cases) {
      const error = revive(packed) as SparkChannelError;
      expect(isSparkChannelError(error, 'RECEIVE_FAILED')).toBe(true);
      expect(error.message).toMatch(/^The worker thread sent back a malformed error: it /);
      expect(error.message).toMatch(why);
      expect(error.cause).toBe(packed);
    }
    // Nested: the outer error is rebuilt, its malformed cause replaced.
    const outer = revive({ ...base, cause: { ...base, name: null } }) as Error;
    expect(outer.message).toBe('m');
    expect(isSparkChannelError(outer.cause, 'RECEIVE_FAILED')).toBe(true);
  });

  it('drops causes nested deeper than 32 levels, saying so', () => {
    let packed: Record<string, unknown> = { error: true, name: 'Error', message: 'level 40', props: {} };
    for (let level = 39; level >= 0; level--) {
      packed = { error: true, name: 'Error', message: `level ${level}`, props: {}, cause: packed };
    }
    let error = revive(packed) as Error;
    for (let level = 0; level <= 32; level++) {
      expect(error.message).toBe(`level ${level}`);
      error = error.cause as Error;
    }
    expect(isSparkChannelError(error, 'RECEIVE_FAILED')).toBe(true);
    expect(error.message).toMatch(/nested more than 32 deep/);
  });

  it('never throws on data that structured clone cannot produce (a Proxy), failing it with RECEIVE_FAILED', () => {
    const trap = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    const error = revive(trap) as SparkChannelError;
    expect(isSparkChannelError(error, 'RECEIVE_FAILED')).toBe(true);
    expect(error.message).toBe('The worker thread sent back an error that could not be read: trap');
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(revive({ error: true, name: 'Error', message: 'm', props: proxy })).toMatchObject({
      code: 'RECEIVE_FAILED',
      message: expect.stringMatching(/could not be read: .*revoked/),
    });
    const unprintable = new Proxy(
      {},
      {
        get(_, key) {
          if (key === 'error') throw Symbol('not even an error');
          return undefined;
        },
      },
    );
    expect((revive(unprintable) as Error).message).toMatch(/could not be read: Symbol\(not even an error\)$/);
    const hopeless = {
      error: true,
      name: 'Error',
      message: 'm',
      get props(): never {
        throw { toString: 1 };
      },
    };
    expect((revive(hopeless) as Error).message).toMatch(/could not be read: an unprintable object$/);
  });
});

describe('openEnvelope', () => {
  it('gives the value of a success and the rebuilt error of a failure', () => {
    expect(openEnvelope({ ok: true, value: 3 })).toEqual({ ok: true, value: 3 });
    const failed = openEnvelope({
      ok: false,
      error: { error: true, name: 'TypeError', message: 'x', props: {} },
    });
    expect(failed).toMatchObject({ ok: false, load: false });
    expect((failed as { error: unknown }).error).toBeInstanceOf(TypeError);
    expect(openEnvelope({ ok: false, load: true, error: { value: 'x' } })).toEqual({
      ok: false,
      load: true,
      error: 'x',
    });
  });

  it('fails anything that is not an envelope with RECEIVE_FAILED, never throwing', () => {
    for (const envelope of [undefined, null, 'ok', { ok: 'yes' }, {}, []]) {
      const reply = openEnvelope(envelope) as { ok: false; error: SparkChannelError };
      expect(reply.ok).toBe(false);
      expect(isSparkChannelError(reply.error, 'RECEIVE_FAILED')).toBe(true);
      expect(reply.error.message).toMatch(
        /^The worker thread sent back a malformed answer: it is .* without `ok`$/,
      );
    }
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const reply = openEnvelope(proxy) as { ok: false; error: SparkChannelError };
    expect(reply.error.message).toMatch(/malformed answer: it could not be read \(.*revoked\)/);
  });
});

describe('packReason', () => {
  it('packs an error with its name, message and string code only', () => {
    expect(packReason(new SparkChannelError('TIMEOUT', 'late'))).toEqual({
      error: true,
      name: 'SparkChannelError',
      message: 'late',
      props: { code: 'TIMEOUT' },
    });
    expect(packReason(Object.assign(new Error('x'), { code: 7 }))).toEqual({
      error: true,
      name: 'Error',
      message: 'x',
      props: {},
    });
  });

  it('keeps a string reason and drops any other non-error one', () => {
    expect(packReason('stop')).toEqual({ value: 'stop' });
    expect(packReason({ not: 'an error' })).toEqual({ value: undefined });
  });

  it('marks a DOMException, so the worker rebuilds it as one', () => {
    expect(packReason(new DOMException('gone', 'AbortError'))).toEqual({
      error: true,
      name: 'AbortError',
      message: 'gone',
      props: {},
      domException: true,
    });
  });

  it('never throws on a hostile reason: what cannot be read is dropped', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(packReason(proxy)).toEqual({ value: undefined });
    const odd = Object.assign(new Error('x'), { name: 7, message: undefined });
    expect(packReason(odd)).toEqual({ error: true, name: 'Error', message: '', props: {} });
    const throwing = Object.defineProperty(new Error('x'), 'code', {
      get(): never {
        throw new Error('no code');
      },
    });
    expect(packReason(throwing)).toEqual({ value: undefined });
  });
});
