// Hostile values a handler or a raw sender can produce (issue 12, items 1, 2, 8, 9, 10): each must
// settle its own request and leave the server running, with nothing escaping as an unhandled
// rejection or an uncaught exception.
import { AsyncSubject, asyncScheduler, defer, EMPTY, from, NEVER, Observable, of, tap } from 'rxjs';

import {
  CallbackWrapper,
  ModuleChannel,
  type ModuleError,
  type Result,
  runModuleServer,
  SparkGenericModuleDispatcher,
  SparkGenericModuleMessage,
  spawnModule,
} from '../../lib/index.js';
import { type Escapes, watchEscapes } from '../support/escapes.js';
import { flush, outcome, recordingLogger } from '../support/helpers.js';

type Handler = (message: unknown, context: { signal: AbortSignal }) => unknown;

/** A module whose request handler is `onRequest`, and `ping` answers `pong` (the liveness check). */
function moduleWith(onRequest: Handler, onCommand: Handler = () => undefined) {
  const logger = recordingLogger();
  const errors: ModuleError<unknown, unknown>[] = [];
  const { dispatcher, server } = spawnModule<unknown, unknown>(
    {
      handleRequest: (message, context) => (message === 'ping' ? 'pong' : onRequest(message, context)),
      handleCommand: (message, context) => onCommand(message, context) as void,
    },
    { logger },
  );
  server.errors$.subscribe((e) => errors.push(e));
  return { dispatcher, server, logger, errors };
}

let escapes: Escapes;
beforeEach(() => (escapes = watchEscapes()));
afterEach(async () => {
  await flush();
  await flush();
  escapes.stop();
  expect(escapes.seen).toEqual([]);
});

function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** A Proxy whose every trap throws: reading anything of it throws. */
function hostileProxy(): object {
  const boom = (): never => {
    throw new Error('trap');
  };
  return new Proxy(
    {},
    {
      get: boom,
      has: boom,
      getPrototypeOf: boom,
      ownKeys: boom,
      getOwnPropertyDescriptor: boom,
      defineProperty: boom,
      set: boom,
    },
  );
}

describe('item 1: a thenable whose then() throws', () => {
  it('rejects that request with the thrown error, as Promise.resolve would; the server goes on', async () => {
    const thrown = new Error('then threw');
    const { dispatcher, server, errors } = moduleWith(() => ({
      then() {
        throw thrown;
      },
    }));
    await expect(dispatcher.request('x')).rejects.toBe(thrown);
    expect(errors.map((e) => e.error)).toEqual([thrown]);
    await expect(dispatcher.request('ping')).resolves.toBe('pong');
    expect(server.isRunning).toBe(true);
  });

  it('follows every other thenable shape as Promise.resolve does', async () => {
    const shapes: [string, () => unknown, unknown][] = [
      ['resolves twice', () => ({ then: (ok: (v: unknown) => void) => (ok(1), ok(2)) }), 1],
      ['resolves then throws', () => ({ then: (ok: (v: unknown) => void) => (ok(3), boom()) }), 3],
      ['resolves with a thenable', () => ({ then: (ok: (v: unknown) => void) => ok(Promise.resolve(4)) }), 4],
      [
        'a getter for then that throws',
        () =>
          Object.defineProperty({}, 'then', {
            get: () => boom(),
          }),
        'boom',
      ],
    ];
    for (const [, make, expected] of shapes) {
      const { dispatcher } = moduleWith(make);
      const result = await outcome(dispatcher.request('x'));
      if (expected === 'boom') expect((result as { error: Error }).error.message).toBe('boom');
      else expect(result).toEqual({ value: expected });
      await expect(dispatcher.request('ping')).resolves.toBe('pong');
    }
  });

  // A native promise is adopted with callbacks the loop shares (follow.ts, AwaitSlot); one that
  // was tampered with is anybody's, and must be followed as any other thenable.
  it('follows a native promise with an own then, or a throwing then or constructor, as any thenable', async () => {
    const shapes: [string, () => unknown, unknown][] = [
      [
        'an own then that answers twice',
        () => tampered(Promise.resolve(0), 'then', { value: (ok: (v: unknown) => void) => (ok(1), ok(2)) }),
        1,
      ],
      [
        'an own then getter that throws',
        () => tampered(Promise.resolve(0), 'then', { get: () => boom() }),
        'boom',
      ],
      [
        'a constructor getter that throws',
        () => tampered(Promise.resolve(0), 'constructor', { get: () => boom() }),
        'boom',
      ],
      ['a subclass of Promise', () => SubPromise.resolve(5), 5],
      [
        'an object that only inherits from Promise.prototype',
        () => Object.create(Promise.prototype),
        'TypeError',
      ],
    ];
    for (const [name, make, expected] of shapes) {
      const { dispatcher, server } = moduleWith(make);
      const results = await Promise.all([outcome(dispatcher.request('x')), outcome(dispatcher.request('x'))]);
      for (const result of results) {
        if (expected === 'boom')
          expect([name, (result as { error: Error }).error.message]).toEqual([name, 'boom']);
        else if (expected === 'TypeError')
          expect([name, (result as { error: Error }).error]).toEqual([name, expect.any(TypeError)]);
        else expect([name, result]).toEqual([name, { value: expected }]);
      }
      await expect(dispatcher.request('ping')).resolves.toBe('pong');
      expect(server.isRunning).toBe(true);
    }
  });

  it('never lets a tampered promise answer a later request through the shared callbacks', async () => {
    // Its own `then` calls back twice: now, and again while the next request is awaited.
    const sneaky = tampered(Promise.resolve(0), 'then', {
      value: (ok: (v: unknown) => void) => {
        ok('first');
        setTimeout(() => ok('sneaked'), 5);
      },
    });
    const { dispatcher } = moduleWith((message) =>
      message === 'x' ? sneaky : new Promise((resolve) => setTimeout(() => resolve('own'), 20)),
    );
    await expect(dispatcher.request('x')).resolves.toBe('first');
    await expect(dispatcher.request('y')).resolves.toBe('own');
  });

  it('with concurrency, answers each request from its own promise while another holds the shared callbacks', async () => {
    const later = (value: number, ms: number) =>
      new Promise<number>((resolve) => setTimeout(() => resolve(value), ms));
    const { dispatcher, server } = spawnModule<number, number>(
      { handleRequest: (n) => later(n * 10, n === 1 ? 10 : 30), handleCommand: () => undefined },
      { concurrency: 2 },
    );
    // 1 takes the shared callbacks and settles first; 2 has its own and settles after it.
    const first = dispatcher.request(1);
    await expect(dispatcher.request(2)).resolves.toBe(20);
    await expect(first).resolves.toBe(10);
    // And one that never settles keeps them: the ones after it are still answered.
    const { dispatcher: other, server: otherServer } = spawnModule<number, number>(
      {
        handleRequest: (n) => (n === 0 ? new Promise<number>(() => undefined) : later(n, 1)),
        handleCommand: () => undefined,
      },
      { concurrency: 2 },
    );
    const stuck = outcome(other.request(0));
    await expect(Promise.all([1, 2, 3].map((n) => other.request(n)))).resolves.toEqual([1, 2, 3]);
    otherServer.stop();
    expect(await stuck).toMatchObject({ error: { code: 'RECEIVE_FAILED' } });
    server.stop();
  });

  it('fails a command whose thenable throws on errors$, and handles the next message', async () => {
    const thrown = new Error('then threw');
    const { dispatcher, errors, logger } = moduleWith(
      () => 1,
      () => ({
        then() {
          throw thrown;
        },
      }),
    );
    await dispatcher.sendCommand('c');
    await expect(dispatcher.request('ping')).resolves.toBe('pong');
    expect(errors).toEqual([{ kind: 'command', message: 'c', error: thrown }]);
    expect(logger.errors).toHaveLength(1);
  });
});

class SubPromise<T> extends Promise<T> {}

/** A native promise with an own `then` or `constructor`. */
function tampered<T>(
  promise: Promise<T>,
  key: 'then' | 'constructor',
  descriptor: PropertyDescriptor,
): Promise<T> {
  return Object.defineProperty(promise, key, descriptor);
}

function boom(): never {
  throw new Error('boom');
}

describe('item 2: values whose property reads throw', () => {
  it('a handler that throws a revoked Proxy: the request rejects with it, the server goes on', async () => {
    const value = revoked();
    const { dispatcher, errors } = moduleWith(() => {
      throw value;
    });
    const result = await outcome(dispatcher.request('x'));
    expect('error' in result && Object.is(result.error, value)).toBe(true);
    expect(errors).toHaveLength(1);
    await expect(dispatcher.request('ping')).resolves.toBe('pong');
  });

  it('a handler that rejects with a Proxy throwing on every trap: the request rejects with it', async () => {
    const value = hostileProxy();
    const { dispatcher } = moduleWith(() => Promise.reject(value));
    const result = await outcome(dispatcher.request('x'));
    expect('error' in result && Object.is(result.error, value)).toBe(true);
    await expect(dispatcher.request('ping')).resolves.toBe('pong');
  });

  it('a command that throws a hostile Proxy is logged and reported; the logger is not broken by it', async () => {
    const value = hostileProxy();
    const { dispatcher, errors, logger } = moduleWith(
      () => 1,
      () => {
        throw value;
      },
    );
    await dispatcher.sendCommand('c');
    await expect(dispatcher.request('ping')).resolves.toBe('pong');
    expect(errors).toHaveLength(1);
    expect(logger.errors).toHaveLength(1);
  });

  it('a handler that returns a Proxy throwing on unknown reads: the request fails with the probe error', async () => {
    const { dispatcher, errors } = moduleWith(() => hostileProxy());
    const result = await outcome(dispatcher.request('x'));
    expect((result as { error: Error }).error).toEqual(new Error('trap'));
    expect(errors).toHaveLength(1);
    await expect(dispatcher.request('ping')).resolves.toBe('pong');
  });

  it('a handler that returns a revoked Proxy: the request fails, the server goes on', async () => {
    const { dispatcher } = moduleWith(() => revoked());
    const result = await outcome(dispatcher.request('x'));
    expect((result as { error: unknown }).error).toBeInstanceOf(TypeError);
    await expect(dispatcher.request('ping')).resolves.toBe('pong');
  });

  it('an observable that emits or errors with a hostile value settles the request', async () => {
    const value = hostileProxy();
    const { dispatcher } = moduleWith((m) => (m === 'emit' ? of(value) : defer(() => Promise.reject(value))));
    // A promise cannot resolve to a value whose `then` read throws: it rejects with that error,
    // as any promise would. What matters is that it settles.
    await expect(dispatcher.request('emit')).rejects.toEqual(new Error('trap'));
    const errored = await outcome(dispatcher.request('error'));
    expect('error' in errored && Object.is(errored.error, value)).toBe(true);
    await expect(dispatcher.request('ping')).resolves.toBe('pong');
  });

  it('an observable-like whose subscribe throws fails that request only', async () => {
    const thrown = new Error('subscribe threw');
    const fake = { lift: () => fake, subscribe: () => boomWith(thrown) };
    const { dispatcher } = moduleWith(() => fake);
    await expect(dispatcher.request('x')).rejects.toBe(thrown);
    await expect(dispatcher.request('ping')).resolves.toBe('pong');
  });

  it('an abort reason that is a hostile Proxy does not break a given-up request', async () => {
    const controller = new AbortController();
    const { dispatcher, server } = moduleWith(() => NEVER);
    const events: string[] = [];
    server.events$.subscribe((e) => events.push(e.type));
    const pending = dispatcher.request('x', { signal: controller.signal });
    controller.abort(hostileProxy());
    expect(await outcome(pending)).toMatchObject({ error: { code: 'CANCELLED' } });
    await expect(dispatcher.request('ping')).resolves.toBe('pong');
    expect(events).toContain('settled');
  });
});

function boomWith(error: unknown): never {
  throw error;
}

describe('item 8: channel.send never throws, and queues what it validated', () => {
  it('rejects an envelope whose type getter throws with a TypeError naming message', async () => {
    const channel = new ModuleChannel<unknown, unknown>();
    const envelope = Object.defineProperty({}, 'type', { get: () => boom() });
    let sent: Promise<void> | undefined;
    expect(() => (sent = channel.send(envelope as never))).not.toThrow();
    await expect(sent).rejects.toThrow(TypeError);
    await expect(sent).rejects.toThrow(/`message`/);
    expect(() => channel.trySend(envelope as never)).toThrow(TypeError);
  });

  it('rejects revoked and hostile Proxies as envelopes, and as wrappers', async () => {
    const channel = new ModuleChannel<unknown, unknown>();
    for (const bad of [revoked(), hostileProxy()]) {
      await expect(channel.send(bad as never)).rejects.toThrow(TypeError);
      await expect(channel.send({ type: 'Request', wrapper: bad } as never)).rejects.toThrow(TypeError);
      await expect(channel.send({ type: 'Shutdown', token: bad } as never)).rejects.toThrow(TypeError);
    }
  });

  it('rejects a CallbackWrapper whose signal is not an AbortSignal, with a TypeError naming signal', async () => {
    class OddWrapper extends CallbackWrapper<unknown, Result<unknown, Error>> {
      override get signal(): AbortSignal {
        return {} as AbortSignal;
      }
    }
    const channel = new ModuleChannel<unknown, unknown>();
    const wrapper = new OddWrapper('x', new AsyncSubject());
    const sent = channel.send(SparkGenericModuleMessage.Request(wrapper));
    await expect(sent).rejects.toThrow(TypeError);
    await expect(sent).rejects.toThrow(/signal/);
    const fake = new CallbackWrapper(
      'x',
      new AsyncSubject<Result<unknown, Error>>(),
      Object.create(AbortSignal.prototype) as AbortSignal,
    );
    await expect(channel.send(SparkGenericModuleMessage.Request(fake))).rejects.toThrow(/signal/);
  });

  it('an envelope whose type changes after validation cannot poison the queue', async () => {
    const channel = new ModuleChannel<unknown, unknown>();
    const seen: unknown[] = [];
    const server = runModuleServer(
      { handleRequest: (m: unknown) => m, handleCommand: (m: unknown) => void seen.push(m) },
      channel,
      { logger: recordingLogger() },
    );
    let reads = 0;
    const shifty = {
      get type() {
        return reads++ === 0 ? 'Command' : 'Request';
      },
      message: 'first',
    };
    const blocker = new ModuleChannel<unknown, unknown>(); // keep the loop busy: queue first
    void blocker;
    await channel.send(shifty as never);
    const dispatcher = new SparkGenericModuleDispatcher(channel);
    await expect(dispatcher.request('second')).resolves.toBe('second');
    expect(seen).toEqual(['first']);
    expect(() => server.stop()).not.toThrow();
    await expect(server.stopped).resolves.toBeUndefined();
  });

  it('a message queued before the server and mutated afterwards is handled as it was sent', async () => {
    const channel = new ModuleChannel<unknown, unknown>();
    const envelope = { type: 'Command', message: 'as sent' } as { type: string; message: unknown };
    await channel.send(envelope as never);
    envelope.type = 'Shutdown';
    envelope.message = 'changed';
    const seen: unknown[] = [];
    const server = runModuleServer(
      { handleRequest: (m: unknown) => m, handleCommand: (m: unknown) => void seen.push(m) },
      channel,
    );
    const dispatcher = new SparkGenericModuleDispatcher(channel);
    await expect(dispatcher.request('next')).resolves.toBe('next');
    expect(seen).toEqual(['as sent']);
    server.stop();
    await server.stopped;
  });

  it('an AsyncSubject sender whose next throws does not stop the server, and stop still settles', async () => {
    const channel = new ModuleChannel<unknown, unknown>();
    const server = runModuleServer(
      { handleRequest: (m: unknown) => m, handleCommand: () => undefined },
      channel,
    );
    const sender = new AsyncSubject<Result<unknown, Error>>();
    sender.next = () => boom();
    await channel.send(SparkGenericModuleMessage.Request(new CallbackWrapper('x', sender)));
    const dispatcher = new SparkGenericModuleDispatcher(channel);
    await expect(dispatcher.request('y')).resolves.toBe('y');
    server.stop();
    await server.stopped;
  });
});

describe('item 9: a synchronous observable is cut off after its first value', () => {
  it('an endless synchronous generator answers with its first value and is not pulled further', async () => {
    let pulled = 0;
    // Bounded only so that today's bug shows as a failure rather than a frozen process.
    function* endless(): Generator<number> {
      while (pulled < 100_000) yield ++pulled;
    }
    const { dispatcher } = moduleWith(() => from(endless()));
    await expect(dispatcher.request('x')).resolves.toBe(1);
    expect(pulled).toBe(1);
    await expect(dispatcher.request('ping')).resolves.toBe('pong');
  });

  it('a synchronous source that checks closed stops emitting after the first value', async () => {
    let emitted = 0;
    let tornDown = false;
    const source = new Observable<number>((subscriber) => {
      for (let i = 0; i < 1_000 && !subscriber.closed; i++) {
        emitted++;
        subscriber.next(i);
      }
      return () => (tornDown = true);
    });
    const { dispatcher } = moduleWith(() => source);
    await expect(dispatcher.request('x')).resolves.toBe(0);
    expect(emitted).toBe(1);
    expect(tornDown).toBe(true);
  });

  it('an error after the first value is ignored; a command still runs its observable to completion', async () => {
    const values: number[] = [];
    const { dispatcher, errors } = moduleWith(
      () =>
        new Observable((subscriber) => {
          subscriber.next('first');
          subscriber.error(new Error('late'));
        }),
      () => of(1, 2, 3).pipe(tap((v) => values.push(v))),
    );
    await expect(dispatcher.request('x')).resolves.toBe('first');
    await dispatcher.sendCommand('c');
    await expect(dispatcher.request('ping')).resolves.toBe('pong');
    expect(values).toEqual([1, 2, 3]);
    expect(errors).toEqual([]);
  });
});

describe('item 10: a caller that gives up stops an observable handler', () => {
  const givingUp: [string, (d: SparkGenericModuleDispatcher<unknown, unknown>) => Promise<unknown>][] = [
    ['a timeout', (d) => d.request('slow', { timeoutMs: 5 })],
    [
      'a signal',
      (d) => {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 5);
        return d.request('slow', { signal: controller.signal });
      },
    ],
    [
      'a request$ unsubscribe',
      (d) =>
        new Promise<void>((resolve) => {
          const subscription = d.request$('slow').subscribe();
          setTimeout(() => {
            subscription.unsubscribe();
            resolve();
          }, 5);
        }),
    ],
  ];

  it.each(givingUp)(
    'after %s: unsubscribes from NEVER, frees the slot, handles the next message',
    async (_, giveUp) => {
      let unsubscribed = 0;
      let aborted = 0;
      const { dispatcher, server, errors } = moduleWith((m, context) => {
        if (m !== 'slow') return m;
        context.signal.addEventListener('abort', () => aborted++);
        return new Observable(() => () => unsubscribed++);
      });
      const next = (async () => {
        await outcome(giveUp(dispatcher));
        return dispatcher.request('next');
      })();
      await expect(next).resolves.toBe('next');
      expect(unsubscribed).toBe(1);
      expect(aborted).toBe(1);
      expect(errors).toEqual([]);
      expect(server.stats()).toMatchObject({ running: 0, handled: 2, failed: 0 });
    },
  );

  it('a raw request whose own signal aborts while its observable runs gets CANCELLED and frees the slot', async () => {
    const channel = new ModuleChannel<unknown, unknown>();
    let unsubscribed = false;
    runModuleServer(
      {
        handleRequest: (m: unknown) => (m === 'slow' ? new Observable(() => () => (unsubscribed = true)) : m),
        handleCommand: () => EMPTY,
      },
      channel,
    );
    const controller = new AbortController();
    const reply = new AsyncSubject<Result<unknown, Error>>();
    await channel.send(
      SparkGenericModuleMessage.Request(new CallbackWrapper('slow', reply, controller.signal)),
    );
    const answer = new Promise((resolve) => reply.subscribe(resolve));
    controller.abort();
    expect(await answer).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect(unsubscribed).toBe(true);
    await expect(new SparkGenericModuleDispatcher(channel).request('next')).resolves.toBe('next');
  });

  it('a promise handler keeps its slot until it settles (its signal aborts)', async () => {
    let finish!: () => void;
    let aborted = false;
    const { dispatcher } = moduleWith((m, context) => {
      if (m !== 'slow') return m;
      context.signal.addEventListener('abort', () => (aborted = true));
      return new Promise<string>((resolve) => (finish = () => resolve('late')));
    });
    await expect(dispatcher.request('slow', { timeoutMs: 5 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(aborted).toBe(true);
    let started = false;
    const next = dispatcher.request('next').then((v) => ((started = true), v));
    await flush();
    expect(started).toBe(false);
    finish();
    await expect(next).resolves.toBe('next');
  });
});

describe('item 4 (server side): a drain deadline above 2³¹−1 ms', () => {
  it('is a correct long timer: no TimeoutOverflowWarning, no early stop, drains when the work ends', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      let finish!: () => void;
      const { dispatcher, server } = moduleWith(
        () => new Promise<string>((resolve) => (finish = () => resolve('done'))),
      );
      const answer = dispatcher.request('x');
      const report = server.drain(Number.MAX_SAFE_INTEGER);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(server.isRunning).toBe(true);
      finish();
      await expect(answer).resolves.toBe('done');
      await expect(report).resolves.toMatchObject({ outcome: 'drained', aborted: 0 });
      expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('an observable answering with a thenable', () => {
  it('is adopted as a promise result is: one that never settles is failed by stop()', async () => {
    const never = { then: () => undefined };
    const { dispatcher, server } = moduleWith((m) =>
      m === 'never' ? of(never) : of(Promise.resolve(`${String(m)}!`)),
    );
    await expect(dispatcher.request('x')).resolves.toBe('x!');
    const pending = dispatcher.request('never');
    await flush();
    expect(server.stats().running).toBe(1);
    server.stop();
    await expect(pending).rejects.toMatchObject({ code: 'RECEIVE_FAILED' });
  });
});

describe('found by the fuzz', () => {
  it('a real signal whose own constructor getter throws (Node reads it to add a listener) is refused, never thrown', async () => {
    const signal = new AbortController().signal;
    Object.defineProperty(signal, 'constructor', { get: () => boom() });
    const channel = new ModuleChannel<unknown, unknown>();
    runModuleServer({ handleRequest: (m: unknown) => m, handleCommand: () => undefined }, channel);
    const request = () =>
      SparkGenericModuleMessage.Request(
        new CallbackWrapper('m', new AsyncSubject<Result<unknown, Error>>(), signal),
      );
    let sent: Promise<void> | undefined;
    expect(() => (sent = channel.send(request()))).not.toThrow();
    await expect(sent).rejects.toThrow(/`message.wrapper.signal`/);
    expect(() => channel.trySend(request())).toThrow(TypeError);
    await expect(new SparkGenericModuleDispatcher(channel).request('next')).resolves.toBe('next');
  });

  it('a drain whose deadline needs the clock, on a scheduler whose now() throws, rejects and closes nothing', async () => {
    const scheduler = { now: (): number => boom(), schedule: asyncScheduler.schedule.bind(asyncScheduler) };
    const { dispatcher, server } = spawnModule<unknown, unknown>(
      { handleRequest: (m) => m, handleCommand: () => undefined },
      { scheduler },
    );
    let drained: Promise<unknown> | undefined;
    expect(() => (drained = server.drain(2 ** 31))).not.toThrow();
    await expect(drained).rejects.toThrow(/`scheduler`/);
    await expect(dispatcher.request('still open')).resolves.toBe('still open');
    server.stop();
  });
});
