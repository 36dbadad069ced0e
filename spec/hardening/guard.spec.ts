// Hostile values handed to the dispatcher: guards, options bags and signals whose every read may
// throw or lie. Each one must settle its request (never leave it pending, never throw
// synchronously from a promise-returning method), and send nothing it could not check.
import { getEventListeners } from 'node:events';

import { asyncScheduler, firstValueFrom, type SchedulerLike } from 'rxjs';

import {
  type HandlerContext,
  ModuleChannel,
  runModuleServer,
  SparkChannelCancellationToken,
  SparkGenericModuleDispatcher,
  spawnModule,
  type RequestOptions,
} from '../../lib/index.js';
import { onAbort } from '../../lib/internal/signal/abort-fanout.js';
import { outcome } from '../support/helpers.js';

type Msg = { n: number };

/** A module that answers `{ n }` with `n`, counting what reached its handler. */
function echoModule(): ReturnType<typeof spawnModule<Msg, unknown>> & { handled: () => number } {
  let handled = 0;
  const module = spawnModule<Msg, unknown>({
    handleRequest: (m) => {
      handled++;
      return m.n;
    },
    handleCommand: () => undefined,
  });
  return { ...module, handled: () => handled };
}

/** Settles within `ms` of real time, or says it is still pending: the bound of a wait that must not hang. */
async function within<T>(
  promise: Promise<T>,
  ms = 1_000,
): Promise<{ value: T } | { error: unknown } | 'pending'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pending = new Promise<'pending'>((resolve) => (timer = setTimeout(resolve, ms, 'pending')));
  try {
    return await Promise.race([outcome(promise), pending]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a promise settles with, as an error: its class name, code, message and cause. */
function describeError(result: { value: unknown } | { error: unknown } | 'pending'): unknown {
  if (result === 'pending' || 'value' in result) return result;
  const error = result.error as { name: string; code?: string; message: string; cause?: unknown };
  return { name: error.name, code: error.code, message: error.message, cause: error.cause };
}

function throwingName(boom: Error): (r: unknown) => r is number {
  const guard = (r: unknown): r is number => typeof r === 'number';
  Object.defineProperty(guard, 'name', {
    get() {
      throw boom;
    },
  });
  return guard;
}

function revokedGuard(): (r: unknown) => r is number {
  const { proxy, revoke } = Proxy.revocable(function guard() {}, {});
  revoke();
  return proxy as unknown as (r: unknown) => r is number;
}

describe('hostile guards', () => {
  const boom = new Error('the getter threw');

  it.each([
    ['whose name getter throws', () => throwingName(boom), boom],
    ['that is a revoked proxy (typeof is still "function")', revokedGuard, expect.any(TypeError)],
    [
      'whose getOwnPropertyDescriptor trap throws',
      () =>
        new Proxy((r: unknown): r is number => typeof r === 'number', {
          getOwnPropertyDescriptor() {
            throw boom;
          },
        }),
      boom,
    ],
  ])('a guard %s rejects with a TypeError naming `guard` and sends nothing', async (_, make, cause) => {
    const { dispatcher, server, handled } = echoModule();
    const guard = make();
    expect(describeError(await within(dispatcher.request({ n: 1 }, { guard })))).toEqual({
      name: 'TypeError',
      code: undefined,
      message: expect.stringContaining('`guard`') as unknown,
      cause,
    });
    const result = await within(dispatcher.requestResult({ n: 1 }, { guard }));
    expect(result).toEqual({ value: { ok: false, error: expect.any(TypeError) as unknown } });
    await expect(firstValueFrom(dispatcher.request$({ n: 1 }, { guard }))).rejects.toThrow(TypeError);
    expect(handled()).toBe(0);
    server.stop();
  });

  it('a class-like proxy whose Symbol.hasInstance trap throws rejects with INVALID_RESPONSE_TYPE, the error as cause', async () => {
    const { dispatcher, server } = echoModule();
    const guard = new Proxy(Date, {
      get(target, key, receiver) {
        if (key === Symbol.hasInstance) throw boom;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    expect(describeError(await within(dispatcher.request({ n: 1 }, { guard })))).toEqual({
      name: 'SparkChannelError',
      code: 'INVALID_RESPONSE_TYPE',
      message: 'The response could not be checked: guard Date threw',
      cause: boom,
    });
    server.stop();
  });

  it('a guard whose name is not a string is named "the guard"', async () => {
    const { dispatcher, server } = echoModule();
    const guard = (r: unknown): r is string => typeof r === 'string';
    Object.defineProperty(guard, 'name', { value: 42 });
    expect(describeError(await within(dispatcher.request({ n: 1 }, { guard })))).toMatchObject({
      code: 'INVALID_RESPONSE_TYPE',
      message: 'The response did not pass the guard',
    });
    server.stop();
  });
});

describe('hostile options bags', () => {
  const boom = new Error('the options getter threw');
  const throwingTimeout = (): RequestOptions<unknown, unknown> =>
    Object.defineProperty({}, 'timeoutMs', {
      enumerable: true,
      get() {
        throw boom;
      },
    });
  const throwingProxy = (): RequestOptions<unknown, unknown> =>
    new Proxy(
      {},
      {
        get() {
          throw boom;
        },
      },
    );

  it.each([
    ['a timeoutMs getter that throws', throwingTimeout],
    ['a proxy whose every read throws', throwingProxy],
  ])('%s rejects that request with the error, and nothing is thrown or sent', async (_, make) => {
    const { dispatcher, server, handled } = echoModule();
    let request: Promise<unknown> | undefined;
    expect(() => (request = dispatcher.request({ n: 1 }, make()))).not.toThrow();
    expect(await within(request as Promise<unknown>)).toEqual({ error: boom });
    let result: Promise<unknown> | undefined;
    expect(() => (result = dispatcher.requestResult({ n: 1 }, make()))).not.toThrow();
    expect(await within(result as Promise<unknown>)).toEqual({ value: { ok: false, error: boom } });
    const errors: unknown[] = [];
    expect(() =>
      dispatcher.request$({ n: 1 }, make()).subscribe({ error: (e) => errors.push(e) }),
    ).not.toThrow();
    expect(errors).toEqual([boom]);
    expect(handled()).toBe(0);
    server.stop();
  });

  it('reads each option once, so a getter cannot pass the check and then change its answer', async () => {
    const { dispatcher, server } = echoModule();
    const reads: string[] = [];
    const controller = new AbortController();
    const values: Record<string, unknown[]> = {
      timeoutMs: [1_000, 'not a number'],
      signal: [controller.signal, 'not a signal'],
      guard: [(r: unknown): r is number => typeof r === 'number', 'not a guard'],
    };
    const options = {};
    for (const key of Object.keys(values)) {
      Object.defineProperty(options, key, {
        enumerable: true,
        get() {
          reads.push(key);
          return values[key]?.shift();
        },
      });
    }
    await expect(dispatcher.request({ n: 5 }, options)).resolves.toBe(5);
    expect(reads.sort()).toEqual(['guard', 'signal', 'timeoutMs']);
    server.stop();
  });
});

describe('hostile signals', () => {
  it('an object that passes instanceof AbortSignal but is not one is a TypeError naming `signal`', async () => {
    const { dispatcher, server, handled } = echoModule();
    const signal = Object.create(AbortSignal.prototype) as AbortSignal;
    expect(signal).toBeInstanceOf(AbortSignal);
    const request = within(dispatcher.request({ n: 1 }, { signal }));
    const result = within(dispatcher.requestResult({ n: 1 }, { signal }));
    expect(describeError(await request)).toMatchObject({
      name: 'TypeError',
      message: expect.stringContaining('`signal`') as unknown,
    });
    expect(await result).toEqual({ value: { ok: false, error: expect.any(TypeError) as unknown } });
    await expect(firstValueFrom(dispatcher.request$({ n: 1 }, { signal }))).rejects.toThrow(/`signal`/);
    expect(handled()).toBe(0);
    server.stop();
  });

  it('an own addEventListener that does nothing cannot stop the abort from cancelling', async () => {
    const { dispatcher, server } = spawnModule<Msg, unknown>({
      handleRequest: () => new Promise(() => undefined),
      handleCommand: () => undefined,
    });
    const controller = new AbortController();
    Object.defineProperty(controller.signal, 'addEventListener', { value: () => undefined });
    const request = within(dispatcher.request({ n: 1 }, { signal: controller.signal }));
    controller.abort();
    expect(describeError(await request)).toMatchObject({ code: 'CANCELLED' });
    server.stop();
  });

  it('an own removeEventListener that throws cannot break settling, and the listener still goes', async () => {
    const { dispatcher, server } = echoModule();
    const controller = new AbortController();
    Object.defineProperty(controller.signal, 'removeEventListener', {
      value: () => {
        throw new Error('no');
      },
    });
    expect(await within(dispatcher.requestResult({ n: 3 }, { signal: controller.signal }))).toEqual({
      value: { ok: true, value: 3 },
    });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    server.stop();
  });

  it('an aborted signal whose own `aborted` says false still sends nothing', async () => {
    const { dispatcher, server, handled } = echoModule();
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    Object.defineProperty(controller.signal, 'aborted', { value: false });
    expect(
      describeError(await within(dispatcher.request({ n: 1 }, { signal: controller.signal }))),
    ).toMatchObject({
      code: 'CANCELLED',
      cause: new Error('gone'),
    });
    expect(handled()).toBe(0);
    server.stop();
  });

  it('an own `reason` getter that throws cannot keep the request pending', async () => {
    const { dispatcher, server } = spawnModule<Msg, unknown>({
      handleRequest: () => new Promise(() => undefined),
      handleCommand: () => undefined,
    });
    const controller = new AbortController();
    Object.defineProperty(controller.signal, 'reason', {
      get() {
        throw new Error('no reason');
      },
    });
    const reason = new Error('the real reason');
    const request = within(dispatcher.request({ n: 1 }, { signal: controller.signal }));
    controller.abort(reason);
    expect(describeError(await request)).toMatchObject({ code: 'CANCELLED', cause: reason });
    server.stop();
  });
});

describe('hostile signals, continued', () => {
  it('a proxy of a real signal whose every read throws is a TypeError naming `signal`, its error the cause', async () => {
    const { dispatcher, server, handled } = echoModule();
    const boom = new Error('trap');
    const signal = new Proxy(new AbortController().signal, {
      get() {
        throw boom;
      },
    });
    expect(signal).toBeInstanceOf(AbortSignal); // instanceof asks getPrototypeOf, not get
    expect(describeError(await within(dispatcher.request({ n: 1 }, { signal })))).toMatchObject({
      name: 'TypeError',
      message:
        'Expected `signal` to be an AbortSignal, got an object that only inherits from AbortSignal.prototype',
      cause: boom,
    });
    expect(handled()).toBe(0);
    server.stop();
  });

  it('a proxy whose getPrototypeOf trap throws is a TypeError naming `signal`', async () => {
    const { dispatcher, server } = echoModule();
    const boom = new Error('trap');
    const signal = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw boom;
        },
      },
    ) as AbortSignal;
    expect(describeError(await within(dispatcher.request({ n: 1 }, { signal })))).toMatchObject({
      name: 'TypeError',
      message: expect.stringContaining('`signal`') as unknown,
      cause: boom,
    });
    server.stop();
  });

  it('a signal the native addEventListener refuses leaves nothing registered: the next use fails too', () => {
    const fake = Object.create(AbortSignal.prototype) as AbortSignal;
    // Node's own error, from another realm than jest's TypeError: any throw will do.
    expect(() => onAbort(fake, () => undefined)).toThrow();
    expect(() => onAbort(fake, () => undefined)).toThrow(); // not a dead fanout, joined silently
  });
});

describe('a hostile scheduler', () => {
  it('whose now() throws fails a timed request still pending after its send with that error, and aborts its handler', async () => {
    const boom = new Error('no time');
    const scheduler = {
      now: () => {
        throw boom;
      },
      schedule: asyncScheduler.schedule.bind(asyncScheduler),
    } as SchedulerLike;
    const channel = new ModuleChannel<Msg, unknown>();
    const aborted: unknown[] = [];
    const server = runModuleServer(
      {
        handleRequest: (m: Msg, context: HandlerContext) => {
          if (m.n < 10) return m.n; // answered on the caller's stack: no deadline, no clock
          return new Promise((resolve) => {
            context.signal.addEventListener('abort', () => {
              aborted.push(context.signal.reason);
              resolve(m.n);
            });
          });
        },
        handleCommand: () => undefined,
      },
      channel,
    );
    const dispatcher = new SparkGenericModuleDispatcher(channel, { scheduler });
    expect(await within(dispatcher.request({ n: 10 }, { timeoutMs: 100 }))).toEqual({ error: boom });
    expect(await within(dispatcher.requestResult({ n: 11 }, { timeoutMs: 100 }))).toEqual({
      value: { ok: false, error: boom },
    });
    expect(aborted).toEqual([boom, boom]); // the running handlers heard of it
    await expect(dispatcher.request({ n: 1 }, { timeoutMs: 100 })).resolves.toBe(1);
    await expect(dispatcher.request({ n: 2 })).resolves.toBe(2); // untimed: the clock is never read
    server.stop();
  });
});

describe('hostile constructor arguments', () => {
  const boom = new Error('trap');
  const trap = <T extends object>(target: T, traps: (keyof ProxyHandler<T>)[]): T =>
    new Proxy(
      target,
      Object.fromEntries(
        traps.map((name) => [
          name,
          () => {
            throw boom;
          },
        ]),
      ),
    );

  it.each([
    ['options whose every read throws', () => trap({}, ['get']), '`options`'],
    ['a rateLimit whose every read throws', () => ({ rateLimit: trap({}, ['get']) }), '`rateLimit`'],
    ['a scheduler whose every read throws', () => ({ scheduler: trap({}, ['get']) }), '`scheduler`'],
  ])('%s is a TypeError naming it, the trap error its cause', (_, make, name) => {
    const channel = new ModuleChannel<Msg, unknown>();
    let thrown: unknown;
    try {
      new SparkGenericModuleDispatcher(channel, make() as object);
    } catch (error: unknown) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as TypeError).message).toContain(name);
    expect((thrown as TypeError).cause).toBe(boom);
  });

  it.each([5, 'scheduler', null])('a scheduler that is %p is a TypeError naming it', (scheduler) => {
    expect(
      () => new SparkGenericModuleDispatcher(new ModuleChannel(), { scheduler: scheduler as never }),
    ).toThrow(/^Expected `scheduler` to be an RxJS scheduler/);
  });

  it('a Proxy of a channel (its getPrototypeOf trap throws, or none at all) is a TypeError naming `sender`', () => {
    // A brand check, not instanceof: a Proxy of a real channel would pass instanceof and then
    // throw on every send. The trap is never even reached.
    const transparent = new Proxy(new ModuleChannel<Msg, unknown>(), {});
    expect(() => new SparkGenericModuleDispatcher(transparent)).toThrow(/`sender`/);
    const sender = trap(new ModuleChannel<Msg, unknown>(), ['getPrototypeOf']);
    let thrown: unknown;
    try {
      new SparkGenericModuleDispatcher(sender);
    } catch (error: unknown) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as TypeError).message).toContain('`sender`');
  });

  it('reads each dispatcher option once', () => {
    const reads: string[] = [];
    const counted = <T extends object>(prefix: string, values: T): T =>
      new Proxy(values, {
        get(target, key, receiver) {
          reads.push(`${prefix}${String(key)}`);
          return Reflect.get(target, key, receiver) as unknown;
        },
      });
    const scheduler = counted('scheduler.', {
      now: () => asyncScheduler.now(),
      schedule: asyncScheduler.schedule.bind(asyncScheduler),
    });
    const rateLimit = counted('rateLimit.', { limit: 1, intervalMs: 10 });
    new SparkGenericModuleDispatcher(
      new ModuleChannel<Msg, unknown>(),
      counted('', { scheduler, timeoutMs: 100, rateLimit }),
    );
    expect(reads.sort()).toEqual(
      [
        'rateLimit',
        'rateLimit.intervalMs',
        'rateLimit.limit',
        'scheduler',
        'scheduler.now',
        'scheduler.schedule',
        'timeoutMs',
      ].sort(),
    );
  });
});

describe('promise-returning methods never throw synchronously', () => {
  it('shutdown with a token whose cancel throws, on a stopped server, rejects', async () => {
    const { dispatcher, server } = echoModule();
    server.stop();
    const boom = new Error('cancel threw');
    const token = {
      cancel() {
        throw boom;
      },
    } as unknown as SparkChannelCancellationToken;
    let stopped: Promise<void> | undefined;
    expect(() => (stopped = dispatcher.shutdown(token))).not.toThrow();
    await expect(stopped).rejects.toBe(boom);
  });
});
