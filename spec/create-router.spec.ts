import { firstValueFrom, of, toArray } from 'rxjs';

import {
  createRouter,
  type HandlerContext,
  type ModuleError,
  spawnModule,
  spawnTypedModule,
} from '../lib/index.js';
import { recordingLogger } from './support/helpers.js';

type Msg =
  | { type: 'GetData'; key: string }
  | { type: 'UpdateData'; key: string; value: number }
  | { type: 'LogEvent'; event: string }
  | { type: 'Touch'; key: string };
type Resp = { type: 'Data'; data: number[] } | { type: 'Success'; success: boolean };

function storeModule() {
  const store = new Map<string, number[]>([['user123', [1, 2, 3]]]);
  const events: string[] = [];
  const touched: string[] = [];
  const router = createRouter<Msg, Resp>({
    GetData: { request: ({ key }) => ({ type: 'Data', data: store.get(key) ?? [] }) },
    UpdateData: {
      request: async ({ key, value }) => {
        await Promise.resolve();
        store.set(key, [...(store.get(key) ?? []), value]);
        return { type: 'Success', success: true };
      },
    },
    LogEvent: { command: ({ event }) => void events.push(event) },
    Touch: {
      request: ({ key }) => of({ type: 'Success' as const, success: store.has(key) }),
      command: ({ key }) => void touched.push(key),
    },
  });
  const logger = recordingLogger();
  const { dispatcher, server } = spawnModule(router, { logger });
  const errors: ModuleError<Msg, Error>[] = [];
  server.errors$.subscribe((error) => errors.push(error));
  return { dispatcher, server, store, events, touched, errors, logger };
}

describe('createRouter', () => {
  describe('routing', () => {
    it('hands each message to the route of its type, as a request or a command', async () => {
      const { dispatcher, events, touched, errors } = storeModule();
      await expect(dispatcher.request({ type: 'GetData', key: 'user123' })).resolves.toEqual({
        type: 'Data',
        data: [1, 2, 3],
      });
      await expect(dispatcher.request({ type: 'UpdateData', key: 'user123', value: 4 })).resolves.toEqual({
        type: 'Success',
        success: true,
      });
      await expect(dispatcher.request({ type: 'GetData', key: 'user123' })).resolves.toEqual({
        type: 'Data',
        data: [1, 2, 3, 4],
      });
      await dispatcher.sendCommand({ type: 'LogEvent', event: 'login' });
      await dispatcher.sendCommand({ type: 'Touch', key: 'a' });
      // A route with both handlers answers requests from one and commands from the other.
      await expect(dispatcher.request({ type: 'Touch', key: 'user123' })).resolves.toEqual({
        type: 'Success',
        success: true,
      });
      await dispatcher.shutdown();
      expect(events).toEqual(['login']);
      expect(touched).toEqual(['a']);
      expect(errors).toEqual([]);
    });

    it('passes the handler context on, and calls each route as a method of its route object', async () => {
      const seen: { self: unknown; context: HandlerContext }[] = [];
      const route = {
        request(this: unknown, _message: { type: 'Ping' }, context: HandlerContext) {
          seen.push({ self: this, context });
          return 'pong';
        },
      };
      const { dispatcher } = spawnModule(createRouter<{ type: 'Ping' }, string>({ Ping: route }));
      await expect(dispatcher.request({ type: 'Ping' })).resolves.toBe('pong');
      expect(seen[0]?.self).toBe(route);
      expect(seen[0]?.context.signal).toBeInstanceOf(AbortSignal);
      await dispatcher.shutdown();
    });

    it('keeps the routes it was given: replacing a route function afterwards changes nothing', async () => {
      const routes = { Ping: { request: (): string => 'pong' } };
      const { dispatcher } = spawnModule(createRouter<{ type: 'Ping' }, string>(routes));
      routes.Ping.request = () => 'changed';
      await expect(dispatcher.request({ type: 'Ping' })).resolves.toBe('pong');
      await dispatcher.shutdown();
    });

    it('passes handler failures through unchanged', async () => {
      const failure = new Error('no such key');
      const { dispatcher, server } = spawnModule(
        createRouter<{ type: 'Get' } | { type: 'Log' }, number>({
          Get: {
            request: () => {
              throw failure;
            },
          },
          Log: { command: () => Promise.reject(failure) },
        }),
        { logger: recordingLogger() },
      );
      const errors = firstValueFrom(server.errors$.pipe(toArray()));
      await expect(dispatcher.request({ type: 'Get' })).rejects.toBe(failure);
      await dispatcher.sendCommand({ type: 'Log' });
      await dispatcher.shutdown();
      expect(await errors).toEqual([
        { kind: 'request', message: { type: 'Get' }, error: failure },
        { kind: 'command', message: { type: 'Log' }, error: failure },
      ]);
    });
  });

  describe('messages it has no route for', () => {
    it('rejects a request of an unknown type with an Error naming the type, and goes on', async () => {
      const { dispatcher, errors } = storeModule();
      const unknown = { type: 'Delete', key: 'user123' } as unknown as Msg;
      const error = await dispatcher.request(unknown).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/No route for message type "Delete"/);
      expect((error as Error).message).toMatch(/"GetData", "UpdateData", "LogEvent", "Touch"/);
      await expect(dispatcher.request({ type: 'GetData', key: 'user123' })).resolves.toMatchObject({
        type: 'Data',
      });
      await dispatcher.shutdown();
      expect(errors).toEqual([{ kind: 'request', message: unknown, error }]);
    });

    it('sends a command of an unknown type to errors$ and the logger only', async () => {
      const { dispatcher, errors, logger, events } = storeModule();
      const unknown = { type: 'Delete' } as unknown as Msg;
      await dispatcher.sendCommand(unknown);
      await dispatcher.sendCommand({ type: 'LogEvent', event: 'after' });
      await dispatcher.shutdown();
      expect(events).toEqual(['after']);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ kind: 'command', message: unknown });
      expect(errors[0]?.error.message).toMatch(/No route for message type "Delete"/);
      expect(logger.errors).toHaveLength(1);
    });

    it('rejects a request of a command-only type, naming it', async () => {
      const { dispatcher, errors } = storeModule();
      const message = { type: 'LogEvent', event: 'oops' } as const;
      await expect(dispatcher.request(message)).rejects.toThrow(
        /Message type "LogEvent" is a command, not a request: send it with sendCommand/,
      );
      await dispatcher.shutdown();
      expect(errors).toMatchObject([{ kind: 'request', message }]);
    });

    it('fails a command of a request-only type on errors$, naming it', async () => {
      const { dispatcher, errors } = storeModule();
      await dispatcher.sendCommand({ type: 'GetData', key: 'user123' });
      await dispatcher.shutdown();
      expect(errors).toHaveLength(1);
      expect(errors[0]?.kind).toBe('command');
      expect(errors[0]?.error.message).toMatch(/Message type "GetData" is a request, not a command/);
    });

    it.each([
      ['a string', 'GetData', /got "GetData"/],
      ['null', null, /got null/],
      ['an object without a type', { key: 'x' }, /`type` is undefined/],
      ['an object with a numeric type', { type: 7 }, /`type` is 7/],
    ])('fails %s with a TypeError, and goes on', async (_name, message, detail) => {
      const { dispatcher, errors } = storeModule();
      const error = await dispatcher.request(message as unknown as Msg).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(/Expected a request message with a string `type`/);
      expect((error as Error).message).toMatch(detail);
      await dispatcher.sendCommand(message as unknown as Msg);
      await dispatcher.shutdown();
      expect(errors.map(({ kind }) => kind)).toEqual(['request', 'command']);
      expect(errors[1]?.error.message).toMatch(/Expected a command message/);
    });

    it('does not mistake inherited properties for routes', async () => {
      const { dispatcher } = storeModule();
      for (const type of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
        await expect(dispatcher.request({ type } as unknown as Msg)).rejects.toThrow(
          `No route for message type "${type}"`,
        );
      }
      await dispatcher.shutdown();
    });

    it('lists at most ten routed types in its message', async () => {
      const routes = Object.fromEntries(
        Array.from({ length: 12 }, (_, i) => [`T${i}`, { request: () => i }]),
      ) as Record<string, { request: () => number }>;
      const { dispatcher } = spawnModule(createRouter<{ type: string }, number>(routes));
      await expect(dispatcher.request({ type: 'T11' })).resolves.toBe(11);
      await expect(dispatcher.request({ type: 'X' })).rejects.toThrow(/"T9", and 2 more\)$/);
      const empty = spawnModule(createRouter<{ type: string }, number>({}));
      await expect(empty.dispatcher.request({ type: 'X' })).rejects.toThrow(/\(routed: no types\)$/);
      await Promise.all([dispatcher.shutdown(), empty.dispatcher.shutdown()]);
    });
  });

  describe('bad routes', () => {
    it.each([
      [
        'not an object',
        undefined,
        /Expected `routes` to be an object of routes by message type, got undefined/,
      ],
      ['a route that is not an object', { A: () => 1 }, /`routes\["A"\]` to be an object .* got a function/],
      ['a route with neither handler', { A: {} }, /`routes\["A"\]` to have a request or a command handler/],
      ['a request that is not a function', { A: { request: 1 } }, /`routes\["A"\].request` to be a function/],
      [
        'a command that is not a function',
        { A: { request: () => 1, command: 'x' } },
        /`routes\["A"\].command` to be a function, got "x"/,
      ],
    ])('throws a TypeError for %s', (_name, routes, message) => {
      expect(() => createRouter(routes as never)).toThrow(TypeError);
      expect(() => createRouter(routes as never)).toThrow(message);
    });
  });

  it('builds the handler of a typed module from a module definition', async () => {
    type Api = {
      GetData: { request: { key: string }; response: number[] };
      LogEvent: { command: { event: string } };
    };
    const events: string[] = [];
    const { dispatcher, server } = spawnTypedModule(
      createRouter<Api>({
        GetData: { request: ({ key }) => (key === 'user123' ? [1, 2, 3] : []) },
        LogEvent: { command: ({ event }) => void events.push(event) },
      }),
    );
    await expect(dispatcher.request({ type: 'GetData', key: 'user123' })).resolves.toEqual([1, 2, 3]);
    await dispatcher.sendCommand({ type: 'LogEvent', event: 'login' });
    await dispatcher.shutdown();
    expect(events).toEqual(['login']);
    expect(server.isRunning).toBe(false);
  });
});
