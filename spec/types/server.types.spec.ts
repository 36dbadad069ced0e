import { expectTypeOf } from 'expect-type';
import { AsyncSubject, EMPTY, type Observable, of } from 'rxjs';

import {
  CallbackWrapper,
  type HandlerContext,
  ModuleChannel,
  type ModuleError,
  type ModuleServer,
  type ModuleServerOptions,
  type ModuleServerStats,
  type Result,
  runModuleServer,
  spawnModule,
  SparkChannelCancellationToken,
  SparkGenericModuleDispatcher,
  type SparkGenericModuleHandler,
  SparkGenericModuleMessage,
} from '../../lib/index.js';

// Type-level tests: every `@ts-expect-error` line must fail to compile, every `expectTypeOf` must
// hold, or `npm run typecheck` (tsc over spec/) fails. The `typeChecks*` functions are never called.

type Msg = { type: 'GetData'; key: string } | { type: 'LogEvent'; event: string };
type Data = { type: 'Data'; data: number[] };

class DataHandler implements SparkGenericModuleHandler<Msg, Data> {
  handleRequest(request: Msg): Data {
    return { type: 'Data', data: request.type === 'GetData' ? [request.key.length] : [] };
  }
  handleCommand(): void {}
}

class AppError extends Error {
  readonly app = true;
}

function typeChecksRunModuleServer(): void {
  const channel = new ModuleChannel<Msg, Data>();
  const server = runModuleServer(new DataHandler(), channel);
  expectTypeOf(server).toEqualTypeOf<ModuleServer<Msg, Error>>();
  expectTypeOf(server.errors$).toEqualTypeOf<Observable<ModuleError<Msg, Error>>>();
  expectTypeOf(server.stopped).toEqualTypeOf<Promise<void>>();
  expectTypeOf(server.isRunning).toEqualTypeOf<boolean>();
  expectTypeOf(server.stop).toEqualTypeOf<() => void>();
  expectTypeOf(server.stats()).toEqualTypeOf<ModuleServerStats>();
  expectTypeOf(server.stats()).toMatchTypeOf<{
    queued: number;
    running: number;
    handled: number;
    failed: number;
  }>();

  // A handler may answer with a value, a promise or an observable of R.
  const data: Data = { type: 'Data', data: [] };
  runModuleServer({ handleRequest: () => data, handleCommand: () => undefined }, channel);
  runModuleServer({ handleRequest: () => Promise.resolve(data), handleCommand: () => EMPTY }, channel);
  runModuleServer({ handleRequest: async () => data, handleCommand: async () => {} }, channel);
  runModuleServer({ handleRequest: () => of(data), handleCommand: () => of(1, 2, 3) }, channel);
  // An inline object literal answer needs its type written out: TypeScript widens `type: 'Data'`
  // to string inside the generic call (the contextual type comes from the channel, too late).
  runModuleServer(
    { handleRequest: (): Data => ({ type: 'Data', data: [] }), handleCommand: () => undefined },
    channel,
  );
  // A handler may take the context, or leave it out.
  runModuleServer(
    {
      handleRequest: (_msg: Msg, context: HandlerContext): Data => {
        expectTypeOf(context.signal).toEqualTypeOf<AbortSignal>();
        return { type: 'Data', data: [] };
      },
      handleCommand: () => undefined,
    },
    channel,
  );

  // @ts-expect-error the handler's response type must match the channel's R
  runModuleServer({ handleRequest: () => 42, handleCommand: () => undefined }, channel);
  // @ts-expect-error the handler's response type must match the channel's R, also through a promise
  runModuleServer({ handleRequest: async () => 'data', handleCommand: () => undefined }, channel);
  // @ts-expect-error the handler's response type must match the channel's R, also through an observable
  runModuleServer({ handleRequest: () => of(1), handleCommand: () => undefined }, channel);

  // Only an unrelated message type is caught: a handler that takes a *subset* of M still compiles,
  // because the contract declares handleRequest/handleCommand with method syntax, whose parameters
  // TypeScript checks bivariantly.
  const wrongMessage = {
    handleRequest: (request: number): Data => ({ type: 'Data', data: [request] }),
    handleCommand: () => undefined,
  };
  // @ts-expect-error a handler whose handleRequest takes the wrong message type does not fit the channel
  runModuleServer(wrongMessage, channel);

  const wrongCommand = {
    handleRequest: (): Data => ({ type: 'Data', data: [] }),
    handleCommand: (command: { type: 'Other' }) => void command,
  };
  // @ts-expect-error a handler whose handleCommand takes the wrong message type does not fit the channel
  runModuleServer(wrongCommand, channel);

  // @ts-expect-error a handler must have both methods
  runModuleServer({ handleRequest: (): Data => ({ type: 'Data', data: [] }) }, channel);
  // @ts-expect-error the channel must be a ModuleChannel
  runModuleServer(new DataHandler(), { send: () => Promise.resolve() });
}

function typeChecksServerOptions(channel: ModuleChannel<Msg, Data>): void {
  const handler = new DataHandler();
  runModuleServer(handler, channel, {});
  runModuleServer(handler, channel, {
    logger: { error: () => undefined, warn: () => undefined },
    token: new SparkChannelCancellationToken(),
    concurrency: 4,
  });
  runModuleServer(handler, channel, { logger: console });

  // @ts-expect-error concurrency is a number
  runModuleServer(handler, channel, { concurrency: '4' });
  // @ts-expect-error a logger needs error()
  runModuleServer(handler, channel, { logger: { warn: () => undefined } });
  // @ts-expect-error the token option is a SparkChannelCancellationToken
  runModuleServer(handler, channel, { token: { cancel: () => undefined } });
  // @ts-expect-error unknown options are refused
  runModuleServer(handler, channel, { concurrency: 2, retries: 3 });

  const options: ModuleServerOptions = { concurrency: 1 };
  runModuleServer(handler, channel, options);
}

function typeChecksErrorType(): void {
  const channel = new ModuleChannel<Msg, Data, SparkChannelCancellationToken, AppError>();
  const handler: SparkGenericModuleHandler<Msg, Data, AppError> = new DataHandler();
  const server = runModuleServer(handler, channel);
  expectTypeOf(server).toEqualTypeOf<ModuleServer<Msg, AppError>>();
  expectTypeOf(server.errors$).toEqualTypeOf<Observable<ModuleError<Msg, AppError>>>();
  server.errors$.subscribe((failure) => {
    expectTypeOf(failure.kind).toEqualTypeOf<'request' | 'command'>();
    expectTypeOf(failure.message).toEqualTypeOf<Msg>();
    expectTypeOf(failure.error).toEqualTypeOf<AppError>();
  });
}

function typeChecksSpawnModule(): void {
  // M and R come from the handler: the caller writes no generics.
  const fromClass = spawnModule(new DataHandler());
  expectTypeOf(fromClass.dispatcher).toEqualTypeOf<
    SparkGenericModuleDispatcher<Msg, Data, SparkChannelCancellationToken, Error>
  >();
  expectTypeOf(fromClass.server).toEqualTypeOf<ModuleServer<Msg, Error>>();
  expectTypeOf(fromClass.dispatcher.request({ type: 'GetData', key: 'k' })).toEqualTypeOf<Promise<Data>>();

  const fromLiteral = spawnModule({
    handleRequest: (msg: Msg) => msg.type.length,
    handleCommand: (_msg: Msg) => undefined,
  });
  expectTypeOf(fromLiteral.dispatcher).toEqualTypeOf<
    SparkGenericModuleDispatcher<Msg, number, SparkChannelCancellationToken, Error>
  >();

  // R is the awaited response, whether the handler answers with a promise or an observable.
  const async = spawnModule({
    handleRequest: async (key: string) => ({ key }),
    handleCommand: () => undefined,
  });
  expectTypeOf(async.dispatcher.request('k')).toEqualTypeOf<Promise<{ key: string }>>();
  const observable = spawnModule({ handleRequest: (n: number) => of(n > 0), handleCommand: () => EMPTY });
  expectTypeOf(observable.dispatcher.request(1)).toEqualTypeOf<Promise<boolean>>();

  // @ts-expect-error the inferred M is enforced on the dispatcher
  void fromClass.dispatcher.request('GetData');
  // @ts-expect-error the inferred M is enforced on commands too
  void fromLiteral.dispatcher.sendCommand({ type: 'Nope' });

  spawnModule(new DataHandler(), {
    capacity: 32,
    concurrency: 2,
    timeoutMs: 1_000,
    rateLimit: { limit: 10, intervalMs: 1_000 },
    logger: console,
    token: new SparkChannelCancellationToken(),
  });
  // @ts-expect-error capacity is a number
  spawnModule(new DataHandler(), { capacity: '32' });
  // @ts-expect-error timeoutMs is a number
  spawnModule(new DataHandler(), { timeoutMs: '5' });
  // @ts-expect-error unknown options are refused
  spawnModule(new DataHandler(), { capacity: 1, bufferSize: 8 });
  // @ts-expect-error a handler must have both methods
  spawnModule({ handleRequest: (msg: Msg) => msg });
}

function typeChecksMessages(): void {
  const reply = new AsyncSubject<Result<Data, Error>>();
  const wrapper = new CallbackWrapper<Msg, Result<Data, Error>>({ type: 'GetData', key: 'k' }, reply);
  expectTypeOf(wrapper.message).toEqualTypeOf<Msg>();
  expectTypeOf(wrapper.sender).toEqualTypeOf<AsyncSubject<Result<Data, Error>>>();
  expectTypeOf(wrapper.signal).toEqualTypeOf<AbortSignal | undefined>();

  const request = SparkGenericModuleMessage.Request(wrapper);
  expectTypeOf(request.type).toEqualTypeOf<'Request'>();
  expectTypeOf(request.wrapper).toEqualTypeOf<CallbackWrapper<Msg, Result<Data, Error>>>();

  const command = SparkGenericModuleMessage.Command<Msg>({ type: 'LogEvent', event: 'login' });
  expectTypeOf(command.type).toEqualTypeOf<'Command'>();
  expectTypeOf(command.message).toEqualTypeOf<Msg>();

  const token = new SparkChannelCancellationToken();
  const shutdown = SparkGenericModuleMessage.Shutdown(token);
  expectTypeOf(shutdown.type).toEqualTypeOf<'Shutdown'>();
  expectTypeOf(shutdown.token).toEqualTypeOf<SparkChannelCancellationToken>();

  // Each constructor's value is a SparkGenericModuleMessage the channel accepts.
  expectTypeOf(request).toMatchTypeOf<SparkGenericModuleMessage<Msg, Data>>();
  expectTypeOf(command).toMatchTypeOf<SparkGenericModuleMessage<Msg, Data>>();
  expectTypeOf(shutdown).toMatchTypeOf<SparkGenericModuleMessage<Msg, Data>>();
  const channel = new ModuleChannel<Msg, Data>(4);
  void channel.send(request);
  void channel.send(command);
  void channel.send(shutdown);
  channel.trySend(SparkGenericModuleMessage.Command({ type: 'LogEvent', event: 'e' }));

  // The union is discriminated by `type`.
  const message = command as SparkGenericModuleMessage<Msg, Data>;
  if (message.type === 'Request')
    expectTypeOf(message.wrapper.sender).toEqualTypeOf<AsyncSubject<Result<Data, Error>>>();
  if (message.type === 'Command') expectTypeOf(message.message).toEqualTypeOf<Msg>();
  if (message.type === 'Shutdown') expectTypeOf(message.token).toEqualTypeOf<SparkChannelCancellationToken>();

  // @ts-expect-error a command must carry an M
  void channel.send(SparkGenericModuleMessage.Command(42));
  const wrongReply = new CallbackWrapper<Msg, Result<string, Error>>(
    { type: 'GetData', key: 'k' },
    new AsyncSubject(),
  );
  const wrongRequest = new CallbackWrapper<string, Result<Data, Error>>('GetData', new AsyncSubject());
  // @ts-expect-error a request's reply must carry a Result of R
  void channel.send(SparkGenericModuleMessage.Request(wrongReply));
  // @ts-expect-error a request must carry an M
  void channel.send(SparkGenericModuleMessage.Request(wrongRequest));
  // @ts-expect-error a Shutdown must carry a C
  void channel.send(SparkGenericModuleMessage.Shutdown({ cancel: () => undefined }));
  // @ts-expect-error a reply sender is an AsyncSubject, not a plain callback
  void new CallbackWrapper<Msg, Result<Data, Error>>({ type: 'GetData', key: 'k' }, () => undefined);
  // @ts-expect-error a message is not a plain payload
  void channel.send({ type: 'GetData', key: 'k' });

  // A loose token type, as the Rust crate's trait allows.
  const loose = new ModuleChannel<Msg, Data, { cancel(): void }>();
  void loose.send(SparkGenericModuleMessage.Shutdown({ cancel: () => undefined }));
}

function typeChecksChannel(): void {
  const channel = new ModuleChannel<Msg, Data>();
  expectTypeOf(channel.capacity).toEqualTypeOf<number>();
  expectTypeOf(channel.size).toEqualTypeOf<number>();
  expectTypeOf(channel.isClosed).toEqualTypeOf<boolean>();
  void new ModuleChannel<Msg, Data>(Infinity);
  // @ts-expect-error capacity is a number
  void new ModuleChannel<Msg, Data>('32');
}

describe('server types', () => {
  it('compiles the type-level checks above', () => {
    const checks = [
      typeChecksRunModuleServer,
      typeChecksServerOptions,
      typeChecksErrorType,
      typeChecksSpawnModule,
      typeChecksMessages,
      typeChecksChannel,
    ];
    expect(checks.every((check) => typeof check === 'function')).toBe(true);
  });

  it('types the key function with the module’s message', async () => {
    const { dispatcher, server } = spawnModule(new DataHandler(), {
      concurrency: 2,
      key: (message) => {
        expectTypeOf(message).toEqualTypeOf<Msg>();
        return message.type;
      },
    });
    // @ts-expect-error the key function gets a Msg, which has no `accountId`
    spawnModule(new DataHandler(), { key: (message) => message.accountId });
    await expect(dispatcher.request({ type: 'GetData', key: 'k' })).resolves.toEqual({
      type: 'Data',
      data: [1],
    });
    server.stop();
  });

  it('infers M and R from the handler at run time too', async () => {
    const { dispatcher, server } = spawnModule(new DataHandler());
    const failures: ModuleError<Msg, Error>[] = [];
    server.errors$.subscribe((failure) => failures.push(failure));

    const data = await dispatcher.request({ type: 'GetData', key: 'abc' });
    expectTypeOf(data).toEqualTypeOf<Data>();
    expect(data).toEqual({ type: 'Data', data: [3] });

    await dispatcher.shutdown();
    await expect(server.stopped).resolves.toBeUndefined();
    expect(failures).toEqual([]);
  });
});
