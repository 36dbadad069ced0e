import { AsyncSubject, lastValueFrom, NEVER, toArray } from 'rxjs';

import {
  CallbackWrapper,
  ModuleChannel,
  type Result,
  runModuleServer,
  SparkChannelCancellationToken,
  SparkGenericModuleMessage,
} from '../lib/index.js';
import { codeOf, deferred, isSettled } from './support/helpers.js';

type Reply = AsyncSubject<Result<string, Error>>;
const command = (m: string) => SparkGenericModuleMessage.Command(m);
const request = (m: string, reply: Reply = new AsyncSubject(), signal?: AbortSignal) =>
  SparkGenericModuleMessage.Request(new CallbackWrapper(m, reply, signal));
const replies = (reply: Reply) => lastValueFrom(reply.pipe(toArray()));

describe('ModuleChannel', () => {
  describe('capacity', () => {
    it('is Infinity when omitted and the given positive integer otherwise', () => {
      expect(new ModuleChannel().capacity).toBe(Infinity);
      expect(new ModuleChannel(Infinity).capacity).toBe(Infinity);
      expect(new ModuleChannel(3).capacity).toBe(3);
    });

    it.each([0, -1, 1.5, Number.NaN, '3', null])('throws a RangeError naming `capacity` for %p', (bad) => {
      expect(() => new ModuleChannel(bad as number)).toThrow(RangeError);
      expect(() => new ModuleChannel(bad as number)).toThrow(/`capacity`/);
    });
  });

  describe('send and trySend', () => {
    it('keeps messages sent before a server subscribes, counting them in size', async () => {
      const channel = new ModuleChannel<string, string>(2);
      await channel.send(command('a'));
      channel.trySend(command('b'));
      expect(channel.size).toBe(2);
      expect(() => channel.trySend(command('c'))).toThrow(expect.objectContaining({ code: 'CHANNEL_FULL' }));
      const waiting = channel.send(command('c'));
      expect(await isSettled(waiting)).toBe(false);
      const seen: string[] = [];
      runModuleServer({ handleRequest: (m) => m, handleCommand: (m) => void seen.push(m) }, channel);
      await waiting;
      expect(seen).toEqual(['a', 'b', 'c']);
      expect(channel.size).toBe(0);
    });

    it('lets waiting senders in first come, first served, and refuses trySend while they wait', async () => {
      const gate = deferred();
      const seen: string[] = [];
      const channel = new ModuleChannel<string, string>(1);
      const server = runModuleServer(
        {
          handleRequest: (m) => m,
          handleCommand: async (m) => {
            seen.push(m);
            await gate.promise;
          },
        },
        channel,
      );
      await channel.send(command('running'));
      await channel.send(command('queued'));
      const waiters = ['w1', 'w2', 'w3'].map((m) => channel.send(command(m)));
      expect(channel.size).toBe(1);
      // the queue has room only after the running handler finishes, and w1 is first in line
      expect(() => channel.trySend(command('jump'))).toThrow(
        expect.objectContaining({ code: 'CHANNEL_FULL' }),
      );
      gate.resolve();
      await Promise.all(waiters);
      expect(seen.slice(0, 2)).toEqual(['running', 'queued']);
      await channel.send(command('end'));
      await channel.send(SparkGenericModuleMessage.Shutdown(new SparkChannelCancellationToken()));
      await server.stopped;
      expect(seen).toEqual(['running', 'queued', 'w1', 'w2', 'w3', 'end']);
    });

    it('refuses with SEND_FAILED once closed; closed wins over full', async () => {
      const channel = new ModuleChannel<string, string>(1);
      await channel.send(command('fills it'));
      // waits for room (no server runs), but closes the channel at once
      void channel.send(SparkGenericModuleMessage.Shutdown(new SparkChannelCancellationToken()));
      expect(channel.isClosed).toBe(true);
      expect(() => channel.trySend(command('x'))).toThrow(expect.objectContaining({ code: 'SEND_FAILED' }));
      await expect(codeOf(channel.send(command('y')))).resolves.toBe('SEND_FAILED');
    });

    it('closes at once on a Shutdown even when it has to wait for room', async () => {
      const channel = new ModuleChannel<string, string>(1);
      const token = new SparkChannelCancellationToken();
      await channel.send(command('a'));
      const shutdown = channel.send(SparkGenericModuleMessage.Shutdown(token));
      expect(channel.isClosed).toBe(true);
      await expect(codeOf(channel.send(command('late')))).resolves.toBe('SEND_FAILED');
      const seen: string[] = [];
      const server = runModuleServer(
        { handleRequest: (m) => m, handleCommand: (m) => void seen.push(m) },
        channel,
      );
      await shutdown;
      await server.stopped;
      expect(seen).toEqual(['a']);
      expect(token.isCancelled).toBe(true);
    });

    it('trySend of a Shutdown closes the channel, unless it is full', () => {
      const channel = new ModuleChannel<string, string>(1);
      channel.trySend(command('a'));
      const shutdown = SparkGenericModuleMessage.Shutdown(new SparkChannelCancellationToken());
      expect(() => channel.trySend(shutdown)).toThrow(expect.objectContaining({ code: 'CHANNEL_FULL' }));
      expect(channel.isClosed).toBe(false);
      const roomy = new ModuleChannel<string, string>();
      roomy.trySend(shutdown);
      expect(roomy.isClosed).toBe(true);
    });

    it.each([
      ['undefined', undefined, /`message`/],
      ['a string', 'Command', /`message`/],
      ['an unknown type', { type: 'Publish', message: 1 }, /`message`/],
      ['a Request without a wrapper', { type: 'Request' }, /`message.wrapper`/],
      [
        'a Request with a plain object wrapper',
        { type: 'Request', wrapper: { message: 1, sender: {} } },
        /`message.wrapper`/,
      ],
      ['a Shutdown without a token', { type: 'Shutdown' }, /`message.token`/],
    ])('refuses %s with a TypeError, and keeps working', async (_, bad, message) => {
      const channel = new ModuleChannel<string, string>();
      await expect(channel.send(bad as never)).rejects.toThrow(TypeError);
      await expect(channel.send(bad as never)).rejects.toThrow(message);
      expect(() => channel.trySend(bad as never)).toThrow(message);
      expect(channel.size).toBe(0);
      await channel.send(command('fine'));
      expect(channel.size).toBe(1);
    });
  });

  describe('raw requests with a signal', () => {
    it('answers an already aborted request with CANCELLED and never queues it', async () => {
      const channel = new ModuleChannel<string, string>();
      const controller = new AbortController();
      controller.abort('gone');
      const reply: Reply = new AsyncSubject();
      await channel.send(request('x', reply, controller.signal));
      expect(channel.size).toBe(0);
      const [result] = await replies(reply);
      expect(result).toMatchObject({ ok: false, error: { code: 'CANCELLED', cause: 'gone' } });
    });

    it('withdraws a queued request whose signal aborts, and never starts it', async () => {
      const channel = new ModuleChannel<string, string>();
      const started: string[] = [];
      const controllers = Array.from({ length: 200 }, () => new AbortController());
      const answers = controllers.map((c, i) => {
        const reply: Reply = new AsyncSubject();
        void channel.send(request(`r${i}`, reply, c.signal));
        return replies(reply);
      });
      await channel.send(request('kept'));
      expect(channel.size).toBe(201);
      controllers.forEach((c, i) => i % 3 !== 0 && c.abort()); // enough to compact the queue
      expect(channel.size).toBe(201 - 133);
      runModuleServer(
        { handleRequest: (m) => (started.push(m), m), handleCommand: () => undefined },
        channel,
      );
      const results = await Promise.all(answers);
      results.forEach(([result], i) =>
        expect(result).toMatchObject(
          i % 3 === 0 ? { ok: true, value: `r${i}` } : { ok: false, error: { code: 'CANCELLED' } },
        ),
      );
      expect(started).toEqual([...controllers.flatMap((_, i) => (i % 3 === 0 ? [`r${i}`] : [])), 'kept']);
    });

    it('lets a waiting request whose signal aborts leave the line at once, taking no slot', async () => {
      const channel = new ModuleChannel<string, string>(1);
      await channel.send(command('full'));
      const controllers = Array.from({ length: 100 }, () => new AbortController());
      const sends = controllers.map((c, i) => channel.send(request(`w${i}`, new AsyncSubject(), c.signal)));
      const last = channel.send(command('last'));
      controllers.forEach((c) => c.abort());
      for (const send of sends) await expect(codeOf(send)).resolves.toBe('CANCELLED');
      const seen: string[] = [];
      runModuleServer({ handleRequest: (m) => m, handleCommand: (m) => void seen.push(m) }, channel);
      await last;
      expect(seen).toEqual(['full', 'last']);
    });

    it('admits the next waiter when a queued request is withdrawn', async () => {
      const channel = new ModuleChannel<string, string>(1);
      const controller = new AbortController();
      await channel.send(request('queued', new AsyncSubject(), controller.signal));
      const waiting = channel.send(command('next'));
      expect(await isSettled(waiting)).toBe(false);
      controller.abort();
      await waiting;
      expect(channel.size).toBe(1);
    });

    it('fails queued and waiting requests when the server stops', async () => {
      const channel = new ModuleChannel<string, string>(1);
      const server = runModuleServer({ handleRequest: () => NEVER, handleCommand: () => undefined }, channel);
      const controller = new AbortController();
      const running: Reply = new AsyncSubject();
      const queued: Reply = new AsyncSubject();
      const waiting: Reply = new AsyncSubject();
      await channel.send(request('running', running, controller.signal));
      await channel.send(request('queued', queued, controller.signal));
      const waitingSend = channel.send(request('waiting', waiting, controller.signal));
      server.stop();
      await expect(codeOf(waitingSend)).resolves.toBe('SEND_FAILED');
      expect((await replies(running))[0]).toMatchObject({ error: { code: 'RECEIVE_FAILED' } });
      expect((await replies(queued))[0]).toMatchObject({ error: { code: 'RECEIVE_FAILED' } });
      expect((await replies(waiting))[0]).toMatchObject({ error: { code: 'SEND_FAILED' } });
      controller.abort(); // no listener is left to react
      expect(channel.size).toBe(0);
    });
  });
});

describe('ModuleChannel edge cases', () => {
  it('refuses a raw request with an aborted signal that would have to wait', async () => {
    const channel = new ModuleChannel<string, string>(1);
    await channel.send(command('full'));
    const controller = new AbortController();
    controller.abort('late');
    const reply: Reply = new AsyncSubject();
    await expect(codeOf(channel.send(request('x', reply, controller.signal)))).resolves.toBe('CANCELLED');
    expect((await replies(reply))[0]).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
  });

  it('cancels the token of a Shutdown still waiting for room when the server stops', async () => {
    const channel = new ModuleChannel<string, string>(1);
    const server = runModuleServer({ handleRequest: () => NEVER, handleCommand: () => NEVER }, channel);
    await channel.send(command('running'));
    await channel.send(command('queued'));
    const token = new SparkChannelCancellationToken();
    const shutdown = channel.send(SparkGenericModuleMessage.Shutdown(token));
    server.stop();
    await expect(codeOf(shutdown)).resolves.toBe('SEND_FAILED');
    expect(token.isCancelled).toBe(true);
  });

  it('refuses a message whose key function throws from trySend: SEND_FAILED, the error as cause', () => {
    const channel = new ModuleChannel<string, string>();
    runModuleServer({ handleRequest: (m) => m, handleCommand: () => NEVER }, channel, {
      key: () => {
        throw new TypeError('no key');
      },
    });
    let thrown: unknown;
    try {
      channel.trySend(command('x'));
    } catch (error: unknown) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'SEND_FAILED', cause: new TypeError('no key') });
    expect(channel.size).toBe(0);
  });

  it('refuses a waiting sender whose key function throws when its turn comes', async () => {
    const channel = new ModuleChannel<string, string>(1);
    runModuleServer({ handleRequest: (m) => m, handleCommand: () => NEVER }, channel, {
      key: (m: string) => {
        if (m === 'bad') throw new TypeError('bad key');
        return m;
      },
    });
    await channel.send(command('running'));
    await channel.send(command('queued'));
    const bad = channel.send(command('bad'));
    expect(await isSettled(bad)).toBe(false);
  });
});
