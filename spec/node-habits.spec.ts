// The Node habits of docs/shutdown.md and docs/flow-control.md: a server tied to an AbortSignal's
// lifetime (`signal` beside `token`), and `AbortSignal.timeout(ms)` read as a timeout.
import { getEventListeners } from 'node:events';

import {
  CallbackWrapper,
  ModuleChannel,
  type Result,
  type ModuleServer,
  runModuleServer,
  SparkGenericModuleDispatcher,
  SparkGenericModuleMessage,
  spawnModule,
} from '../lib/index.js';
import { AsyncSubject, lastValueFrom } from 'rxjs';

import { deferred } from './support/helpers.js';

const echo = {
  handleRequest: (n: number): number => n,
  handleCommand: (): void => undefined,
};

describe('the `signal` option of a server', () => {
  it('stops the server when it aborts, as stop() does, and stops listening', async () => {
    const controller = new AbortController();
    const gate = deferred();
    const { dispatcher, server } = spawnModule<number, number>(
      { handleRequest: async (n) => (await gate.promise, n), handleCommand: () => undefined },
      { signal: controller.signal },
    );
    const events: string[] = [];
    server.events$.subscribe((e) => events.push(e.type === 'stopped' ? `stopped: ${e.reason}` : e.type));
    const running = dispatcher.request(1);
    const queued = dispatcher.request(2);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort(new Error('the app is closing'));
    await expect(running).rejects.toMatchObject({ code: 'RECEIVE_FAILED' });
    await expect(queued).rejects.toMatchObject({ code: 'RECEIVE_FAILED' });
    await server.stopped;
    expect(server.isRunning).toBe(false);
    expect(events).toContain('stopped: the module server was stopped by its signal');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await expect(dispatcher.request(3)).rejects.toMatchObject({ code: 'SEND_FAILED' });
  });

  it('stops at once with a signal that has already aborted', async () => {
    const { dispatcher, server } = spawnModule<number, number>(echo, { signal: AbortSignal.abort() });
    expect(server.isRunning).toBe(false);
    await server.stopped;
    await expect(dispatcher.request(1)).rejects.toMatchObject({ code: 'SEND_FAILED' });
  });

  it('works beside a token and after a stop: whichever comes first stops it, once', async () => {
    const controller = new AbortController();
    const channel = new ModuleChannel<number, number>();
    const server = runModuleServer(echo, channel, { signal: controller.signal });
    server.stop();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    controller.abort(); // nothing left to stop
    await server.stopped;
  });

  it('throws a TypeError naming `signal` when listening to it throws, and leaves the channel closed', async () => {
    const controller = new AbortController();
    // Node's addEventListener reads the signal's `constructor`: a throwing getter there is the
    // one way a real AbortSignal can refuse a listener.
    Object.defineProperty(controller.signal, 'constructor', {
      get: () => {
        throw new Error('no listeners today');
      },
    });
    const channel = new ModuleChannel<number, number>();
    let thrown: unknown;
    try {
      runModuleServer(echo, channel, { signal: controller.signal });
    } catch (error: unknown) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      name: 'TypeError',
      message: expect.stringMatching(/`signal`/),
      cause: { message: 'no listeners today' },
    });
    expect(channel.isClosed).toBe(true);
    await expect(channel.send(SparkGenericModuleMessage.Command(1))).rejects.toMatchObject({
      code: 'SEND_FAILED',
    });
  });

  it.each([
    ['a plain object', { aborted: false }],
    [
      'an object that only inherits from AbortSignal.prototype',
      Object.create(AbortSignal.prototype) as object,
    ],
    ['a string', 'abort'],
  ])('refuses %s with a TypeError naming `signal`', (_, signal) => {
    expect(() => spawnModule(echo, { signal: signal as AbortSignal })).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(/`signal`/) }),
    );
  });
});

describe('await using: Symbol.asyncDispose', () => {
  it('drains the server when the scope ends: what was sent finishes, then it stops', async () => {
    const gate = deferred();
    const handled: number[] = [];
    const channel = new ModuleChannel<number, number>();
    const dispatcher = new SparkGenericModuleDispatcher(channel);
    let server: ModuleServer<number, Error> | undefined;
    let answer: Promise<number> | undefined;
    {
      await using scoped = runModuleServer(
        {
          handleRequest: async (n: number) => (await gate.promise, n),
          handleCommand: (n: number) => void handled.push(n),
        },
        channel,
      );
      server = scoped;
      answer = dispatcher.request(1);
      void dispatcher.sendCommand(2);
      setTimeout(() => gate.resolve(), 5);
    }
    // The block waited for the drain: the request was answered, the command handled.
    expect(server.isRunning).toBe(false);
    await expect(answer).resolves.toBe(1);
    expect(handled).toEqual([2]);
    await expect(dispatcher.request(3)).rejects.toMatchObject({ code: 'SEND_FAILED' });
  });

  it('resolves at once for a server that has already stopped', async () => {
    const { server } = spawnModule<number, number>(echo);
    server.stop();
    await expect(server[Symbol.asyncDispose]()).resolves.toBeUndefined();
  });
});

describe('AbortSignal.timeout(ms) as a request signal', () => {
  it('rejects a queued request with TIMEOUT (its TimeoutError as the cause), not CANCELLED', async () => {
    const gate = deferred();
    const { dispatcher } = spawnModule<number, number>({
      handleRequest: async (n) => (await gate.promise, n),
      handleCommand: () => undefined,
    });
    void dispatcher.request(1); // holds the module
    const error = await dispatcher.request(2, { signal: AbortSignal.timeout(5) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TIMEOUT', message: 'Request timed out by its signal' });
    expect((error as Error).cause).toMatchObject({ name: 'TimeoutError' });
    gate.resolve();
    await dispatcher.shutdown();
  });

  it('rejects with TIMEOUT before sending when the signal has already timed out', async () => {
    const signal = AbortSignal.timeout(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { dispatcher, server } = spawnModule<number, number>(echo);
    await expect(dispatcher.request(1, { signal })).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: 'Request timed out before it was sent',
    });
    expect(server.stats().handled).toBe(0);
    await dispatcher.shutdown();
  });

  it('still rejects with CANCELLED for a signal aborted by hand', async () => {
    const { dispatcher } = spawnModule<number, number>(echo);
    await expect(dispatcher.request(1, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    await dispatcher.shutdown();
  });

  it('answers a raw request whose signal timed out in the queue with TIMEOUT', async () => {
    const gate = deferred();
    const channel = new ModuleChannel<number, number>();
    runModuleServer(
      { handleRequest: async (n) => (await gate.promise, n), handleCommand: () => undefined },
      channel,
    );
    await channel.send(
      SparkGenericModuleMessage.Request(new CallbackWrapper(1, new AsyncSubject<Result<number, Error>>())),
    );
    const reply = new AsyncSubject<Result<number, Error>>();
    await channel.send(
      SparkGenericModuleMessage.Request(new CallbackWrapper(2, reply, AbortSignal.timeout(5))),
    );
    const result = await lastValueFrom(reply);
    expect(result).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    gate.resolve();
  });
});
