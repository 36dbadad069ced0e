import { asyncScheduler, firstValueFrom, timer } from 'rxjs';

import {
  ModuleChannel,
  SparkChannelCancellationToken,
  SparkChannelError,
  SparkGenericModuleDispatcher,
} from '../../lib/index.js';
import { createProbe, ProbeAssertionError, type ProbeRequest } from '../../lib/testing/index.js';
import { codeOf, flush, isSettled, outcome } from '../support/helpers.js';

type Msg = { type: 'GetUser'; id: number } | { type: 'GetConfig' } | { type: 'LogEvent'; event: string };
type User = { type: 'User'; name: string };
type Resp = User | { type: 'Config'; debug: boolean };

const ada: User = { type: 'User', name: 'Ada' };
const isUser = (response: Resp): response is User => response.type === 'User';

/** Requests the probe stops before answering reject with RECEIVE_FAILED: nobody else awaits these. */
function ignore(promise: Promise<unknown>): void {
  promise.catch(() => undefined);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const result = await outcome(promise);
  if ('value' in result) throw new Error('expected a rejection');
  return result.error as Error;
}

describe('createProbe', () => {
  it('is a real module: a real dispatcher on a real channel, served by a real server', async () => {
    const probe = createProbe<Msg, Resp>();
    expect(probe.dispatcher).toBeInstanceOf(SparkGenericModuleDispatcher);
    expect(probe.dispatcher.sender).toBeInstanceOf(ModuleChannel);
    expect(probe.server.isRunning).toBe(true);
    await probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'hi' });
    expect(probe.server.stats()).toEqual({ queued: 0, running: 0, handled: 1, failed: 0 });
    probe.stop();
  });

  it('refuses bad options, naming them', () => {
    expect(() => createProbe(null as never)).toThrow(
      new TypeError('Expected `options` to be an object, got null'),
    );
    for (const waitMs of [-1, NaN, Infinity, '5']) {
      expect(() => createProbe({ waitMs: waitMs as number })).toThrow(RangeError);
      expect(() => createProbe({ waitMs: waitMs as number })).toThrow(/`waitMs`/);
    }
    expect(() => createProbe({ scheduler: {} as never })).toThrow(/`scheduler`/);
    expect(() => createProbe({ capacity: 0 })).toThrow(/`capacity`/);
    expect(() => createProbe({ concurrency: 1.5 })).toThrow(/`concurrency`/);
    expect(() => createProbe({ timeoutMs: -1 })).toThrow(/`timeoutMs`/);
    expect(() => createProbe({ rateLimit: { limit: 0, intervalMs: 1 } })).toThrow(/`rateLimit.limit`/);
  });

  it('takes an options bag with every option', async () => {
    const probe = createProbe<Msg, Resp>({
      capacity: 4,
      concurrency: 2,
      timeoutMs: 1_000,
      rateLimit: { limit: 10, intervalMs: 1_000 },
      scheduler: asyncScheduler,
      waitMs: 0,
    });
    ignore(probe.dispatcher.request({ type: 'GetConfig' }));
    await expect(probe.expectRequest({ type: 'GetConfig' })).resolves.toMatchObject({ status: 'pending' });
    probe.stop();
  });
});

describe('expectRequest', () => {
  it('takes a request that arrived already; reply resolves the caller', async () => {
    const probe = createProbe<Msg, Resp>();
    const loading = probe.dispatcher.request({ type: 'GetUser', id: 7 });
    const request = await probe.expectRequest({ type: 'GetUser', id: 7 });
    expect(request.kind).toBe('request');
    expect(request.message).toEqual({ type: 'GetUser', id: 7 });
    expect(request.status).toBe('pending');
    expect(await isSettled(loading)).toBe(false); // hanging until the test answers
    request.reply(ada);
    expect(request.status).toBe('replied');
    await expect(loading).resolves.toBe(ada);
    probe.stop();
  });

  it('waits for a request that arrives later', async () => {
    const probe = createProbe<Msg, Resp>();
    const expecting = probe.expectRequest({ type: 'GetConfig' });
    await flush();
    const loading = probe.dispatcher.request({ type: 'GetConfig' });
    (await expecting).reply({ type: 'Config', debug: true });
    await expect(loading).resolves.toEqual({ type: 'Config', debug: true });
    probe.stop();
  });

  it('fail rejects the caller with that very error, and errors$ reports it', async () => {
    const probe = createProbe<Msg, Resp>();
    const failures: unknown[] = [];
    probe.server.errors$.subscribe(({ kind, error }) => failures.push([kind, error]));
    const loading = probe.dispatcher.request({ type: 'GetUser', id: 7 });
    const request = await probe.expectRequest();
    const error = new Error('no such user');
    request.fail(error);
    expect(request.status).toBe('failed');
    await expect(loading).rejects.toBe(error);
    expect(failures).toEqual([['request', error]]);
    probe.stop();
  });

  it('refuses a second answer with an error saying the request is already settled', async () => {
    const probe = createProbe<Msg, Resp>();
    ignore(probe.dispatcher.request({ type: 'GetUser', id: 7 }));
    const request = await probe.expectRequest();
    request.reply(ada);
    expect(() => request.reply(ada)).toThrow(
      'Cannot reply to the request { type: "GetUser", id: 7 }: it is already settled (replied to already)',
    );
    expect(() => request.fail(new Error('late'))).toThrow(
      /^Cannot fail the request .*already settled \(replied to already\)$/,
    );

    ignore(probe.dispatcher.request({ type: 'GetConfig' }));
    const failed = await probe.expectRequest();
    failed.fail(new Error('x'));
    expect(() => failed.reply(ada)).toThrow(/already settled \(failed already\)/);
    probe.stop();
  });

  it('the caller guard, timeout and signal work as with any module', async () => {
    const probe = createProbe<Msg, Resp>();
    const guarded = probe.dispatcher.request({ type: 'GetConfig' }, { guard: isUser });
    (await probe.expectRequest()).reply({ type: 'Config', debug: false });
    expect(await codeOf(guarded)).toBe('INVALID_RESPONSE_TYPE');

    const controller = new AbortController();
    const aborted = probe.dispatcher.request({ type: 'GetConfig' }, { signal: controller.signal });
    const request = await probe.expectRequest();
    controller.abort();
    expect(await codeOf(aborted)).toBe('CANCELLED');
    expect(request.signal.aborted).toBe(true);
    expect(request.status).toBe('abandoned');
    probe.stop();
  });

  it('a caller that gives up aborts the signal, settles the request and frees the probe for the next message', async () => {
    const probe = createProbe<Msg, Resp>({ timeoutMs: 20 });
    const first = probe.dispatcher.request({ type: 'GetUser', id: 1 });
    const request = await probe.expectRequest();
    const reason = await rejection(first);
    expect(reason).toMatchObject({ code: 'TIMEOUT' });
    expect(request.signal.aborted).toBe(true);
    expect(request.signal.reason).toBe(reason);
    expect(request.status).toBe('abandoned');
    expect(() => request.reply(ada)).toThrow(
      'Cannot reply to the request { type: "GetUser", id: 1 }: it is already settled (its caller gave up: ' +
        '[SparkChannelError TIMEOUT: Request timed out after 20 ms])',
    );
    // Settled as a handler honouring its signal would be: not a failure, and the next one starts.
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'next' });
    await expect(probe.expectCommand()).resolves.toEqual({ type: 'LogEvent', event: 'next' });
    expect(probe.server.stats()).toMatchObject({ failed: 0, running: 0 });
    probe.stop();
  });

  it('an unsubscribed request$ abandons the request', async () => {
    const probe = createProbe<Msg, Resp>();
    const subscription = probe.dispatcher.request$({ type: 'GetConfig' }).subscribe();
    const request = await probe.expectRequest();
    subscription.unsubscribe();
    expect(request.status).toBe('abandoned');
    expect(request.signal.reason).toMatchObject({ code: 'CANCELLED' });
    probe.stop();
  });

  it('narrows the message by a type predicate', async () => {
    const probe = createProbe<Msg, Resp>();
    ignore(probe.dispatcher.request({ type: 'GetUser', id: 3 }));
    const isGetUser = (m: Msg): m is Extract<Msg, { type: 'GetUser' }> => m.type === 'GetUser';
    const request = await probe.expectRequest(isGetUser);
    expect(request.message.id).toBe(3);
    probe.stop();
  });

  it('takes the next message even when it does not match (as Akka does)', async () => {
    const probe = createProbe<Msg, Resp>({ concurrency: 2 });
    ignore(probe.dispatcher.request({ type: 'GetUser', id: 8 }));
    ignore(probe.dispatcher.request({ type: 'GetUser', id: 7 }));
    await expect(probe.expectRequest({ type: 'GetUser', id: 7 })).rejects.toThrow(ProbeAssertionError);
    await expect(probe.expectRequest({ type: 'GetUser', id: 7 })).resolves.toMatchObject({
      message: { id: 7 },
    });
    probe.stop();
  });

  it('rejects when the next message is a command', async () => {
    const probe = createProbe<Msg, Resp>();
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'x' });
    const error = await rejection(probe.expectRequest());
    expect(error).toBeInstanceOf(ProbeAssertionError);
    expect(error.name).toBe('ProbeAssertionError');
    expect(error.message).toMatch(/^expectRequest: expected a request,\nbut the next message was a command/);
    probe.stop();
  });

  it('with waitMs 0, fails at once when nothing has arrived', async () => {
    const probe = createProbe<Msg, Resp>();
    await expect(probe.expectRequest(undefined, { waitMs: 0 })).rejects.toThrow(
      /nothing arrived within 0 ms/,
    );
    probe.stop();
  });

  it('refuses bad arguments, naming them', async () => {
    const probe = createProbe<Msg, Resp>();
    const pending = Promise.resolve({ type: 'GetConfig' });
    await expect(probe.expectRequest(pending as never)).rejects.toThrow(TypeError);
    await expect(probe.expectRequest(pending as never)).rejects.toThrow(
      /^Expected `pattern` to be a predicate or a partial message, got a promise/,
    );
    await expect(probe.expectRequest(undefined, 5 as never)).rejects.toThrow(
      new TypeError('Expected `options` to be an object, got 5'),
    );
    await expect(probe.expectCommand(undefined, { waitMs: -1 })).rejects.toThrow(
      new RangeError('Expected `waitMs` to be a non-negative finite number of milliseconds, got -1'),
    );
    await expect(probe.expectCommand(undefined, { description: 5 as never })).rejects.toThrow(
      new TypeError('Expected `description` to be a string, got 5'),
    );
    expect(() => probe.replyToRequests(pending as never, () => ada)).toThrow(/`pattern`/);
    expect(() => probe.replyToRequests(undefined, 'ada' as never)).toThrow(
      new TypeError('Expected `respond` to be a function returning the response, got "ada"'),
    );
    probe.stop();
  });

  it('expect calls made together take the messages in call order', async () => {
    const probe = createProbe<Msg, Resp>({ concurrency: 3 });
    const first = probe.expectRequest();
    const second = probe.expectCommand();
    const third = probe.expectRequest();
    ignore(probe.dispatcher.request({ type: 'GetUser', id: 1 }));
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'two' });
    ignore(probe.dispatcher.request({ type: 'GetUser', id: 3 }));
    await expect(first).resolves.toMatchObject({ message: { id: 1 } });
    await expect(second).resolves.toEqual({ type: 'LogEvent', event: 'two' });
    await expect(third).resolves.toMatchObject({ message: { id: 3 } });
    probe.stop();
  });

  it('an expect call that times out leaves the line', async () => {
    const probe = createProbe<Msg, Resp>();
    const patient = probe.expectCommand(undefined, { waitMs: 1_000 });
    const hasty = probe.expectCommand(undefined, { waitMs: 5 });
    await expect(hasty).rejects.toThrow(/nothing arrived within 5 ms/);
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'late' });
    await expect(patient).resolves.toEqual({ type: 'LogEvent', event: 'late' });
    probe.stop();
  });
});

describe('expectCommand', () => {
  it('resolves with the command message, narrowed by its pattern', async () => {
    const probe = createProbe<Msg, Resp>();
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'login' });
    const command = await probe.expectCommand({ type: 'LogEvent' });
    expect(command.event).toBe('login');
    probe.stop();
  });

  it('accepts predicates, named in failures, with an optional description', async () => {
    const probe = createProbe<Msg, Resp>();
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'a' });
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'b' });
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'c' });
    function isLogout(m: Msg): boolean {
      return m.type === 'LogEvent' && m.event === 'logout';
    }
    await expect(probe.expectCommand(isLogout)).rejects.toThrow(/expected a command accepted by isLogout,/);
    await expect(
      probe.expectCommand((m) => m.type === 'GetConfig', { description: 'the config lookup' }),
    ).rejects.toThrow(/expected a command: the config lookup,/);
    await expect(probe.expectCommand((m) => m.type === 'LogEvent')).resolves.toEqual({
      type: 'LogEvent',
      event: 'c',
    });
    probe.stop();
  });
});

describe('expectNoMessage', () => {
  it('passes when every message was taken, and throws while one was not', async () => {
    const probe = createProbe<Msg, Resp>();
    probe.expectNoMessage();
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'x' });
    expect(() => probe.expectNoMessage()).toThrow(ProbeAssertionError);
    await probe.expectCommand();
    probe.expectNoMessage();
    probe.stop();
  });

  it('counts the messages waiting in the mailbox behind an unanswered request', async () => {
    const probe = createProbe<Msg, Resp>();
    ignore(probe.dispatcher.request({ type: 'GetConfig' }));
    const request = await probe.expectRequest();
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'queued' });
    expect(() => probe.expectNoMessage()).toThrow(/1 more waits in the mailbox behind 1 unanswered request/);
    request.reply({ type: 'Config', debug: false });
    await expect(probe.expectCommand()).resolves.toEqual({ type: 'LogEvent', event: 'queued' });
    probe.expectNoMessage();
    probe.stop();
  });
});

describe('received', () => {
  it('lists every message in arrival order, with where each request stands', async () => {
    const probe = createProbe<Msg, Resp>({ concurrency: 4 });
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'start' });
    const replied = probe.dispatcher.request({ type: 'GetUser', id: 1 });
    const timedOut = probe.dispatcher.request({ type: 'GetUser', id: 2 }, { timeoutMs: 10 });
    const stopped = probe.dispatcher.request({ type: 'GetUser', id: 3 });
    await probe.expectCommand();
    (await probe.expectRequest()).reply(ada);
    await replied;
    expect(await codeOf(timedOut)).toBe('TIMEOUT');
    probe.stop();
    expect(await codeOf(stopped)).toBe('RECEIVE_FAILED');
    expect(probe.received.map((m) => [m.kind, m.message, m.kind === 'request' ? m.status : '-'])).toEqual([
      ['command', { type: 'LogEvent', event: 'start' }, '-'],
      ['request', { type: 'GetUser', id: 1 }, 'replied'],
      ['request', { type: 'GetUser', id: 2 }, 'abandoned'],
      ['request', { type: 'GetUser', id: 3 }, 'stopped'],
    ]);
  });

  it('is a copy: changing it changes nothing', () => {
    const probe = createProbe<Msg, Resp>();
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'x' });
    (probe.received as unknown[]).length = 0;
    expect(probe.received).toHaveLength(1);
    probe.stop();
  });
});

describe('replyToRequests', () => {
  it('answers matching requests as they arrive, leaving them out of the expect sequence', async () => {
    const probe = createProbe<Msg, Resp>();
    probe.replyToRequests({ type: 'GetConfig' }, () => ({ type: 'Config', debug: true }));
    await expect(probe.dispatcher.request({ type: 'GetConfig' })).resolves.toEqual({
      type: 'Config',
      debug: true,
    });
    ignore(probe.dispatcher.request({ type: 'GetUser', id: 1 }));
    const request = await probe.expectRequest(); // the GetConfig was skipped
    expect(request.message).toEqual({ type: 'GetUser', id: 1 });
    expect(probe.received.map((m) => (m.kind === 'request' ? m.status : m.kind))).toEqual([
      'replied',
      'pending',
    ]);
    probe.expectNoMessage();
    probe.stop();
  });

  it('passes the message, narrowed by the pattern, to respond', async () => {
    const probe = createProbe<Msg, Resp>();
    probe.replyToRequests({ type: 'GetUser' }, (m) => ({ type: 'User', name: `user ${m.id}` }));
    await expect(probe.dispatcher.request({ type: 'GetUser', id: 9 })).resolves.toEqual({
      type: 'User',
      name: 'user 9',
    });
    probe.stop();
  });

  it('answers requests that arrived already and wait untaken, but not taken ones', async () => {
    const probe = createProbe<Msg, Resp>({ concurrency: 3 });
    const taken = probe.dispatcher.request({ type: 'GetUser', id: 1 });
    const waiting = probe.dispatcher.request({ type: 'GetUser', id: 2 });
    const other = probe.dispatcher.request({ type: 'GetConfig' });
    const request = await probe.expectRequest();
    probe.replyToRequests({ type: 'GetUser' }, () => ada);
    await expect(waiting).resolves.toBe(ada);
    expect(await isSettled(taken)).toBe(false);
    expect(await isSettled(other)).toBe(false);
    expect(request.status).toBe('pending');
    await expect(probe.expectRequest({ type: 'GetConfig' })).resolves.toMatchObject({ status: 'pending' });
    probe.stop();
  });

  it('the newest matching auto-reply wins, and removing it brings back the one before', async () => {
    const probe = createProbe<Msg, Resp>();
    probe.replyToRequests(undefined, () => ({ type: 'Config', debug: false }));
    const remove = probe.replyToRequests(
      (m) => m.type === 'GetUser',
      () => ada,
    );
    await expect(probe.dispatcher.request({ type: 'GetUser', id: 1 })).resolves.toBe(ada);
    await expect(probe.dispatcher.request({ type: 'GetConfig' })).resolves.toEqual({
      type: 'Config',
      debug: false,
    });
    remove();
    remove(); // idempotent
    await expect(probe.dispatcher.request({ type: 'GetUser', id: 1 })).resolves.toEqual({
      type: 'Config',
      debug: false,
    });
    probe.stop();
  });

  it('a respond (or pattern) that throws fails the request with that error', async () => {
    const probe = createProbe<Msg, Resp>({ concurrency: 2 });
    const broken = new Error('respond broke');
    const early = probe.dispatcher.request({ type: 'GetUser', id: 1 });
    probe.replyToRequests({ type: 'GetUser' }, () => {
      throw broken;
    });
    await expect(early).rejects.toBe(broken);
    await expect(probe.dispatcher.request({ type: 'GetUser', id: 2 })).rejects.toBe(broken);
    const patternBroke = new Error('pattern broke');
    probe.replyToRequests(
      () => {
        throw patternBroke;
      },
      () => ada,
    );
    await expect(probe.dispatcher.request({ type: 'GetConfig' })).rejects.toBe(patternBroke);
    expect(probe.received.map((m) => (m.kind === 'request' ? m.status : m.kind))).toEqual([
      'failed',
      'failed',
      'failed',
    ]);
    await expect(probe.expectRequest(undefined, { waitMs: 0 })).rejects.toThrow(
      /\(failed by replyToRequests\)\n.*\(failed by replyToRequests\)\n.*\(failed by replyToRequests\)$/,
    );
    probe.stop();
  });
});

describe('stop', () => {
  it('rejects hanging requests with RECEIVE_FAILED and later sends with SEND_FAILED; idempotent', async () => {
    const probe = createProbe<Msg, Resp>();
    const hanging = probe.dispatcher.request({ type: 'GetConfig' });
    const request = await probe.expectRequest();
    probe.stop();
    probe.stop();
    const error = await rejection(hanging);
    expect(error).toBeInstanceOf(SparkChannelError);
    expect(error).toMatchObject({ code: 'RECEIVE_FAILED' });
    expect(request.status).toBe('stopped');
    expect(() => request.reply(ada)).toThrow(/already settled \(the probe stopped before it was answered\)/);
    expect(await codeOf(probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'x' }))).toBe('SEND_FAILED');
    expect(probe.server.isRunning).toBe(false);
  });

  it('rejects an expect call still waiting, and fails later ones at once unless a message is there', async () => {
    const probe = createProbe<Msg, Resp>({ waitMs: 60_000 });
    const waiting = probe.expectCommand();
    probe.stop();
    await expect(waiting).rejects.toThrow(
      /^expectCommand: expected a command,\nbut nothing arrived before the probe stopped\./,
    );
    await expect(probe.expectCommand()).rejects.toThrow(/nothing arrived before the probe stopped/);
  });

  it('says nothing on the console about the commands a stop leaves unhandled', async () => {
    const probe = createProbe<Msg, Resp>();
    ignore(probe.dispatcher.request({ type: 'GetConfig' }));
    await probe.expectRequest();
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'never handled' });
    probe.stop();
    expect(console.warn).not.toHaveBeenCalled();
    expect(console.error).not.toHaveBeenCalled();
  });

  it('still hands out what arrived before the stop', async () => {
    const probe = createProbe<Msg, Resp>();
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'before' });
    probe.stop();
    await expect(probe.expectCommand()).resolves.toEqual({ type: 'LogEvent', event: 'before' });
  });

  it('a Shutdown sent by the code under test stops the probe too', async () => {
    const probe = createProbe<Msg, Resp>({ waitMs: 60_000 });
    const waiting = probe.expectRequest();
    const token = new SparkChannelCancellationToken();
    await probe.dispatcher.shutdown(token);
    expect(token.isCancelled).toBe(true);
    await expect(waiting).rejects.toThrow(/nothing arrived before the probe stopped/);
  });

  it('leaves no timer behind: the expect timers are cleared on arrival and on stop', async () => {
    jest.useFakeTimers();
    try {
      const probe = createProbe<Msg, Resp>();
      const arrived = probe.expectCommand();
      expect(jest.getTimerCount()).toBe(1);
      void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'x' });
      await arrived;
      expect(jest.getTimerCount()).toBe(0);
      ignore(probe.dispatcher.request({ type: 'GetConfig' }, { timeoutMs: 500 }));
      await probe.expectRequest(); // left hanging: it holds no timer of the probe's
      expect(jest.getTimerCount()).toBe(1); // the caller's timeout
      const stopped = probe.expectCommand().catch(() => 'rejected');
      expect(jest.getTimerCount()).toBe(2);
      probe.stop();
      await expect(stopped).resolves.toBe('rejected');
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('the probe meets the code under test on real module semantics', () => {
  it('capacity: a request left hanging fills the mailbox, and trySendCommand sees CHANNEL_FULL', async () => {
    const probe = createProbe<Msg, Resp>({ capacity: 1 });
    ignore(probe.dispatcher.request({ type: 'GetConfig' }));
    const request: ProbeRequest<Msg, Resp> = await probe.expectRequest();
    probe.dispatcher.trySendCommand({ type: 'LogEvent', event: 'fits' });
    expect(() => probe.dispatcher.trySendCommand({ type: 'LogEvent', event: 'full' })).toThrow(
      expect.objectContaining({ code: 'CHANNEL_FULL' }),
    );
    request.reply({ type: 'Config', debug: false });
    await expect(probe.expectCommand()).resolves.toEqual({ type: 'LogEvent', event: 'fits' });
    probe.stop();
  });

  it('an observable caller (request$) gets the reply', async () => {
    const probe = createProbe<Msg, Resp>();
    const response = firstValueFrom(probe.dispatcher.request$({ type: 'GetUser', id: 1 }));
    (await probe.expectRequest()).reply(ada);
    await expect(response).resolves.toBe(ada);
    probe.stop();
  });

  it('a handler-side wait on the signal: the test sees the caller give up', async () => {
    const probe = createProbe<Msg, Resp>();
    const subscription = probe.dispatcher
      .request$({ type: 'GetConfig' })
      .subscribe({ error: () => undefined });
    const request = await probe.expectRequest();
    const aborted = new Promise<void>((resolve) => request.signal.addEventListener('abort', () => resolve()));
    timer(1).subscribe(() => subscription.unsubscribe());
    await aborted;
    expect(request.status).toBe('abandoned');
    probe.stop();
  });
});
