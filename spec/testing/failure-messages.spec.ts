import { createProbe, ProbeAssertionError } from '../../lib/testing/index.js';
import { outcome } from '../support/helpers.js';

// What a failing expectation prints is the probe's user interface: these are exact texts.

type Msg = { type: 'GetUser'; id: number } | { type: 'LogEvent'; event: string };
type Resp = { type: 'User'; name: string };

async function messageOf(promise: Promise<unknown>): Promise<string> {
  const result = await outcome(promise);
  if ('value' in result) throw new Error('expected a rejection');
  expect(result.error).toBeInstanceOf(ProbeAssertionError);
  return (result.error as Error).message;
}

function thrownBy(action: () => void): string {
  try {
    action();
  } catch (error: unknown) {
    expect(error).toBeInstanceOf(ProbeAssertionError);
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}

function ignore(promise: Promise<unknown>): void {
  promise.catch(() => undefined);
}

describe('failure messages', () => {
  it('a message that differs from the partial pattern: where, and how', async () => {
    const probe = createProbe<Msg, Resp>();
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'start' });
    ignore(probe.dispatcher.request({ type: 'GetUser', id: 8 }));
    await probe.expectCommand();
    expect(await messageOf(probe.expectRequest({ type: 'GetUser', id: 7 }))).toBe(
      [
        'expectRequest: expected a request matching { type: "GetUser", id: 7 },',
        'but the next message was a request { type: "GetUser", id: 8 }: at .id, expected 7, got 8.',
        '',
        'Received so far, in order:',
        '    1. command { type: "LogEvent", event: "start" }',
        '  > 2. request { type: "GetUser", id: 8 } (pending)',
      ].join('\n'),
    );
    probe.stop();
  });

  it('a message of the other kind', async () => {
    const probe = createProbe<Msg, Resp>();
    ignore(probe.dispatcher.request({ type: 'GetUser', id: 1 }));
    expect(await messageOf(probe.expectCommand({ type: 'LogEvent' }))).toBe(
      [
        'expectCommand: expected a command matching { type: "LogEvent" },',
        'but the next message was a request { type: "GetUser", id: 1 }.',
        '',
        'Received so far, in order:',
        '  > 1. request { type: "GetUser", id: 1 } (pending)',
      ].join('\n'),
    );
    probe.stop();
  });

  it('nothing arrived in time (measured on the fake clock)', async () => {
    jest.useFakeTimers();
    try {
      const probe = createProbe<Msg, Resp>({ waitMs: 250 });
      const failing = messageOf(probe.expectCommand({ type: 'LogEvent' }));
      await jest.advanceTimersByTimeAsync(250);
      expect(await failing).toBe(
        [
          'expectCommand: expected a command matching { type: "LogEvent" },',
          'but nothing arrived within 250 ms.',
          '',
          'Received so far: nothing.',
        ].join('\n'),
      );
      probe.stop();
    } finally {
      jest.useRealTimers();
    }
  });

  it('nothing arrived because it waits behind an unanswered request', async () => {
    const probe = createProbe<Msg, Resp>();
    ignore(probe.dispatcher.request({ type: 'GetUser', id: 1 }));
    await probe.expectRequest();
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'stuck' });
    expect(await messageOf(probe.expectCommand(undefined, { waitMs: 0 }))).toBe(
      [
        'expectCommand: expected a command,',
        'but nothing arrived within 0 ms.',
        '',
        "1 more message waits in the probe's mailbox behind 1 unanswered request: the probe handles 1 at a time, " +
          'as a real module would. Answer it first, or create the probe with a higher `concurrency`.',
        '',
        'Received so far, in order:',
        '    1. request { type: "GetUser", id: 1 } (pending)',
      ].join('\n'),
    );
    probe.stop();
  });

  it('the same with several messages and requests', async () => {
    const probe = createProbe<Msg, Resp>({ concurrency: 2 });
    ignore(probe.dispatcher.request({ type: 'GetUser', id: 1 }));
    ignore(probe.dispatcher.request({ type: 'GetUser', id: 2 }));
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'a' });
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'b' });
    await probe.expectRequest();
    await probe.expectRequest();
    expect(await messageOf(probe.expectCommand(undefined, { waitMs: 0 }))).toContain(
      "2 more messages wait in the probe's mailbox behind 2 unanswered requests: the probe handles 2 at a time, " +
        'as a real module would. Answer them first',
    );
    expect(thrownBy(() => probe.expectNoMessage())).toBe(
      [
        'expectNoMessage: expected no more messages,',
        'but 2 more wait in the mailbox behind 2 unanswered requests.',
        '',
        'Received so far, in order:',
        '    1. request { type: "GetUser", id: 1 } (pending)',
        '    2. request { type: "GetUser", id: 2 } (pending)',
      ].join('\n'),
    );
    probe.stop();
  });

  it('the probe stopped while waiting', async () => {
    const probe = createProbe<Msg, Resp>();
    const failing = messageOf(probe.expectRequest({ type: 'GetUser' }));
    probe.stop();
    expect(await failing).toBe(
      [
        'expectRequest: expected a request matching { type: "GetUser" },',
        'but nothing arrived before the probe stopped.',
        '',
        'Received so far: nothing.',
      ].join('\n'),
    );
  });

  it('predicates: by name, anonymous, described, throwing, or not returning a boolean', async () => {
    const probe = createProbe<Msg, Resp>();
    for (let i = 1; i <= 5; i++) void probe.dispatcher.sendCommand({ type: 'LogEvent', event: `e${i}` });
    const isLogin = (m: Msg): boolean => m.type === 'LogEvent' && m.event === 'login';
    const first = (await messageOf(probe.expectCommand(isLogin))).split('\n');
    expect(first.slice(0, 2)).toEqual([
      'expectCommand: expected a command accepted by isLogin,',
      'but the next message was a command { type: "LogEvent", event: "e1" }.',
    ]);
    expect((await messageOf(probe.expectCommand((m) => m.type === 'GetUser'))).split('\n')[0]).toBe(
      'expectCommand: expected a command accepted by an anonymous predicate (pass { description } to name it),',
    );
    expect(
      (
        await messageOf(probe.expectCommand((m) => m.type === 'GetUser', { description: 'a login event' }))
      ).split('\n')[0],
    ).toBe('expectCommand: expected a command: a login event,');

    const broken = new Error('predicate broke');
    const result = await outcome(
      probe.expectCommand(function isBroken(): boolean {
        throw broken;
      }),
    );
    const error = (result as { error: Error }).error;
    expect(error.message.split('\n').slice(0, 2)).toEqual([
      'expectCommand: expected a command accepted by isBroken,',
      'but the predicate threw [Error: predicate broke] on the next message, a command { type: "LogEvent", event: "e4" }.',
    ]);
    expect(error.cause).toBe(broken);

    const sloppy = (async () => true) as unknown as (m: Msg) => boolean;
    expect((await messageOf(probe.expectCommand(sloppy))).split('\n')[1]).toBe(
      'but the next message was a command { type: "LogEvent", event: "e5" }, and the predicate returned Promise {…}, not a boolean.',
    );
    probe.stop();
  });

  it('messages whose pattern is the whole value', async () => {
    const probe = createProbe<string, string>();
    ignore(probe.dispatcher.request('pong'));
    expect((await messageOf(probe.expectRequest('ping'))).split('\n').slice(0, 2)).toEqual([
      'expectRequest: expected a request matching "ping",',
      'but the next message was a request "pong".',
    ]);
    probe.stop();
  });

  it('expectNoMessage marks the messages no expect* call took', async () => {
    const probe = createProbe<Msg, Resp>();
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'taken' });
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'forgotten' });
    probe.replyToRequests({ type: 'GetUser' }, () => ({ type: 'User', name: 'Ada' }));
    await probe.dispatcher.request({ type: 'GetUser', id: 1 });
    await probe.expectCommand();
    expect(thrownBy(() => probe.expectNoMessage())).toBe(
      [
        'expectNoMessage: expected no more messages,',
        'but 1 message arrived that no expect* call took (marked >).',
        '',
        'Received so far, in order:',
        '    1. command { type: "LogEvent", event: "taken" }',
        '  > 2. command { type: "LogEvent", event: "forgotten" }',
        '    3. request { type: "GetUser", id: 1 } (replied by replyToRequests)',
      ].join('\n'),
    );
    void probe.dispatcher.sendCommand({ type: 'LogEvent', event: 'also forgotten' });
    expect(thrownBy(() => probe.expectNoMessage()).split('\n')[1]).toBe(
      'but 2 messages arrived that no expect* call took (marked >).',
    );
    probe.stop();
  });

  it('a long log shows a window around the message in question', async () => {
    const probe = createProbe<number, never>();
    for (let i = 1; i <= 40; i++) void probe.dispatcher.sendCommand(i);
    for (let i = 1; i <= 24; i++) await probe.expectCommand(i);
    const lines = (await messageOf(probe.expectCommand(0))).split('\n');
    expect(lines.slice(0, 2)).toEqual([
      'expectCommand: expected a command matching 0,',
      'but the next message was a command 25.',
    ]);
    expect(lines.slice(3)).toEqual([
      'Received so far, in order:',
      '    … 14 earlier',
      ...Array.from(
        { length: 20 },
        (_, k) => `${k + 15 === 25 ? '  >' : '   '} ${k + 15}. command ${k + 15}`,
      ),
      '    … 6 later',
    ]);
    probe.stop();
  });

  it('a long message is cut', async () => {
    const probe = createProbe<{ text: string[] }, never>();
    void probe.dispatcher.sendCommand({ text: Array.from({ length: 50 }, () => 'word '.repeat(10)) });
    const [, second] = (await messageOf(probe.expectCommand({ text: [] }))).split('\n');
    expect(second).toMatch(
      /^but the next message was a command \{ text: \[.{250,}…: at \.text, expected 0 items, got 50 items: \[.*…\.$/,
    );
    expect((second ?? '').length).toBeLessThan(700);
    probe.stop();
  });
});
