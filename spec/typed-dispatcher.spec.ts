import { firstValueFrom, toArray } from 'rxjs';

import {
  createRouter,
  type MessageOf,
  ModuleChannel,
  type ResponseOf,
  runModuleServer,
  SparkChannelCancellationToken,
  SparkGenericModuleDispatcher,
  type SparkGenericModuleHandler,
  spawnTypedModule,
  TypedDispatcher,
} from '../lib/index.js';
import { codeOf, recordingLogger } from './support/helpers.js';

type Api = {
  GetData: { request: { key: string }; response: number[] };
  Now: { request: object; response: Date };
  LogEvent: { command: { event: string } };
};

function spawnApi(options?: Parameters<typeof spawnTypedModule>[1]) {
  const events: string[] = [];
  const router = createRouter<Api>({
    GetData: { request: ({ key }) => (key === 'user123' ? [1, 2, 3] : []) },
    Now: { request: () => new Date(0) },
    LogEvent: {
      command: ({ event }) => {
        if (event === 'bad') throw new Error('bad event');
        events.push(event);
      },
    },
  });
  return { ...spawnTypedModule(router, { logger: recordingLogger(), ...options }), events };
}

describe('TypedDispatcher', () => {
  it('sends requests and commands through the dispatcher it wraps', async () => {
    const { dispatcher, server, events } = spawnApi();
    expect(dispatcher).toBeInstanceOf(TypedDispatcher);
    expect(dispatcher.raw).toBeInstanceOf(SparkGenericModuleDispatcher);
    await expect(dispatcher.request({ type: 'GetData', key: 'user123' })).resolves.toEqual([1, 2, 3]);
    await expect(firstValueFrom(dispatcher.request$({ type: 'Now' }))).resolves.toEqual(new Date(0));
    await expect(dispatcher.requestResult({ type: 'GetData', key: 'nobody' })).resolves.toEqual({
      ok: true,
      value: [],
    });
    await dispatcher.sendCommand({ type: 'LogEvent', event: 'a' });
    dispatcher.trySendCommand({ type: 'LogEvent', event: 'b' });
    const errors = firstValueFrom(server.errors$.pipe(toArray()));
    dispatcher.trySendCommand({ type: 'LogEvent', event: 'bad' });
    const token = new SparkChannelCancellationToken();
    await dispatcher.shutdown(token);
    expect(token.isCancelled).toBe(true);
    expect(events).toEqual(['a', 'b']);
    expect(await errors).toMatchObject([{ kind: 'command', message: { type: 'LogEvent', event: 'bad' } }]);
  });

  it('passes request options through: guard, timeoutMs, signal', async () => {
    const { dispatcher } = spawnApi();
    await expect(dispatcher.request({ type: 'Now' }, { guard: Date })).resolves.toEqual(new Date(0));
    const isEmpty = (data: number[]): data is [] => data.length === 0;
    expect(await codeOf(dispatcher.request({ type: 'GetData', key: 'user123' }, { guard: isEmpty }))).toBe(
      'INVALID_RESPONSE_TYPE',
    );
    expect(await codeOf(dispatcher.request({ type: 'Now' }, { signal: AbortSignal.abort() }))).toBe(
      'CANCELLED',
    );
    expect(await codeOf(dispatcher.request({ type: 'Now' }, { timeoutMs: -1 }))).toBe('RangeError');
    const result = await dispatcher.requestResult({ type: 'Now' }, { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    await dispatcher.shutdown();
  });

  it('fails as the untyped dispatcher does once the module has stopped', async () => {
    const { dispatcher, server } = spawnApi();
    server.stop();
    expect(await codeOf(dispatcher.request({ type: 'Now' }))).toBe('SEND_FAILED');
    expect(await codeOf(dispatcher.sendCommand({ type: 'LogEvent', event: 'late' }))).toBe('SEND_FAILED');
    expect(() => dispatcher.trySendCommand({ type: 'LogEvent', event: 'late' })).toThrow(
      expect.objectContaining({ code: 'SEND_FAILED' }),
    );
    await expect(dispatcher.shutdown()).resolves.toBeUndefined();
  });

  it('wraps a dispatcher built by hand', async () => {
    const channel = new ModuleChannel<MessageOf<Api>, ResponseOf<Api>>(8);
    runModuleServer(
      createRouter<Api>({
        GetData: { request: () => [7] },
        Now: { request: () => new Date(1) },
        LogEvent: { command: () => undefined },
      }),
      channel,
    );
    const dispatcher = new TypedDispatcher<Api>(new SparkGenericModuleDispatcher(channel));
    await expect(dispatcher.request({ type: 'GetData', key: 'k' })).resolves.toEqual([7]);
    await dispatcher.shutdown();
  });

  it('needs a SparkGenericModuleDispatcher', () => {
    expect(() => new TypedDispatcher<Api>({} as never)).toThrow(TypeError);
    expect(() => new TypedDispatcher<Api>(undefined as never)).toThrow(
      /Expected `dispatcher` to be a SparkGenericModuleDispatcher, got undefined/,
    );
  });
});

describe('spawnTypedModule', () => {
  it('runs any handler of the definition, not only a router', async () => {
    class ApiHandler implements SparkGenericModuleHandler<MessageOf<Api>, ResponseOf<Api>> {
      readonly events: string[] = [];
      handleRequest(message: MessageOf<Api>): ResponseOf<Api> {
        return message.type === 'Now' ? new Date(2) : [message.type.length];
      }
      handleCommand(message: MessageOf<Api>): void {
        if (message.type === 'LogEvent') this.events.push(message.event);
      }
    }
    const handler = new ApiHandler();
    const { dispatcher } = spawnTypedModule<Api>(handler, { capacity: 2 });
    expect(dispatcher.raw.sender.capacity).toBe(2);
    await expect(dispatcher.request({ type: 'GetData', key: 'k' })).resolves.toEqual([7]);
    await dispatcher.sendCommand({ type: 'LogEvent', event: 'e' });
    await dispatcher.shutdown();
    expect(handler.events).toEqual(['e']);
  });

  it('validates like spawnModule', () => {
    const router = createRouter<Api>({
      GetData: { request: () => [] },
      Now: { request: () => new Date() },
      LogEvent: { command: () => undefined },
    });
    expect(() => spawnTypedModule(router, { capacity: 0 })).toThrow(/`capacity`/);
    expect(() => spawnTypedModule<Api>({} as never)).toThrow(/`handler/);
  });
});
