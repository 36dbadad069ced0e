import { expectTypeOf } from 'expect-type';

import { isSparkChannelError, SparkChannelError, type SparkChannelErrorCode } from '../../lib/index.js';

const codes: SparkChannelErrorCode[] = [
  'SEND_FAILED',
  'RECEIVE_FAILED',
  'INVALID_RESPONSE_TYPE',
  'TIMEOUT',
  'CANCELLED',
  'CHANNEL_FULL',
  'RATE_LIMITED',
];

describe('SparkChannelError', () => {
  it.each(codes)('keeps code %s and the message', (code) => {
    const error = new SparkChannelError(code, 'what happened, and to what');

    expect(error.code).toBe(code);
    expect(error.message).toBe('what happened, and to what');
  });

  it('is named SparkChannelError, in name, toString() and the stack', () => {
    const error = new SparkChannelError('TIMEOUT', 'Request timed out after 5 ms');

    expect(error.name).toBe('SparkChannelError');
    expect(String(error)).toBe('SparkChannelError: Request timed out after 5 ms');
    expect(error.stack?.split('\n')[0]).toBe('SparkChannelError: Request timed out after 5 ms');
  });

  it('is an Error and a SparkChannelError', () => {
    const error = new SparkChannelError('SEND_FAILED', 'closed');

    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(SparkChannelError);
    expect(Object.prototype.toString.call(error)).toBe('[object Error]');
  });

  it('keeps the cause by reference', () => {
    const cause = new Error('underlying');
    const error = new SparkChannelError('RECEIVE_FAILED', 'stopped', { cause });

    expect(error.cause).toBe(cause);
  });

  it.each<unknown>(['a reason', 0, null, { code: 'x' }])('keeps a non-Error cause (%p) as it is', (cause) => {
    expect(new SparkChannelError('CANCELLED', 'aborted', { cause }).cause).toBe(cause);
  });

  it('has no cause when none is given', () => {
    const error = new SparkChannelError('CHANNEL_FULL', 'full');

    expect(error.cause).toBeUndefined();
    expect('cause' in error).toBe(false);
  });

  it('is typed with a closed code union', () => {
    expectTypeOf(new SparkChannelError('TIMEOUT', 'm').code).toEqualTypeOf<SparkChannelErrorCode>();
    // @ts-expect-error an unknown code does not compile
    expect(new SparkChannelError('NOT_A_CODE', 'm')).toBeInstanceOf(Error);
  });
});

describe('isSparkChannelError', () => {
  it('recognises a SparkChannelError of any code when no code is given', () => {
    for (const code of codes) expect(isSparkChannelError(new SparkChannelError(code, 'm'))).toBe(true);
  });

  it('matches the given code only', () => {
    const error = new SparkChannelError('TIMEOUT', 'm');

    expect(isSparkChannelError(error, 'TIMEOUT')).toBe(true);
    expect(isSparkChannelError(error, 'CANCELLED')).toBe(false);
  });

  it.each<[string, unknown]>([
    ['a plain Error', new Error('m')],
    ['an Error named SparkChannelError', Object.assign(new Error('m'), { name: 'SparkChannelError' })],
    ['a look-alike object', { name: 'SparkChannelError', code: 'TIMEOUT', message: 'm' }],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'TIMEOUT'],
  ])('refuses %s, with or without a code', (_label, value) => {
    expect(isSparkChannelError(value)).toBe(false);
    expect(isSparkChannelError(value, 'TIMEOUT')).toBe(false);
  });

  it('narrows an unknown to SparkChannelError', () => {
    const caught: unknown = new SparkChannelError('RATE_LIMITED', 'over the limit');
    if (isSparkChannelError(caught, 'RATE_LIMITED')) {
      expectTypeOf(caught).toEqualTypeOf<SparkChannelError>();
      expect(caught.code).toBe('RATE_LIMITED');
    } else {
      throw new Error('expected a SparkChannelError');
    }
  });
});
