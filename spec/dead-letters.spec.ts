import {
  createRouter,
  type DeadLetter,
  ModuleChannel,
  NoRouteError,
  runModuleServer,
  SparkChannelCancellationToken,
  SparkGenericModuleDispatcher,
  type SparkGenericModuleHandler,
  SparkGenericModuleMessage,
  spawnModule,
  supervise,
} from '../lib/index.js';
import { codeOf, deferred, flush, recordingLogger } from './support/helpers.js';

type Msg = { op: 'ok' | 'slow' | 'hang' | 'fail'; n: number };

function handler(slow?: Promise<void>): SparkGenericModuleHandler<Msg, number> {
  return {
    handleRequest: async (m, context) => {
      if (m.op === 'slow') await slow;
      if (m.op === 'hang')
        await new Promise((_, reject) =>
          context.signal.addEventListener('abort', () => reject(context.signal.reason as Error)),
        );
      if (m.op === 'fail') throw new Error(`failed ${m.n}`);
      return m.n * 10;
    },
    handleCommand: async (m) => {
      if (m.op === 'slow') await slow;
    },
  };
}

function collect<M>(letters$: { subscribe(next: (d: DeadLetter<M>) => void): unknown }): DeadLetter<M>[] {
  const letters: DeadLetter<M>[] = [];
  letters$.subscribe((d) => letters.push(d));
  return letters;
}

const codes = (letters: DeadLetter<Msg>[]): unknown[] =>
  letters.map((d) => ({
    reason: d.reason,
    kind: d.kind,
    n: d.message.n,
    code: (d.error as { code?: string } | undefined)?.code,
  }));

describe('server.deadLetters$', () => {
  it('reports requests and commands refused after the server stopped, and goes on after the stop', async () => {
    const { dispatcher, server } = spawnModule(handler());
    const letters = collect(server.deadLetters$);
    await dispatcher.shutdown();
    expect(await codeOf(dispatcher.request({ op: 'ok', n: 1 }))).toBe('SEND_FAILED');
    expect(await codeOf(dispatcher.sendCommand({ op: 'ok', n: 2 }))).toBe('SEND_FAILED');
    expect(() => dispatcher.trySendCommand({ op: 'ok', n: 3 })).toThrow('Message refused');
    expect(codes(letters)).toEqual([
      { reason: 'refused', kind: 'request', n: 1, code: 'SEND_FAILED' },
      { reason: 'refused', kind: 'command', n: 2, code: 'SEND_FAILED' },
      { reason: 'refused', kind: 'command', n: 3, code: 'SEND_FAILED' },
    ]);
  });

  it('reports trySend refusals: CHANNEL_FULL and RATE_LIMITED', async () => {
    const slow = deferred();
    const full = spawnModule(handler(slow.promise), { capacity: 1 });
    const limited = spawnModule(handler(), { rateLimit: { limit: 1, intervalMs: 60_000 } });
    const letters = [...collect(full.server.deadLetters$)];
    const fullLetters = collect(full.server.deadLetters$);
    const limitedLetters = collect(limited.server.deadLetters$);
    void full.dispatcher.sendCommand({ op: 'slow', n: 1 }); // running
    full.dispatcher.trySendCommand({ op: 'ok', n: 2 }); // the one slot
    expect(() => full.dispatcher.trySendCommand({ op: 'ok', n: 3 })).toThrow('Channel is full');
    limited.dispatcher.trySendCommand({ op: 'ok', n: 4 });
    expect(() => limited.dispatcher.trySendCommand({ op: 'ok', n: 5 })).toThrow('Over the rate limit');
    expect(letters).toEqual([]);
    expect(codes(fullLetters)).toEqual([{ reason: 'refused', kind: 'command', n: 3, code: 'CHANNEL_FULL' }]);
    expect(codes(limitedLetters)).toEqual([
      { reason: 'refused', kind: 'command', n: 5, code: 'RATE_LIMITED' },
    ]);
    slow.resolve();
    full.server.stop();
    limited.server.stop();
  });

  it('reports the queued messages a stop drops, and the senders still waiting for room', async () => {
    const logger = recordingLogger();
    const { dispatcher, server } = spawnModule(handler(), { capacity: 2, logger });
    const letters = collect(server.deadLetters$);
    const running = dispatcher.request({ op: 'hang', n: 1 });
    const queued = dispatcher.request({ op: 'ok', n: 2 });
    void dispatcher.sendCommand({ op: 'ok', n: 3 });
    const waiting = dispatcher.sendCommand({ op: 'ok', n: 4 });
    server.stop();
    expect(await codeOf(running)).toBe('RECEIVE_FAILED');
    expect(await codeOf(queued)).toBe('RECEIVE_FAILED');
    expect(await codeOf(waiting)).toBe('SEND_FAILED');
    await flush();
    // The running request had started: its caller was told. Its handler, honouring
    // context.signal, then rejected: an answer nobody receives, so a late reply.
    expect(codes(letters)).toEqual([
      { reason: 'dropped', kind: 'request', n: 2, code: 'RECEIVE_FAILED' },
      { reason: 'dropped', kind: 'command', n: 3, code: 'RECEIVE_FAILED' },
      { reason: 'refused', kind: 'command', n: 4, code: 'SEND_FAILED' },
      { reason: 'late-reply', kind: 'request', n: 1, code: undefined },
    ]);
    expect((letters[3]?.result?.error as { code?: string }).code).toBe('RECEIVE_FAILED');
    expect(logger.warnings).toHaveLength(1); // the dropped-command warning stays
  });

  it('reports a reply that came after its caller timed out or was cancelled, with the result', async () => {
    const slow = deferred();
    const { dispatcher, server } = spawnModule(handler(slow.promise));
    const letters = collect(server.deadLetters$);
    expect(await codeOf(dispatcher.request({ op: 'slow', n: 1 }, { timeoutMs: 5 }))).toBe('TIMEOUT');
    slow.resolve();
    await flush();
    const controller = new AbortController();
    const failing = dispatcher.request({ op: 'hang', n: 2 }, { signal: controller.signal });
    await flush();
    controller.abort();
    expect(await codeOf(failing)).toBe('CANCELLED');
    await flush();
    expect(letters.map(({ reason, kind, message }) => ({ reason, kind, message }))).toEqual([
      { reason: 'late-reply', kind: 'request', message: { op: 'slow', n: 1 } },
      { reason: 'late-reply', kind: 'request', message: { op: 'hang', n: 2 } },
    ]);
    expect(letters[0]?.result).toEqual({ ok: true, value: 10 });
    // The handler honoured context.signal: its rejection is an answer nobody receives too.
    expect(letters[1]?.result?.ok).toBe(false);
    expect((letters[1]?.result?.error as { code?: string }).code).toBe('CANCELLED');
    server.stop();
  });

  it('reports an answer that came after a stop', async () => {
    const slow = deferred();
    const { dispatcher, server } = spawnModule(handler(slow.promise));
    const letters = collect(server.deadLetters$);
    const pending = dispatcher.request({ op: 'slow', n: 1 });
    await flush();
    server.stop();
    expect(await codeOf(pending)).toBe('RECEIVE_FAILED');
    slow.resolve();
    await flush();
    expect(letters).toEqual([
      {
        reason: 'late-reply',
        kind: 'request',
        message: { op: 'slow', n: 1 },
        result: { ok: true, value: 10 },
      },
    ]);
  });

  it('reports a message no route takes, which also fails on errors$ as before', async () => {
    type Api = { Get: { request: { id: number }; response: number }; Log: { command: { line: string } } };
    const router = createRouter<Api>({ Get: { request: ({ id }) => id }, Log: { command: () => undefined } });
    const { dispatcher, server } = spawnModule(router, { logger: recordingLogger() });
    const letters = collect(server.deadLetters$);
    const errors: unknown[] = [];
    server.errors$.subscribe((e) => errors.push(e.error));
    const wrong = { type: 'Delete', id: 1 } as never;
    const error = await dispatcher.request(wrong).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoRouteError);
    expect(error).toMatchObject({
      type: 'Delete',
      message: 'No route for message type "Delete" (routed: "Get", "Log")',
    });
    await dispatcher.sendCommand(wrong);
    await flush();
    expect(letters.map((d) => [d.reason, d.kind, d.message])).toEqual([
      ['no-route', 'request', wrong],
      ['no-route', 'command', wrong],
    ]);
    expect(errors).toHaveLength(2);
    server.stop();
  });

  it('reports the messages a supervision policy drops as policy', async () => {
    const { dispatcher, server } = spawnModule(
      supervise(() => handler(), { maxRestarts: 0, withinMs: 1_000, isFatal: () => true }),
      { logger: recordingLogger() },
    );
    const letters = collect(server.deadLetters$);
    const failing = dispatcher.request({ op: 'fail', n: 1 });
    const queued = dispatcher.request({ op: 'ok', n: 2 });
    await expect(failing).rejects.toThrow('failed 1');
    expect(await codeOf(queued)).toBe('RECEIVE_FAILED');
    expect(codes(letters)).toEqual([{ reason: 'policy', kind: 'request', n: 2, code: 'RECEIVE_FAILED' }]);
  });

  it('reports a raw request refused as a self-deadlock, and a raw Request on a closed channel', async () => {
    const channel = new ModuleChannel<Msg, number>();
    const dispatcher = new SparkGenericModuleDispatcher(channel);
    let selfRequest: Promise<number> | undefined;
    const server = runModuleServer(
      {
        handleRequest: (m) => {
          if (m.n === 1) selfRequest = dispatcher.request({ op: 'ok', n: 99 });
          return m.n;
        },
        handleCommand: () => undefined,
      },
      channel,
    );
    const letters = collect(server.deadLetters$);
    await dispatcher.request({ op: 'ok', n: 1 });
    expect(await codeOf(selfRequest as Promise<number>)).toBe('SEND_FAILED');
    server.stop();
    await expect(
      channel.send(SparkGenericModuleMessage.Shutdown(new SparkChannelCancellationToken())),
    ).rejects.toThrow();
    expect(codes(letters)).toEqual([{ reason: 'refused', kind: 'request', n: 99, code: 'SEND_FAILED' }]);
  });

  it('builds nothing while nobody subscribes, and stops reporting to a subscriber that left', async () => {
    const { dispatcher, server } = spawnModule(handler());
    const letters: DeadLetter<Msg>[] = [];
    const subscription = server.deadLetters$.subscribe((d) => letters.push(d));
    subscription.unsubscribe();
    server.stop();
    await codeOf(dispatcher.request({ op: 'ok', n: 1 }));
    expect(letters).toEqual([]);
  });
});
