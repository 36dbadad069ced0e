// What crosses the thread boundary: errors rebuilt on the main thread, abort reasons packed for
// the worker.
import { EmptyError } from 'rxjs';

import { SparkChannelError } from '../../lib/index.js';
import { packReason, revive } from '../../lib/worker/wire.js';

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
    expect(aggregate.errors).toEqual([1, expect.objectContaining({ message: 'two' })]);
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
});
