// Hostile values over the worker wire, with real worker threads: whatever a handler throws or
// returns, the request settles (with the value itself where it survives cloning, or a description
// or error that says what happened), the thread lives on and nothing is left unhandled.
import { join } from 'node:path';

import { isSparkChannelError, type ModuleError } from '../../lib/index.js';
import { spawnWorkerModule } from '../../lib/worker/index.js';
import { removeThreadFiles } from '../../lib/worker/thread-source.js';
import { type Escapes, watchEscapes } from '../support/escapes.js';
import { outcome, recordingLogger } from '../support/helpers.js';

type Message = { type: string; throw?: boolean };

const fixture = (name: string): string => join(__dirname, 'fixtures', name);

function spawn(file = fixture('hostile.worker.mjs')) {
  const logger = recordingLogger();
  const spawned = spawnWorkerModule<Message, unknown>(file, { logger, threads: 1 });
  const errors: ModuleError<Message, Error>[] = [];
  spawned.server.errors$.subscribe((error) => errors.push(error));
  return { ...spawned, logger, errors };
}

let hostile: ReturnType<typeof spawn>;
let thread: unknown;
// What escapes on the real process (jest's per-file process copy hears no unhandled rejection).
let escapes: Escapes;

beforeAll(async () => {
  escapes = watchEscapes();
  hostile = spawn();
  thread = await hostile.dispatcher.request({ type: 'thread' });
});

// jest's sandboxed `process` never emits 'exit': remove this file's bootstrap directory here.
afterAll(removeThreadFiles);

afterAll(async () => {
  escapes.stop();
  hostile.server.stop();
  await hostile.closed;
});

/** Sends one hostile request; a hang would show up as TIMEOUT, not as a stuck test. */
async function send(type: string, thrown: boolean): Promise<{ value: unknown } | { error: unknown }> {
  const result = await outcome(hostile.dispatcher.request({ type, throw: thrown }, { timeoutMs: 10_000 }));
  if ('error' in result) expect(isSparkChannelError(result.error, 'TIMEOUT')).toBe(false);
  return result;
}

async function rejection(type: string): Promise<unknown> {
  const result = await send(type, true);
  expect(result).toHaveProperty('error');
  return (result as { error: unknown }).error;
}

const UNREADABLE = '(an unreadable object)';

describe('a worker handler that throws a hostile value', () => {
  it('Object.create(null): rejects with the value, cloned', async () => {
    expect(await rejection('null-prototype')).toEqual({ a: 1, nested: {} });
  });

  it('an Error whose every getter throws: rejects with an Error saying so', async () => {
    const error = (await rejection('throwing-getters')) as Error & Record<string, unknown>;
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('Error');
    expect(error.message).toMatch(/message could not be read.*the message getter throws/);
    expect(error['code']).toMatch(/could not be read.*the code getter throws/);
    expect(error['detail']).toMatch(/the detail getter throws/);
    expect(error.cause).toMatch(/the cause getter throws/);
  });

  it('an error-like object whose name and message getters throw: rejects with an Error', async () => {
    const error = (await rejection('throwing-getter-object')) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/message getter/);
  });

  it('an object whose toString and valueOf throw: rejects with a description', async () => {
    expect(await rejection('unprintable')).toBe('[object Object]');
  });

  it('an error-like object whose fields are a Symbol, an unprintable object and a function', async () => {
    const error = (await rejection('unprintable-fields')) as Error & { errors?: unknown };
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'Error', message: 'Symbol(message)' });
    expect(error.errors).toBeUndefined();
    expect(error.stack).not.toMatch(/not a string/);
  });

  it('a revoked Proxy, and a Proxy whose every trap throws: reject with a description', async () => {
    expect(await rejection('revoked-proxy')).toBe(UNREADABLE);
    expect(await rejection('trapped-proxy')).toBe(UNREADABLE);
  });

  it('an Error carrying proxies as properties and cause: rejects with the Error, the proxies described', async () => {
    const error = (await rejection('error-with-proxies')) as Error & Record<string, unknown>;
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ message: 'carries proxies', revoked: UNREADABLE, trapped: UNREADABLE });
    expect(error.cause).toBe(UNREADABLE);
  });

  it('a BigInt: rejects with it', async () => {
    expect(await rejection('bigint')).toBe(12345678901234567890n);
  });

  it('a Symbol and a function: reject with their descriptions', async () => {
    expect(await rejection('symbol')).toBe('Symbol(hostile)');
    expect(await rejection('function')).toMatch(/^function hostile\(\)/);
  });

  it('a cyclic object: rejects with it, cycle kept', async () => {
    const value = (await rejection('cyclic-object')) as { name: string; self: unknown };
    expect(value.name).toBe('cycle');
    expect(value.self).toBe(value);
  });

  it('an Error that is its own cause: rejects with an Error that is its own cause', async () => {
    const error = (await rejection('cyclic-error')) as Error & { self: unknown };
    expect(error.message).toBe('I am my own cause');
    expect(error.cause).toBe(error);
    // v8 serializes { error } (whose cause is the error) but cannot deserialize it: described.
    expect(error.self).toBe('[object Object]');
  });

  it('an AggregateError that contains itself: rejects with one that does', async () => {
    const error = (await rejection('cyclic-aggregate')) as AggregateError;
    expect(error).toBeInstanceOf(AggregateError);
    expect(error.errors).toHaveLength(3);
    expect(error.errors[0]).toBe(error);
    expect(error.errors[1]).toBe(error);
    expect((error.errors[2] as Error).message).toBe('and a sibling');
    expect(error.cause).toBe(error);
  });

  it('an Error with an own __proto__ key: kept as an own property, no prototype changed', async () => {
    const error = (await rejection('proto-key')) as Error & { props: unknown };
    expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
    expect(Object.getOwnPropertyDescriptor(error, '__proto__')?.value).toEqual({ polluted: true });
    expect(error.props).toEqual({ polluted: true });
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('an aggregate that claims a billion errors: rejects with a bounded one', async () => {
    const error = (await rejection('endless-aggregate')) as AggregateError;
    expect(error).toBeInstanceOf(AggregateError);
    expect(error.errors.length).toBeGreaterThan(0);
    expect(error.errors.length).toBeLessThanOrEqual(1_000);
  });

  it('a cause chain 10 000 deep: rejects with its first 16 links, then a description', async () => {
    let error = (await rejection('deep-causes')) as Error;
    expect(error.message).toBe('depth 10000');
    let links = 0;
    while (error.cause instanceof Error) {
      error = error.cause;
      links++;
    }
    expect(links).toBe(16);
    expect(error.cause).toBe('Error: depth 9983');
  });

  it('an aggregate of 8 000 distinct errors: rejects with the first 256 rebuilt, the rest described', async () => {
    const error = (await rejection('wide-aggregate')) as AggregateError;
    expect(error).toBeInstanceOf(AggregateError);
    expect(error.errors).toHaveLength(20);
    const rebuilt: Error[] = [];
    const described: string[] = [];
    const walk = (value: unknown): void => {
      if (typeof value === 'string') described.push(value);
      if (!(value instanceof Error)) return;
      rebuilt.push(value);
      for (const inner of (value as Partial<AggregateError>).errors ?? []) walk(inner);
    };
    walk(error);
    expect(rebuilt).toHaveLength(256);
    expect(described).toContain('AggregateError: outer 19');
    expect(described.some((text) => /^AggregateError: middle 0\.\d+$/.test(text))).toBe(true);
  });

  it('an object whose `then` getter throws, and one whose `subscribe` needs a function', async () => {
    expect(await rejection('then-throws')).toBe('[object Object]');
    expect(await rejection('subscribe-throws')).toBe('[object Object]');
  });
});

describe('a worker handler that returns a hostile value', () => {
  it('resolves with what clones: Object.create(null), a BigInt, a cyclic object', async () => {
    expect(await send('null-prototype', false)).toEqual({ value: { a: 1, nested: {} } });
    expect(await send('bigint', false)).toEqual({ value: 12345678901234567890n });
    const cyclic = (await send('cyclic-object', false)) as { value: { self: unknown } };
    expect(cyclic.value.self).toBe(cyclic.value);
  });

  it('a revoked Proxy, a Proxy whose traps throw: fail with what reading them threw', async () => {
    // Before cloning, the thread looks for subscribe() (an observable response): that read throws.
    const revoked = (await send('revoked-proxy', false)) as { error: Error };
    expect(revoked.error).toBeInstanceOf(TypeError);
    expect(revoked.error.message).toMatch(/revoked/);
    const trapped = (await send('trapped-proxy', false)) as { error: Error };
    expect(trapped.error).toBeInstanceOf(Error);
    expect(trapped.error.message).toBe('trap');
  });

  it.each(['symbol', 'function', 'unprintable', 'throwing-getter-object', 'error-with-proxies'])(
    '%s: fails with a DataCloneError (a DOMException) that says why',
    async (type) => {
      const result = (await send(type, false)) as { error: DOMException };
      expect(result.error).toBeInstanceOf(DOMException);
      expect(result.error.name).toBe('DataCloneError');
      expect(result.error.message).toMatch(/^The response could not be sent back from the worker thread: ./);
    },
  );

  it('a thenable whose `then` getter throws, an observable whose subscribe throws a revoked Proxy', async () => {
    const then = (await send('then-throws', false)) as { error: Error };
    expect(then.error).toBeInstanceOf(Error);
    expect(then.error.message).toBe('then getter throws');
    expect(await send('subscribe-throws', false)).toEqual({ error: UNREADABLE });
  });

  it('an Error inside an object its cause refers back to: RECEIVE_FAILED, since v8 cannot deserialize it', async () => {
    const result = (await send('cyclic-error', false)) as { error: Error };
    expect(isSparkChannelError(result.error, 'RECEIVE_FAILED')).toBe(true);
    expect(result.error.message).toMatch(
      /answer to this request could not be deserialized .*hostile\.worker\.mjs/,
    );
    expect((result.error.cause as Error).message).toBe('Unable to deserialize cloned data.');
  });

  it.each(['throwing-getters', 'unprintable-fields', 'cyclic-aggregate', 'proto-key', 'deep-causes'])(
    '%s: settles, with a value or an error',
    async (type) => {
      const result = await send(type, false);
      expect('value' in result || 'error' in result).toBe(true);
    },
  );
});

describe('hostile command failures and load errors', () => {
  it('sends every hostile command failure to errors$ and the logger', async () => {
    const types = ['revoked-proxy', 'trapped-proxy', 'throwing-getters', 'cyclic-aggregate', 'symbol'];
    const before = hostile.errors.length;
    for (const type of types) await hostile.dispatcher.sendCommand({ type });
    expect(await hostile.dispatcher.request({ type: 'ping' })).toBe('pong');
    expect(hostile.errors.slice(before).map(({ kind }) => kind)).toEqual(types.map(() => 'command'));
  });

  it('fails every message with RECEIVE_FAILED when the handler file throws a revoked Proxy as it loads', async () => {
    const broken = spawn(fixture('hostile-load.worker.mjs'));
    try {
      const failure = (await outcome(broken.dispatcher.request({ type: 'ping' }))) as { error: Error };
      expect(isSparkChannelError(failure.error, 'RECEIVE_FAILED')).toBe(true);
      expect(failure.error.message).toMatch(/could not load its handler file .*hostile-load/);
      // Node's module loader reads the thrown value's stack, and that read throws a TypeError.
      expect(failure.error.cause).toBeInstanceOf(TypeError);
      expect((failure.error.cause as Error).message).toMatch(/revoked/);
    } finally {
      broken.server.stop();
      await broken.closed;
    }
  });

  it('names a load failure whose thrown value cannot even be turned into a string', async () => {
    const broken = spawn(fixture('hostile-load-value.worker.mjs'));
    try {
      const failure = (await outcome(broken.dispatcher.request({ type: 'ping' }))) as { error: Error };
      expect(isSparkChannelError(failure.error, 'RECEIVE_FAILED')).toBe(true);
      expect(failure.error.message).toMatch(/hostile-load-value\.worker\.mjs: \[object Object\]$/);
      expect(failure.error.cause).toEqual({ toString: 1, valueOf: 1 });
    } finally {
      broken.server.stop();
      await broken.closed;
    }
  });
});

describe('the thread after all of it', () => {
  it('is the same thread, still serving, and nothing escaped as an unhandled rejection', async () => {
    // One thread: had it died, piscina would have replaced it with a new one (and it is logged).
    expect(thread).toEqual(expect.any(Number));
    expect(await hostile.dispatcher.request({ type: 'thread' })).toBe(thread);
    expect(await hostile.dispatcher.request({ type: 'ping' })).toBe('pong');
    expect(hostile.logger.warnings).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 10)); // a late rejection is reported by now
    expect(escapes.seen).toEqual([]);
  });
});
