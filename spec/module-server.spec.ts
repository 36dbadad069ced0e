import {
  AsyncSubject,
  EmptyError,
  lastValueFrom,
  NEVER,
  Observable,
  of,
  Subject,
  throwError,
  toArray,
} from 'rxjs';

import {
  CallbackWrapper,
  type HandlerContext,
  ModuleChannel,
  type ModuleError,
  type Result,
  runModuleServer,
  SparkChannelCancellationToken,
  SparkChannelError,
  SparkGenericModuleDispatcher,
  type SparkGenericModuleHandler,
  SparkGenericModuleMessage,
  spawnModule,
} from '../lib/index.js';
import { codeOf, deferred, flush, recordingLogger } from './support/helpers.js';

const noCommands = (): void => undefined;

describe('runModuleServer', () => {
  describe('order', () => {
    it('handles requests and commands one at a time, in the order they were sent', async () => {
      const seen: string[] = [];
      let running = 0;
      let maxRunning = 0;
      const work = async (tag: string): Promise<string> => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        seen.push(`start ${tag}`);
        await flush();
        seen.push(`end ${tag}`);
        running--;
        return tag;
      };
      const { dispatcher } = spawnModule<string, string>({
        handleRequest: work,
        handleCommand: async (tag) => {
          await work(tag);
        },
      });
      const done = Promise.all([
        dispatcher.request('a'),
        dispatcher.sendCommand('b'),
        dispatcher.request('c'),
        dispatcher.sendCommand('d'),
      ]);
      await done;
      await dispatcher.shutdown();
      expect(maxRunning).toBe(1);
      expect(seen).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c', 'start d', 'end d']);
    });

    it('runs a command observable to completion before the next message', async () => {
      const seen: string[] = [];
      const tick = new Subject<void>();
      const { dispatcher } = spawnModule<string, string>({
        handleRequest: (m) => {
          seen.push(`request ${m}`);
          return m;
        },
        handleCommand: (m) =>
          new Observable<number>((subscriber) => {
            seen.push(`command ${m} subscribed`);
            subscriber.next(1); // values do not end a command
            const sub = tick.subscribe(() => {
              seen.push(`command ${m} done`);
              subscriber.complete();
            });
            return () => sub.unsubscribe();
          }),
      });
      void dispatcher.sendCommand('c');
      const answer = dispatcher.request('r');
      await flush();
      expect(seen).toEqual(['command c subscribed']);
      tick.next();
      await expect(answer).resolves.toBe('r');
      expect(seen).toEqual(['command c subscribed', 'command c done', 'request r']);
    });

    it('handles a message sent before the server subscribed', async () => {
      const channel = new ModuleChannel<number, number>();
      const dispatcher = new SparkGenericModuleDispatcher(channel);
      const early = dispatcher.request(20);
      await channel.send(SparkGenericModuleMessage.Command(1));
      expect(channel.size).toBe(2);
      const commands: number[] = [];
      runModuleServer({ handleRequest: (n) => n + 1, handleCommand: (n) => void commands.push(n) }, channel);
      await expect(early).resolves.toBe(21);
      expect(commands).toEqual([1]);
    });
  });

  describe('requests', () => {
    it('answers with a value, a promise, or the first value of an observable', async () => {
      let unsubscribed = false;
      const { dispatcher } = spawnModule<string, number>({
        handleRequest: (kind) => {
          if (kind === 'value') return 1;
          if (kind === 'promise') return Promise.resolve(2);
          return new Observable<number>((subscriber) => {
            subscriber.next(3);
            subscriber.next(4);
            return () => (unsubscribed = true);
          });
        },
        handleCommand: noCommands,
      });
      await expect(dispatcher.request('value')).resolves.toBe(1);
      await expect(dispatcher.request('promise')).resolves.toBe(2);
      await expect(dispatcher.request('observable')).resolves.toBe(3);
      expect(unsubscribed).toBe(true); // the server moved on and left the observable
      await expect(dispatcher.request('value')).resolves.toBe(1);
    });

    it('unsubscribes from an asynchronous observable after its first value and moves on', async () => {
      const source = new Subject<number>();
      const { dispatcher } = spawnModule<string, number>({
        handleRequest: (m) => (m === 'stream' ? source.asObservable() : 9),
        handleCommand: noCommands,
      });
      const first = dispatcher.request('stream');
      const second = dispatcher.request('next');
      expect(source.observed).toBe(true);
      source.next(5);
      expect(source.observed).toBe(false);
      await expect(first).resolves.toBe(5);
      await expect(second).resolves.toBe(9);
    });

    it('fails a request whose observable completes empty with EmptyError', async () => {
      const { dispatcher, server } = spawnModule<string, number>({
        handleRequest: () => new Observable<number>((s) => s.complete()),
        handleCommand: noCommands,
      });
      const errors: ModuleError<string, Error>[] = [];
      server.errors$.subscribe((e) => errors.push(e));
      await expect(dispatcher.request('x')).rejects.toBeInstanceOf(EmptyError);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.error).toBeInstanceOf(EmptyError);
    });

    it.each([
      [
        'throws synchronously',
        (e: unknown) => (): never => {
          throw e;
        },
      ],
      ['rejects', (e: unknown) => (): Promise<never> => Promise.reject(e)],
      ['errors its observable', (e: unknown) => (): Observable<never> => throwError(() => e)],
      [
        'errors its observable later',
        (e: unknown) => (): Promise<never> => flush().then(() => Promise.reject(e)),
      ],
    ])('rejects the caller with the same error when the handler %s, and reports it', async (_, make) => {
      for (const thrown of [new Error('boom'), 'a string', { code: 42 }, undefined, null]) {
        const { dispatcher, server } = spawnModule<string, string>({
          handleRequest: (m) => (m === 'fail' ? (make(thrown)() as never) : m),
          handleCommand: noCommands,
        });
        const errors: ModuleError<string, unknown>[] = [];
        server.errors$.subscribe((e) => errors.push(e));
        const failed = dispatcher.request('fail').then(
          () => 'resolved',
          (error: unknown) => error,
        );
        const next = dispatcher.request('ok');
        expect(await failed).toBe(thrown); // the same value, unchanged
        await expect(next).resolves.toBe('ok'); // and the server goes on
        expect(errors).toEqual([{ kind: 'request', message: 'fail', error: thrown }]);
        expect(server.stats()).toMatchObject({ handled: 2, failed: 1 });
      }
    });

    it('answers thousands of concurrent requests, each to its own caller', async () => {
      const { dispatcher } = spawnModule<number, string>({
        handleRequest: async (n) => {
          if (n % 7 === 0) await flush();
          if (n % 11 === 0) throw new Error(`no ${n}`);
          return `answer ${n}`;
        },
        handleCommand: noCommands,
      });
      const n = 5_000;
      const answers = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          dispatcher.request(i).then(
            (value) => value,
            (error: Error) => error.message,
          ),
        ),
      );
      answers.forEach((answer, i) => expect(answer).toBe(i % 11 === 0 ? `no ${i}` : `answer ${i}`));
    });

    it('answers 10,000 requests queued behind one slow request with a synchronous handler', async () => {
      const gate = deferred<number>();
      const { dispatcher, server } = spawnModule<number, number>({
        handleRequest: (n) => (n === -1 ? gate.promise : n * 2),
        handleCommand: noCommands,
      });
      const slow = dispatcher.request(-1);
      const queued = Array.from({ length: 10_000 }, (_, i) => dispatcher.request(i));
      expect(server.stats()).toMatchObject({ queued: 10_000, running: 1 });
      gate.resolve(-2);
      await expect(slow).resolves.toBe(-2);
      const answers = await Promise.all(queued);
      expect(answers).toHaveLength(10_000);
      answers.forEach((answer, i) => expect(answer).toBe(i * 2));
      expect(server.stats()).toEqual({ queued: 0, running: 0, handled: 10_001, failed: 0 });
    });

    it('drains 100,000 mixed messages queued behind a blocked handler without overflowing the stack', async () => {
      const gate = deferred();
      let commands = 0;
      const { dispatcher, server } = spawnModule<number, number>({
        handleRequest: (n) => (n < 0 ? gate.promise.then(() => n) : of(n)),
        handleCommand: () => {
          commands++;
        },
      });
      const blocked = dispatcher.request(-1);
      const requests: Promise<number>[] = [];
      for (let i = 0; i < 100_000; i++) {
        if (i % 2 === 0) requests.push(dispatcher.request(i));
        else void dispatcher.sendCommand(i);
      }
      gate.resolve();
      await blocked;
      const answers = await Promise.all(requests);
      expect(answers[answers.length - 1]).toBe(99_998);
      expect(commands).toBe(50_000);
      expect(server.stats()).toMatchObject({ handled: 100_001, failed: 0, queued: 0 });
    });
  });

  describe('commands', () => {
    it('sends command failures to errors$ and the logger, never to the sender', async () => {
      const logger = recordingLogger();
      const { dispatcher, server } = spawnModule<string, never>(
        {
          handleRequest: () => {
            throw new Error('no requests');
          },
          handleCommand: (m) => {
            if (m === 'sync') throw new Error('sync');
            if (m === 'async') return Promise.reject(new Error('async'));
            if (m === 'observable') return throwError(() => new Error('observable'));
            if (m === 'non-error') throw 'just a string';
            return undefined;
          },
        },
        { logger },
      );
      const errors = lastValueFrom(server.errors$.pipe(toArray()));
      for (const m of ['sync', 'async', 'observable', 'non-error', 'fine']) {
        await expect(dispatcher.sendCommand(m)).resolves.toBeUndefined();
      }
      await dispatcher.shutdown();
      const reported = await errors;
      expect(reported.map((e) => [e.kind, e.message])).toEqual([
        ['command', 'sync'],
        ['command', 'async'],
        ['command', 'observable'],
        ['command', 'non-error'],
      ]);
      expect(reported[3]?.error).toBe('just a string');
      expect(logger.errors).toHaveLength(4);
      expect(logger.errors[0]?.[1]).toEqual(new Error('sync'));
      expect(server.stats()).toMatchObject({ handled: 5, failed: 4 });
    });

    it('survives a logger that throws and logs to console by default', async () => {
      const { dispatcher, server } = spawnModule<string, never>(
        { handleRequest: () => NEVER, handleCommand: () => Promise.reject(new Error('x')) },
        {
          logger: {
            error: () => {
              throw new Error('logger down');
            },
          },
        },
      );
      await dispatcher.sendCommand('a');
      await dispatcher.sendCommand('b');
      await flush();
      expect(server.stats()).toMatchObject({ handled: 2, failed: 2 });

      const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const plain = spawnModule<string, never>({
          handleRequest: () => NEVER,
          handleCommand: () => Promise.reject(new Error('y')),
        });
        await plain.dispatcher.sendCommand('c');
        await flush();
        expect(spy).toHaveBeenCalledWith('spark-channel: handleCommand failed:', new Error('y'), 'c');
        plain.server.stop();
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe('errors$', () => {
    it('completes when the server stops', async () => {
      const { server } = spawnModule({ handleRequest: (m: number) => m, handleCommand: noCommands });
      let completed = false;
      server.errors$.subscribe({ complete: () => (completed = true) });
      server.stop();
      expect(completed).toBe(true);
      await expect(server.stopped).resolves.toBeUndefined();
    });

    it('does not carry guard mismatches: those are the caller’s', async () => {
      const { dispatcher, server } = spawnModule<string, string | number>({
        handleRequest: (m) => m,
        handleCommand: noCommands,
      });
      const errors: unknown[] = [];
      server.errors$.subscribe((e) => errors.push(e));
      const isNumber = (r: string | number): r is number => typeof r === 'number';
      await expect(codeOf(dispatcher.request('text', { guard: isNumber }))).resolves.toBe(
        'INVALID_RESPONSE_TYPE',
      );
      await expect(dispatcher.request('still up')).resolves.toBe('still up');
      expect(errors).toEqual([]);
    });
  });

  describe('Shutdown, in band', () => {
    it('handles everything sent before it, then cancels the token and stops', async () => {
      const seen: number[] = [];
      const { dispatcher, server } = spawnModule<number, number>({
        handleRequest: async (n) => {
          await flush();
          seen.push(n);
          return n;
        },
        handleCommand: (n) => void seen.push(n),
      });
      const token = new SparkChannelCancellationToken();
      const answers = [dispatcher.request(1), dispatcher.request(2)];
      void dispatcher.sendCommand(3);
      const stopped = dispatcher.shutdown(token);
      expect(dispatcher.sender.isClosed).toBe(true);
      expect(token.isCancelled).toBe(false);
      await expect(codeOf(dispatcher.request(4))).resolves.toBe('SEND_FAILED');
      await expect(codeOf(dispatcher.sendCommand(5))).resolves.toBe('SEND_FAILED');
      await stopped;
      await expect(Promise.all(answers)).resolves.toEqual([1, 2]);
      expect(seen).toEqual([1, 2, 3]);
      expect(token.isCancelled).toBe(true);
      expect(server.isRunning).toBe(false);
      await expect(server.stopped).resolves.toBeUndefined();
    });

    it('lets senders already waiting for room in ahead of the Shutdown', async () => {
      const gate = deferred();
      const seen: string[] = [];
      const { dispatcher, server } = spawnModule<string, string>(
        {
          handleRequest: async (m) => {
            await gate.promise;
            seen.push(m);
            return m;
          },
          handleCommand: (m) => void seen.push(m),
        },
        { capacity: 1 },
      );
      const running = dispatcher.request('running'); // started: leaves the channel
      const queued = dispatcher.request('queued'); // takes the one slot
      const waiting = dispatcher.sendCommand('waiting'); // waits for room
      const stopped = dispatcher.shutdown();
      await expect(codeOf(dispatcher.sendCommand('late'))).resolves.toBe('SEND_FAILED');
      gate.resolve();
      await stopped;
      await expect(Promise.all([running, queued, waiting])).resolves.toEqual([
        'running',
        'queued',
        undefined,
      ]);
      expect(seen).toEqual(['running', 'queued', 'waiting']);
      expect(server.isRunning).toBe(false);
    });

    it('waits for every running handler to finish when concurrency > 1', async () => {
      const gates = [deferred(), deferred()];
      let finished = 0;
      const { dispatcher, server } = spawnModule<number, number>(
        {
          handleRequest: async (n) => {
            await gates[n]?.promise;
            finished++;
            return n;
          },
          handleCommand: noCommands,
        },
        { concurrency: 2 },
      );
      const answers = Promise.all([dispatcher.request(0), dispatcher.request(1)]);
      const stopped = dispatcher.shutdown();
      gates[1]?.resolve();
      await flush();
      expect(server.isRunning).toBe(true);
      gates[0]?.resolve();
      await stopped;
      expect(finished).toBe(2);
      await expect(answers).resolves.toEqual([0, 1]);
    });

    it('resolves at once on a stopped server, and waits for a Shutdown already under way', async () => {
      const gate = deferred();
      const { dispatcher, server } = spawnModule<number, number>({
        handleRequest: () => gate.promise.then(() => 1),
        handleCommand: noCommands,
      });
      void dispatcher.request(0);
      const first = dispatcher.shutdown();
      const secondToken = new SparkChannelCancellationToken();
      const second = dispatcher.shutdown(secondToken);
      await flush();
      expect(secondToken.isCancelled).toBe(false);
      gate.resolve();
      await Promise.all([first, second]);
      expect(secondToken.isCancelled).toBe(true);
      expect(server.isRunning).toBe(false);
      const third = new SparkChannelCancellationToken();
      await dispatcher.shutdown(third);
      expect(third.isCancelled).toBe(true);
    });

    it('works through a raw channel.send with a custom token type', async () => {
      const cancelled: string[] = [];
      const channel = new ModuleChannel<string, string, { cancel(): void }>();
      const server = runModuleServer({ handleRequest: (m) => m, handleCommand: noCommands }, channel);
      await channel.send(SparkGenericModuleMessage.Shutdown({ cancel: () => cancelled.push('custom') }));
      await server.stopped;
      expect(cancelled).toEqual(['custom']);
      await expect(codeOf(channel.send(SparkGenericModuleMessage.Command('late')))).resolves.toBe(
        'SEND_FAILED',
      );
    });

    it('still stops when the token’s cancel() throws, and logs a warning', async () => {
      const logger = recordingLogger();
      const channel = new ModuleChannel<string, string, { cancel(): void }>();
      const server = runModuleServer({ handleRequest: (m) => m, handleCommand: noCommands }, channel, {
        logger,
      });
      const dispatcher = new SparkGenericModuleDispatcher(channel);
      await dispatcher.shutdown({
        cancel: () => {
          throw new Error('bad token');
        },
      });
      expect(server.isRunning).toBe(false);
      expect(logger.warnings).toHaveLength(1);
    });
  });

  describe('stop(), immediate', () => {
    it('aborts the running handler and rejects running and queued requests with RECEIVE_FAILED at once', async () => {
      let context: HandlerContext | undefined;
      const { dispatcher, server } = spawnModule<string, string>({
        handleRequest: (m, ctx) => {
          context = ctx;
          return new Promise<string>(() => undefined); // never settles by itself
        },
        handleCommand: noCommands,
      });
      const rejections: unknown[] = [];
      const running = dispatcher.request('running').catch((e: unknown) => rejections.push(e));
      const queued = dispatcher.request('queued').catch((e: unknown) => rejections.push(e));
      void dispatcher.sendCommand('dropped');
      expect(context?.signal.aborted).toBe(false);
      server.stop();
      expect(context?.signal.aborted).toBe(true);
      expect(server.isRunning).toBe(false);
      await Promise.all([running, queued]);
      expect(rejections).toHaveLength(2);
      for (const error of rejections) {
        expect(error).toBeInstanceOf(SparkChannelError);
        expect((error as SparkChannelError).code).toBe('RECEIVE_FAILED');
      }
      expect(server.stats()).toMatchObject({ queued: 0, running: 0 });
      await expect(codeOf(dispatcher.request('after'))).resolves.toBe('SEND_FAILED');
      server.stop(); // idempotent
    });

    it('answers a raw Request with { ok: false } and completes its AsyncSubject', async () => {
      const channel = new ModuleChannel<string, string>();
      const server = runModuleServer({ handleRequest: () => NEVER, handleCommand: noCommands }, channel);
      const replies = [new AsyncSubject<Result<string, Error>>(), new AsyncSubject<Result<string, Error>>()];
      for (const reply of replies)
        await channel.send(SparkGenericModuleMessage.Request(new CallbackWrapper('x', reply)));
      const outcomes = replies.map((reply) => lastValueFrom(reply.pipe(toArray())));
      server.stop();
      for (const received of await Promise.all(outcomes)) {
        expect(received).toHaveLength(1);
        expect(received[0]).toMatchObject({ ok: false, error: { code: 'RECEIVE_FAILED' } });
      }
    });

    it('refuses senders still waiting for room with SEND_FAILED', async () => {
      const { dispatcher, server } = spawnModule<string, string>(
        { handleRequest: () => NEVER, handleCommand: noCommands },
        { capacity: 1 },
      );
      const running = dispatcher.request('running');
      const queued = dispatcher.request('queued');
      const waitingRequest = dispatcher.request('waiting');
      const waitingCommand = dispatcher.sendCommand('waiting');
      server.stop();
      await expect(codeOf(running)).resolves.toBe('RECEIVE_FAILED');
      await expect(codeOf(queued)).resolves.toBe('RECEIVE_FAILED');
      await expect(codeOf(waitingRequest)).resolves.toBe('SEND_FAILED');
      await expect(codeOf(waitingCommand)).resolves.toBe('SEND_FAILED');
    });

    it('cancels the tokens of Shutdowns it never reached', async () => {
      const { dispatcher, server } = spawnModule<string, string>({
        handleRequest: () => NEVER,
        handleCommand: noCommands,
      });
      const blocked = codeOf(dispatcher.request('blocked'));
      const token = new SparkChannelCancellationToken();
      const stopped = dispatcher.shutdown(token);
      server.stop();
      await stopped;
      expect(token.isCancelled).toBe(true);
      await expect(blocked).resolves.toBe('RECEIVE_FAILED');
    });

    it('ignores what a handler settles after the stop', async () => {
      const gate = deferred<string>();
      const { dispatcher, server } = spawnModule<string, string>({
        handleRequest: () => gate.promise,
        handleCommand: noCommands,
      });
      const answer = dispatcher.request('x');
      server.stop();
      gate.resolve('too late');
      await expect(codeOf(answer)).resolves.toBe('RECEIVE_FAILED');
      await flush();
      expect(server.stats()).toMatchObject({ handled: 0, running: 0 });
    });

    it('stops when a handler stops its own server mid-message', async () => {
      const channel = new ModuleChannel<string, string>();
      const handler: SparkGenericModuleHandler<string, string> = {
        handleRequest: (m) => {
          if (m === 'stop') server.stop();
          return m;
        },
        handleCommand: noCommands,
      };
      const server = runModuleServer(handler, channel);
      const dispatcher = new SparkGenericModuleDispatcher(channel);
      await expect(codeOf(dispatcher.request('stop'))).resolves.toBe('RECEIVE_FAILED');
      expect(server.isRunning).toBe(false);
    });

    it('ignores a second start() (a method of the class, not of the ModuleServer type)', async () => {
      const { dispatcher, server } = spawnModule<number, number>({
        handleRequest: (m) => m + 1,
        handleCommand: noCommands,
      });
      expect((server as unknown as { start(): unknown }).start()).toBe(server);
      await expect(dispatcher.request(1)).resolves.toBe(2);
      expect(server.stats()).toMatchObject({ handled: 1 });
    });

    it.each([1, 2])(
      'fails the request whose observable stops its own server as it is subscribed (concurrency %i)',
      async (concurrency) => {
        // The stop comes after the handler returned, while its observable is being followed:
        // the job is running, so the stop must fail it (it once hung with concurrency 1).
        const channel = new ModuleChannel<string, string>();
        const handler: SparkGenericModuleHandler<string, string> = {
          handleRequest: () => new Observable<string>(() => server.stop()),
          handleCommand: noCommands,
        };
        const server = runModuleServer(handler, channel, { concurrency });
        const dispatcher = new SparkGenericModuleDispatcher(channel);
        await expect(codeOf(dispatcher.request('x'))).resolves.toBe('RECEIVE_FAILED');
        expect(server.stats()).toMatchObject({ running: 0 });
      },
    );

    it('stops when its `token` option is cancelled, and when created with a cancelled token', async () => {
      const token = new SparkChannelCancellationToken();
      const { dispatcher, server } = spawnModule<string, string>(
        { handleRequest: () => NEVER, handleCommand: noCommands },
        { token },
      );
      const pending = dispatcher.request('x');
      token.cancel();
      expect(server.isRunning).toBe(false);
      await expect(codeOf(pending)).resolves.toBe('RECEIVE_FAILED');

      const already = new SparkChannelCancellationToken();
      already.cancel();
      const late = spawnModule<string, string>(
        { handleRequest: (m) => m, handleCommand: noCommands },
        { token: already },
      );
      expect(late.server.isRunning).toBe(false);
      await expect(codeOf(late.dispatcher.request('y'))).resolves.toBe('SEND_FAILED');
    });
  });

  describe('context.signal', () => {
    it('is aborted when the caller gives up on a running request', async () => {
      const seen: string[] = [];
      const { dispatcher } = spawnModule<string, string>({
        handleRequest: (m, { signal }) =>
          new Promise<string>((resolve) => {
            signal.addEventListener('abort', () => {
              seen.push(`aborted ${m}: ${(signal.reason as SparkChannelError).code}`);
              resolve('ignored');
            });
          }),
        handleCommand: noCommands,
      });
      const controller = new AbortController();
      const answer = dispatcher.request('r', { signal: controller.signal });
      await flush();
      controller.abort();
      await expect(codeOf(answer)).resolves.toBe('CANCELLED');
      expect(seen).toEqual(['aborted r: CANCELLED']);
    });

    it('is never aborted for a handler that finishes normally, and costs nothing unread', async () => {
      let signal: AbortSignal | undefined;
      const { dispatcher } = spawnModule<string, string>({
        handleRequest: (m, ctx) => {
          signal = ctx.signal;
          return m;
        },
        handleCommand: noCommands,
      });
      await dispatcher.request('a', { timeoutMs: 1_000 });
      expect(signal?.aborted).toBe(false);
    });
  });

  describe('concurrency', () => {
    it('runs at most n handlers at once, started in arrival order', async () => {
      const started: number[] = [];
      let running = 0;
      let maxRunning = 0;
      const { dispatcher, server } = spawnModule<number, number>(
        {
          handleRequest: async (n) => {
            started.push(n);
            running++;
            maxRunning = Math.max(maxRunning, running);
            for (let i = 0; i < n % 5; i++) await flush();
            running--;
            return n;
          },
          handleCommand: noCommands,
        },
        { concurrency: 3 },
      );
      const inputs = Array.from({ length: 50 }, (_, i) => i);
      const answers = await Promise.all(inputs.map((n) => dispatcher.request(n)));
      expect(answers).toEqual(inputs);
      expect(started).toEqual(inputs);
      expect(maxRunning).toBe(3);
      expect(server.stats()).toMatchObject({ handled: 50, running: 0 });
    });
  });

  describe('bad input', () => {
    const channel = (): ModuleChannel<string, string> => new ModuleChannel<string, string>();
    const handler = { handleRequest: (m: string) => m, handleCommand: noCommands };

    it.each([
      ['no handler', undefined, /`handler`/],
      ['a handler missing handleCommand', { handleRequest: () => 1 }, /`handler\.handleCommand`/],
      ['a handler missing handleRequest', { handleCommand: () => undefined }, /`handler\.handleRequest`/],
    ])('throws a TypeError for %s', (_, bad, message) => {
      expect(() => runModuleServer(bad as never, channel())).toThrow(new RegExp(message.source));
      expect(() => runModuleServer(bad as never, channel())).toThrow(TypeError);
    });

    it('throws a TypeError without a channel, or on a channel that already has a server', () => {
      expect(() => runModuleServer(handler, undefined as never)).toThrow(/`channel`/);
      const shared = channel();
      runModuleServer(handler, shared);
      expect(() => runModuleServer(handler, shared)).toThrow(TypeError);
    });

    it.each([
      [{ concurrency: 0 }, RangeError, /`concurrency`/],
      [{ concurrency: 1.5 }, RangeError, /`concurrency`/],
      [{ concurrency: Number.NaN }, RangeError, /`concurrency`/],
      [{ logger: {} }, TypeError, /`logger`/],
      [{ token: { cancel() {} } }, TypeError, /`token`/],
      ['options', TypeError, /`options`/],
    ])('rejects options %p', (options, type, message) => {
      expect(() => runModuleServer(handler, channel(), options as never)).toThrow(type);
      expect(() => runModuleServer(handler, channel(), options as never)).toThrow(message);
    });
  });
});
