import { getEventListeners } from 'node:events';

import fc from 'fast-check';
import { EMPTY, firstValueFrom, NEVER, Observable, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import {
  type HandlerContext,
  ModuleChannel,
  runModuleServer,
  SparkChannelError,
  SparkGenericModuleDispatcher,
  SparkGenericModuleMessage,
  spawnModule,
} from '../lib/index.js';
import { codeOf, deferred, flush, isSettled } from './support/helpers.js';
import { kDeadlineBuckets } from '../lib/internal/time/deadlines.js';

const noCommands = (): void => undefined;
const echo = { handleRequest: <T>(m: T): T => m, handleCommand: noCommands };

describe('SparkGenericModuleDispatcher', () => {
  describe('construction', () => {
    it('needs a ModuleChannel', () => {
      expect(() => new SparkGenericModuleDispatcher(undefined as never)).toThrow(TypeError);
      expect(() => new SparkGenericModuleDispatcher({} as never)).toThrow(/`sender`/);
      const channel = new ModuleChannel<string, string>();
      expect(new SparkGenericModuleDispatcher(channel).sender).toBe(channel);
    });

    it.each([
      [{ timeoutMs: 0 }, /`timeoutMs`/],
      [{ timeoutMs: -5 }, /`timeoutMs`/],
      [{ timeoutMs: Number.NaN }, /`timeoutMs`/],
      [{ timeoutMs: '5' }, /`timeoutMs`/],
      [{ rateLimit: { limit: 0, intervalMs: 10 } }, /`rateLimit.limit`/],
      [{ rateLimit: { limit: 2.5, intervalMs: 10 } }, /`rateLimit.limit`/],
      [{ rateLimit: { limit: 1, intervalMs: 0 } }, /`rateLimit.intervalMs`/],
      [{ rateLimit: { limit: 1, intervalMs: Infinity } }, /`rateLimit.intervalMs`/],
    ])('throws a RangeError naming the option for %p', (options, message) => {
      const channel = new ModuleChannel<string, string>();
      expect(() => new SparkGenericModuleDispatcher(channel, options as never)).toThrow(RangeError);
      expect(() => new SparkGenericModuleDispatcher(channel, options as never)).toThrow(message);
    });

    it('throws a TypeError for options that are not objects', () => {
      const channel = new ModuleChannel<string, string>();
      expect(() => new SparkGenericModuleDispatcher(channel, 5 as never)).toThrow(/`options`/);
      expect(() => new SparkGenericModuleDispatcher(channel, { rateLimit: 3 } as never)).toThrow(
        /`rateLimit`/,
      );
      expect(() => new SparkGenericModuleDispatcher(channel, { timeoutMs: Infinity })).not.toThrow();
    });
  });

  describe('call order', () => {
    it('puts messages on the channel in call order, whatever the method', () =>
      fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.constantFrom('request', 'request$', 'requestResult', 'sendCommand', 'send', 'trySendCommand'),
            {
              maxLength: 40,
            },
          ),
          fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
          async (methods, capacity) => {
            const seen: number[] = [];
            const channel = new ModuleChannel<number, number>(capacity);
            const dispatcher = new SparkGenericModuleDispatcher(channel);
            const pending: Promise<unknown>[] = [];
            methods.forEach((method, i) => {
              if (method === 'request') pending.push(dispatcher.request(i));
              else if (method === 'request$') pending.push(firstValueFrom(dispatcher.request$(i)));
              else if (method === 'requestResult') pending.push(dispatcher.requestResult(i));
              else if (method === 'sendCommand') pending.push(dispatcher.sendCommand(i));
              else if (method === 'send') pending.push(channel.send(SparkGenericModuleMessage.Command(i)));
              else {
                try {
                  dispatcher.trySendCommand(i);
                } catch (error: unknown) {
                  expect((error as SparkChannelError).code).toBe('CHANNEL_FULL');
                  return; // refused: never on the channel
                }
              }
              seen.push(i);
            });
            const handled: number[] = [];
            const log = (n: number): number => (handled.push(n), n);
            runModuleServer({ handleRequest: log, handleCommand: (n) => void log(n) }, channel);
            await Promise.all(pending);
            expect(handled).toEqual(seen);
          },
        ),
        { numRuns: 200 },
      ));
  });

  describe('request timeouts (virtual time)', () => {
    const scheduler = (): TestScheduler =>
      new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

    it('rejects a slow request with TIMEOUT', () =>
      scheduler().run(({ cold, expectObservable }) => {
        const { dispatcher } = spawnModule({
          handleRequest: () => cold('-----a|'),
          handleCommand: () => EMPTY,
        });
        expectObservable(dispatcher.request$('ping', { timeoutMs: 3 })).toBe(
          '---#',
          undefined,
          expect.objectContaining({ code: 'TIMEOUT' }),
        );
      }));

    it('answers a request faster than its timeout, and uses the dispatcher default', () =>
      scheduler().run(({ cold, expectObservable }) => {
        const channel = new ModuleChannel<string, string>();
        runModuleServer(
          { handleRequest: (m) => cold('--a|', { a: m }), handleCommand: () => EMPTY },
          channel,
        );
        const dispatcher = new SparkGenericModuleDispatcher(channel, { timeoutMs: 5 });
        expectObservable(dispatcher.request$('fast')).toBe('--(a|)', { a: 'fast' });
        expectObservable(dispatcher.request$('slow', { timeoutMs: 1 })).toBe(
          '-#',
          undefined,
          expect.objectContaining({ code: 'TIMEOUT' }),
        );
        // 'slow' timed out at frame 1 while still queued, so 'patient' starts when 'fast' answers.
        expectObservable(dispatcher.request$('patient', { timeoutMs: Infinity })).toBe('----(a|)', {
          a: 'patient',
        });
      }));

    it('never starts a queued request that timed out, and aborts a running one', () =>
      scheduler().run(({ cold, expectObservable, flush: run }) => {
        const started: string[] = [];
        let runningSignal: AbortSignal | undefined;
        const { dispatcher } = spawnModule<string, string>({
          handleRequest: (m, ctx: HandlerContext) => {
            started.push(m);
            runningSignal = ctx.signal;
            return cold('----------a|', { a: m });
          },
          handleCommand: noCommands,
        });
        expectObservable(dispatcher.request$('first', { timeoutMs: 4 })).toBe(
          '----#',
          undefined,
          expect.objectContaining({ code: 'TIMEOUT' }),
        );
        expectObservable(dispatcher.request$('queued', { timeoutMs: 2 })).toBe(
          '--#',
          undefined,
          expect.objectContaining({ code: 'TIMEOUT' }),
        );
        run();
        expect(started).toEqual(['first']);
        expect(runningSignal?.aborted).toBe(true);
        expect((runningSignal?.reason as SparkChannelError).code).toBe('TIMEOUT');
      }));
  });

  describe('cancellation', () => {
    it('rejects at once and sends nothing for an already aborted signal', async () => {
      const channel = new ModuleChannel<string, string>();
      const dispatcher = new SparkGenericModuleDispatcher(channel);
      const controller = new AbortController();
      controller.abort(new Error('user left'));
      const answer = dispatcher.request('x', { signal: controller.signal });
      expect(channel.size).toBe(0);
      const error = (await answer.catch((e: unknown) => e)) as SparkChannelError;
      expect(error.code).toBe('CANCELLED');
      expect(error.cause).toEqual(new Error('user left'));
    });

    it('withdraws a queued request whose signal aborts: it never starts and frees its slot', async () => {
      const started: string[] = [];
      const gate = deferred<string>();
      const { dispatcher, server } = spawnModule<string, string>({
        handleRequest: (m) => {
          started.push(m);
          return m === 'blocker' ? gate.promise : m;
        },
        handleCommand: noCommands,
      });
      const blocker = dispatcher.request('blocker');
      const controller = new AbortController();
      const cancelled = dispatcher.request('cancelled', { signal: controller.signal });
      const kept = dispatcher.request('kept');
      expect(server.stats().queued).toBe(2);
      controller.abort();
      expect(server.stats().queued).toBe(1);
      await expect(codeOf(cancelled)).resolves.toBe('CANCELLED');
      gate.resolve('blocker');
      await expect(Promise.all([blocker, kept])).resolves.toEqual(['blocker', 'kept']);
      expect(started).toEqual(['blocker', 'kept']);
    });

    it('treats unsubscribing from request$ as cancelling, silently', async () => {
      const started: string[] = [];
      const source = new Subject<string>();
      let signal: AbortSignal | undefined;
      const { dispatcher } = spawnModule<string, string>({
        handleRequest: (m, ctx) => {
          started.push(m);
          signal = ctx.signal;
          return source;
        },
        handleCommand: noCommands,
      });
      const running = dispatcher.request$('running').subscribe();
      const queued = dispatcher.request$('queued').subscribe();
      queued.unsubscribe();
      running.unsubscribe();
      expect(signal?.aborted).toBe(true);
      source.next('late');
      await flush();
      expect(started).toEqual(['running']);
    });

    it('is cold: sends once per subscription', async () => {
      let calls = 0;
      const { dispatcher } = spawnModule<string, number>({
        handleRequest: () => ++calls,
        handleCommand: noCommands,
      });
      const once = dispatcher.request$('x');
      expect(calls).toBe(0);
      await expect(firstValueFrom(once)).resolves.toBe(1);
      await expect(firstValueFrom(once)).resolves.toBe(2);
    });

    it('shares one abort listener among all requests on a signal, and cancels them all', async () => {
      const { dispatcher } = spawnModule<number, number>({
        handleRequest: () => NEVER,
        handleCommand: noCommands,
      });
      const controller = new AbortController();
      const answers = Array.from({ length: 1_000 }, (_, i) =>
        codeOf(dispatcher.request(i, { signal: controller.signal })),
      );
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      controller.abort();
      const codes = await Promise.all(answers);
      expect(new Set(codes)).toEqual(new Set(['CANCELLED']));
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('keeps one abort listener on a shared signal across a loop of requests, and removes it a macrotask after the last', async () => {
      // The native add and remove cost microseconds each: a loop of requests on one signal
      // (a component's lifetime signal) pays them once, not per request.
      const { dispatcher } = spawnModule<number, number>({
        handleRequest: (n) => Promise.resolve(echo.handleRequest(n)), // answered later: a listener is up meanwhile
        handleCommand: noCommands,
      });
      const controller = new AbortController();
      const seen = new Set<unknown>();
      for (let i = 0; i < 10; i++) {
        const pending = dispatcher.request(i, { signal: controller.signal, timeoutMs: 1_000 });
        const listeners = getEventListeners(controller.signal, 'abort');
        expect(listeners).toHaveLength(1);
        seen.add(listeners[0]);
        await pending;
      }
      expect(seen.size).toBe(1); // the same listener all along: never removed and added again
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1); // until the sweep
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      // And the signal still works for the next request, on a listener of its own.
      const late = codeOf(dispatcher.request(1, { signal: controller.signal }));
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      controller.abort();
      expect(await late).toBe('CANCELLED');
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('adds no abort listener and no timeout bucket for a request a synchronous handler answers on the spot', async () => {
      const { dispatcher } = spawnModule<number, number>(echo);
      const controller = new AbortController();
      const answer = dispatcher.request(7, { signal: controller.signal, timeoutMs: 1_234 });
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      expect(dispatcher[kDeadlineBuckets]).toBe(0);
      await expect(answer).resolves.toBe(7);
    });

    it('cancels a request whose signal aborts while it is being sent (in the handler’s synchronous part)', async () => {
      const controller = new AbortController();
      let handlerSignal: AbortSignal | undefined;
      const { dispatcher } = spawnModule<number, number>({
        handleRequest: (_n, context) => {
          handlerSignal = context.signal;
          controller.abort(new Error('gone'));
          return NEVER;
        },
        handleCommand: noCommands,
      });
      const outcome = dispatcher.request(1, { signal: controller.signal, timeoutMs: 1_000 });
      await expect(outcome).rejects.toMatchObject({ code: 'CANCELLED', cause: new Error('gone') });
      expect(handlerSignal?.aborted).toBe(true); // withdrawn: the running handler heard of it
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });
  });

  describe('guard (the downcast)', () => {
    class User {
      constructor(readonly name: string) {}
    }
    type Response = User | Date | string | { legacy: true };
    const responses: Record<string, Response> = {
      user: new User('ada'),
      date: new Date(0),
      text: 'hello',
      legacy: { legacy: true },
    };
    const setup = (): SparkGenericModuleDispatcher<string, Response> =>
      spawnModule<string, Response>({
        handleRequest: (key) => responses[key] ?? 'none',
        handleCommand: noCommands,
      }).dispatcher;

    it('checks classes (non-writable prototype) with instanceof', async () => {
      const dispatcher = setup();
      await expect(dispatcher.request('user', { guard: User })).resolves.toBeInstanceOf(User);
      await expect(dispatcher.request('date', { guard: Date })).resolves.toEqual(new Date(0));
      await expect(codeOf(dispatcher.request('text', { guard: User }))).resolves.toBe(
        'INVALID_RESPONSE_TYPE',
      );
    });

    it('calls any other function as a predicate', async () => {
      const dispatcher = setup();
      const isText = (r: Response): r is string => typeof r === 'string';
      // A plain function has a writable prototype: it is a predicate, even if it reads like a class.
      function isLegacy(r: Response): r is { legacy: true } {
        return typeof r === 'object' && 'legacy' in r;
      }
      await expect(dispatcher.request('text', { guard: isText })).resolves.toBe('hello');
      await expect(dispatcher.request('legacy', { guard: isLegacy })).resolves.toEqual({ legacy: true });
      const error = (await dispatcher
        .request('user', { guard: isText })
        .catch((e: unknown) => e)) as SparkChannelError;
      expect(error).toBeInstanceOf(SparkChannelError);
      expect(error.code).toBe('INVALID_RESPONSE_TYPE');
      expect(error.message).toMatch(/isText/);
    });

    it('turns a throwing guard into INVALID_RESPONSE_TYPE with the cause kept', async () => {
      const dispatcher = setup();
      const boom = new Error('guard bug');
      const guard = (_: Response): _ is string => {
        throw boom;
      };
      const error = (await dispatcher
        .request('text', { guard })
        .catch((e: unknown) => e)) as SparkChannelError;
      expect(error.code).toBe('INVALID_RESPONSE_TYPE');
      expect(error.cause).toBe(boom);
      await expect(dispatcher.request('text')).resolves.toBe('hello'); // the server goes on
    });

    it('never applies the guard to a failed request', async () => {
      const boom = new Error('handler failed');
      const { dispatcher } = spawnModule<string, string>({
        handleRequest: () => {
          throw boom;
        },
        handleCommand: noCommands,
      });
      const guard = jest.fn((r: string): r is string => typeof r === 'string') as unknown as (
        r: string,
      ) => r is string;
      await expect(dispatcher.request('x', { guard })).rejects.toBe(boom);
      expect(guard).not.toHaveBeenCalled();
    });
  });

  describe('requestResult', () => {
    it('never rejects', async () => {
      const boom = new Error('boom');
      const { dispatcher, server } = spawnModule<string, string>({
        handleRequest: (m) => {
          if (m === 'fail') throw boom;
          return m;
        },
        handleCommand: noCommands,
      });
      await expect(dispatcher.requestResult('ok')).resolves.toEqual({ ok: true, value: 'ok' });
      await expect(dispatcher.requestResult('fail')).resolves.toEqual({ ok: false, error: boom });
      const bad = await dispatcher.requestResult('x', { timeoutMs: -1 });
      expect(bad.ok).toBe(false);
      expect(!bad.ok && bad.error).toBeInstanceOf(RangeError);
      server.stop();
      const refused = await dispatcher.requestResult('late');
      expect(!refused.ok && (refused.error as SparkChannelError).code).toBe('SEND_FAILED');
    });
  });

  describe('a timed request the channel refuses', () => {
    it('is answered on its own oneshot, at once or after waiting for room, and leaves no deadline', async () => {
      const gate = deferred<void>();
      const channel = new ModuleChannel<string, string>(1);
      const server = runModuleServer(
        {
          handleRequest: async (m: string) => {
            if (m === 'block') await gate.promise;
            return m;
          },
          handleCommand: noCommands,
        },
        channel,
      );
      const dispatcher = new SparkGenericModuleDispatcher(channel);
      const options = { timeoutMs: 60_000, signal: new AbortController().signal };
      const running = dispatcher.request('block', options); // running: its slot is free again
      const queued = dispatcher.request('queued', options); // takes the one slot
      const waiting = dispatcher.requestResult('waiting', options); // waits for room
      await flush();
      expect(await isSettled(waiting)).toBe(false);
      server.stop();
      expect(await waiting).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'SEND_FAILED' }) as unknown,
      });
      expect(await codeOf(queued)).toBe('RECEIVE_FAILED');
      expect(await codeOf(running)).toBe('RECEIVE_FAILED');
      expect(await codeOf(dispatcher.request('closed', options))).toBe('SEND_FAILED');
      expect(dispatcher[kDeadlineBuckets]).toBe(1); // the one bucket of 60 s, idle: kept as the spare
      gate.resolve();
    });
  });

  describe('bad per-request options', () => {
    it.each([
      [{ timeoutMs: 0 }, RangeError, /`timeoutMs`/],
      [{ timeoutMs: Number.NaN }, RangeError, /`timeoutMs`/],
      [{ timeoutMs: -1 }, RangeError, /`timeoutMs`/],
      [{ signal: {} }, TypeError, /`signal`/],
      [{ guard: 'User' }, TypeError, /`guard`/],
      [7, TypeError, /`options`/],
    ])('rejects %p and sends nothing', async (options, type, message) => {
      const channel = new ModuleChannel<string, string>();
      const dispatcher = new SparkGenericModuleDispatcher(channel);
      const error = await dispatcher.request('x', options as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
      expect(channel.size).toBe(0);
      let observed: unknown;
      dispatcher.request$('x', options as never).subscribe({ error: (e: unknown) => (observed = e) });
      expect(observed).toBeInstanceOf(type);
      expect(channel.size).toBe(0);
    });
  });

  describe('commands', () => {
    it('sendCommand resolves once accepted; trySendCommand throws CHANNEL_FULL or SEND_FAILED', async () => {
      const { dispatcher, server } = spawnModule<string, string>(
        { handleRequest: () => NEVER, handleCommand: () => NEVER },
        { capacity: 1 },
      );
      await dispatcher.sendCommand('running');
      dispatcher.trySendCommand('queued');
      expect(() => dispatcher.trySendCommand('full')).toThrow(
        expect.objectContaining({ code: 'CHANNEL_FULL' }),
      );
      const waiting = dispatcher.sendCommand('waits');
      expect(await isSettled(waiting)).toBe(false);
      server.stop();
      await expect(codeOf(waiting)).resolves.toBe('SEND_FAILED');
      expect(() => dispatcher.trySendCommand('closed')).toThrow(
        expect.objectContaining({ code: 'SEND_FAILED' }),
      );
    });
  });

  describe('shutdown', () => {
    it('rejects a Shutdown token without cancel() with a TypeError, and sends nothing', async () => {
      const channel = new ModuleChannel<string, string, { cancel(): void }>();
      const dispatcher = new SparkGenericModuleDispatcher(channel);
      await expect(dispatcher.shutdown({} as never)).rejects.toThrow(/`message.token`/);
      expect(channel.isClosed).toBe(false);
    });
  });

  describe('rate limit (virtual time)', () => {
    it('delays sends beyond the limit in order, and refuses trySendCommand with RATE_LIMITED', () => {
      const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
      scheduler.run(({ flush: run }) => {
        const handled: string[] = [];
        const answeredAt: Record<string, number> = {};
        const channel = new ModuleChannel<string, string>();
        runModuleServer(
          {
            handleRequest: (m) => (handled.push(m), m),
            handleCommand: (m) => void handled.push(m),
          },
          channel,
        );
        const dispatcher = new SparkGenericModuleDispatcher(channel, {
          rateLimit: { limit: 2, intervalMs: 10 },
        });
        const send = (m: string): void =>
          void dispatcher.request$(m).subscribe(() => (answeredAt[m] = scheduler.now()));
        send('a');
        dispatcher.trySendCommand('b');
        expect(() => dispatcher.trySendCommand('c')).toThrow(
          expect.objectContaining({ code: 'RATE_LIMITED' }),
        );
        send('d');
        send('e');
        send('f');
        expect(() => dispatcher.trySendCommand('g')).toThrow(
          expect.objectContaining({ code: 'RATE_LIMITED' }),
        );
        run();
        expect(handled).toEqual(['a', 'b', 'd', 'e', 'f']);
        expect(answeredAt).toEqual({ a: 0, d: 10, e: 10, f: 20 });
      });
    });

    it('lets a request that times out while waiting for the limit leave the line', () =>
      new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ expectObservable, flush: run }) => {
        const handled: string[] = [];
        const { dispatcher } = spawnModule<string, string>(
          { handleRequest: (m) => (handled.push(m), m), handleCommand: noCommands },
          { rateLimit: { limit: 1, intervalMs: 10 } },
        );
        expectObservable(dispatcher.request$('a')).toBe('(a|)', { a: 'a' });
        expectObservable(dispatcher.request$('gives up', { timeoutMs: 5 })).toBe(
          '5ms #',
          undefined,
          expect.objectContaining({ code: 'TIMEOUT' }),
        );
        expectObservable(dispatcher.request$('b')).toBe('10ms (b|)', { b: 'b' });
        run();
        expect(handled).toEqual(['a', 'b']);
      }));

    it('sendCommand waits for the limit too', async () => {
      const handled: string[] = [];
      const { dispatcher, server } = spawnModule<string, string>(
        { handleRequest: (m) => m, handleCommand: (m) => void handled.push(m) },
        { rateLimit: { limit: 1, intervalMs: 5 } },
      );
      await Promise.all([dispatcher.sendCommand('a'), dispatcher.sendCommand('b')]);
      expect(handled).toEqual(['a', 'b']);
      server.stop();
      const refused = new Observable<string>((s) => {
        dispatcher.sendCommand('c').catch((e: unknown) => s.error(e));
      });
      await expect(firstValueFrom(refused)).rejects.toMatchObject({ code: 'SEND_FAILED' });
    });
  });
});
