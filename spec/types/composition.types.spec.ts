import { expectTypeOf } from 'expect-type';
import { map, type MonoTypeOperatorFunction, type Observable, of, type OperatorFunction } from 'rxjs';

import {
  type CommandOf,
  type CommandType,
  commandVia,
  createRouter,
  type HandlerContext,
  type MessageOf,
  mergeErrors,
  type ModuleError,
  type ModuleServer,
  type RequestOf,
  type RequestType,
  requestVia,
  type ResponseOf,
  type SparkGenericModuleDispatcher,
  type SparkGenericModuleHandler,
  spawnModule,
  spawnTypedModule,
  TypedDispatcher,
  type TypedRouter,
} from '../../lib/index.js';

// Type-level tests: every `@ts-expect-error` line must fail to compile and every `expectTypeOf`
// must hold, or `npm run typecheck` (tsc over spec/) fails; ts-jest does not type-check. The
// `typeChecks*` functions are never called: they only have to compile.

// A module definition: per message type, a request (its fields and its response) or a command.
type Api = {
  GetData: { request: { key: string }; response: number[] };
  UpdateData: { request: { key: string; value: number }; response: boolean };
  Ping: { request: object; response: 'pong' };
  LogEvent: { command: { event: string } };
  // Both a request and a command, each with its own fields.
  Touch: { request: { key: string }; response: Date; command: { key: string; at: number } };
};

// Written as an interface, it works the same.
interface InterfaceApi {
  GetData: { request: { key: string }; response: number[] };
  LogEvent: { command: { event: string } };
}

function typeChecksDefinitionHelpers(): void {
  expectTypeOf<RequestType<Api>>().toEqualTypeOf<'GetData' | 'UpdateData' | 'Ping' | 'Touch'>();
  expectTypeOf<CommandType<Api>>().toEqualTypeOf<'LogEvent' | 'Touch'>();
  expectTypeOf<RequestOf<Api, 'GetData'>>().toEqualTypeOf<{ type: 'GetData'; key: string }>();
  expectTypeOf<RequestOf<Api, 'Ping'>>().toEqualTypeOf<{ type: 'Ping' }>();
  expectTypeOf<CommandOf<Api, 'Touch'>>().toEqualTypeOf<{ type: 'Touch'; key: string; at: number }>();
  expectTypeOf<ResponseOf<Api, 'UpdateData'>>().toEqualTypeOf<boolean>();
  expectTypeOf<ResponseOf<Api>>().toEqualTypeOf<number[] | boolean | 'pong' | Date>();
  // A union of types gives a union of messages, each with its own fields (not a mix of them).
  expectTypeOf<RequestOf<Api, 'GetData' | 'UpdateData'>>().toEqualTypeOf<
    { type: 'GetData'; key: string } | { type: 'UpdateData'; key: string; value: number }
  >();
  expectTypeOf<MessageOf<InterfaceApi>>().toEqualTypeOf<
    { type: 'GetData'; key: string } | { type: 'LogEvent'; event: string }
  >();

  // @ts-expect-error a command type has no request message
  type _NoRequest = RequestOf<Api, 'LogEvent'>;
  // @ts-expect-error a request-only type has no command message
  type _NoCommand = CommandOf<Api, 'GetData'>;
  // @ts-expect-error a command type has no response
  type _NoResponse = ResponseOf<Api, 'LogEvent'>;
}

function typeChecksTypedRequestInference(dispatcher: TypedDispatcher<Api>): void {
  // The response type follows the message's `type`: no guard, no explicit generic.
  expectTypeOf(dispatcher.request({ type: 'GetData', key: 'user123' })).toEqualTypeOf<Promise<number[]>>();
  expectTypeOf(dispatcher.request({ type: 'UpdateData', key: 'k', value: 1 })).toEqualTypeOf<
    Promise<boolean>
  >();
  expectTypeOf(dispatcher.request({ type: 'Ping' })).toEqualTypeOf<Promise<'pong'>>();
  expectTypeOf(dispatcher.request({ type: 'Touch', key: 'k' })).toEqualTypeOf<Promise<Date>>();
  expectTypeOf(dispatcher.request$({ type: 'GetData', key: 'k' })).toEqualTypeOf<Observable<number[]>>();
  expectTypeOf(dispatcher.requestResult({ type: 'GetData', key: 'k' })).toEqualTypeOf<
    Promise<
      import('../../lib/index.js').Result<number[], Error | import('../../lib/index.js').SparkChannelError>
    >
  >();

  // A message whose type is a union answers with the union of those responses.
  const either = null as unknown as RequestOf<Api, 'GetData' | 'Ping'>;
  expectTypeOf(dispatcher.request(either)).toEqualTypeOf<Promise<number[] | 'pong'>>();
  const any = null as unknown as RequestOf<Api>;
  expectTypeOf(dispatcher.request(any)).toEqualTypeOf<Promise<number[] | boolean | 'pong' | Date>>();

  // Options as on the untyped dispatcher; a guard narrows this type's response.
  expectTypeOf(dispatcher.request({ type: 'GetData', key: 'k' }, { timeoutMs: 500 })).toEqualTypeOf<
    Promise<number[]>
  >();
  const isPair = (data: number[]): data is [number, number] => data.length === 2;
  expectTypeOf(dispatcher.request({ type: 'GetData', key: 'k' }, { guard: isPair })).toEqualTypeOf<
    Promise<[number, number]>
  >();
}

function typeChecksTypedRequestRefusals(dispatcher: TypedDispatcher<Api>): void {
  // @ts-expect-error a command-only type cannot be sent as a request
  void dispatcher.request({ type: 'LogEvent', event: 'x' });
  // @ts-expect-error a command-only type cannot be sent as a request
  void dispatcher.request$({ type: 'LogEvent', event: 'x' });
  // @ts-expect-error a command-only type cannot be sent as a request
  void dispatcher.requestResult({ type: 'LogEvent', event: 'x' });
  // @ts-expect-error an unknown type
  void dispatcher.request({ type: 'Delete', key: 'k' });
  // @ts-expect-error a field of the wrong type
  void dispatcher.request({ type: 'GetData', key: 1 });
  // @ts-expect-error a missing field
  void dispatcher.request({ type: 'UpdateData', key: 'k' });
  // @ts-expect-error an excess field
  void dispatcher.request({ type: 'GetData', key: 'k', extra: true });
  // @ts-expect-error the request fields of a both-ways type, not its command fields
  void dispatcher.request({ type: 'Touch', key: 'k', at: 1 });
  // @ts-expect-error a guard must narrow this type's response, not another type's
  void dispatcher.request({ type: 'GetData', key: 'k' }, { guard: (r: unknown): r is boolean => r === true });
  // @ts-expect-error the response is number[], not what the caller wishes
  const _wrong: Promise<string> = dispatcher.request({ type: 'GetData', key: 'k' });
}

function typeChecksTypedCommands(dispatcher: TypedDispatcher<Api>): void {
  expectTypeOf(dispatcher.sendCommand({ type: 'LogEvent', event: 'login' })).toEqualTypeOf<Promise<void>>();
  expectTypeOf(dispatcher.trySendCommand({ type: 'Touch', key: 'k', at: 1 })).toEqualTypeOf<void>();
  expectTypeOf(dispatcher.shutdown()).toEqualTypeOf<Promise<void>>();
  expectTypeOf(dispatcher.raw).toEqualTypeOf<
    SparkGenericModuleDispatcher<
      MessageOf<Api>,
      ResponseOf<Api>,
      import('../../lib/index.js').SparkChannelCancellationToken,
      Error
    >
  >();

  // @ts-expect-error a request-only type cannot be sent as a command
  void dispatcher.sendCommand({ type: 'GetData', key: 'k' });
  // @ts-expect-error a request-only type cannot be sent as a command
  dispatcher.trySendCommand({ type: 'Ping' });
  // @ts-expect-error the command fields of a both-ways type, not its request fields
  void dispatcher.sendCommand({ type: 'Touch', key: 'k' });
}

function typeChecksInterfaceDefinition(dispatcher: TypedDispatcher<InterfaceApi>): void {
  expectTypeOf(dispatcher.request({ type: 'GetData', key: 'k' })).toEqualTypeOf<Promise<number[]>>();
  // @ts-expect-error a command-only type cannot be sent as a request
  void dispatcher.request({ type: 'LogEvent', event: 'x' });
}

function typeChecksBadDefinitions(): void {
  // @ts-expect-error an entry must be a request ({ request; response }) or a command ({ command })
  type _NotAnEntry = TypedDispatcher<{ GetData: { key: string } }>;
  // @ts-expect-error a request's fields are an object type
  type _NotFields = TypedDispatcher<{ GetData: { request: string; response: number } }>;
  // @ts-expect-error a request needs its response type
  type _NoResponse = TypedDispatcher<{ GetData: { request: { key: string } } }>;
}

const routes = {
  GetData: { request: ({ key }: { key: string }) => [key.length] },
  UpdateData: { request: () => true },
  Ping: { request: () => 'pong' as const },
  LogEvent: { command: () => undefined },
  Touch: { request: () => new Date(), command: () => undefined },
};

function typeChecksDefinitionRouter(): void {
  const router = createRouter<Api>({
    GetData: {
      request: (message, context) => {
        // Each route receives its narrowed message, and the handler context.
        expectTypeOf(message).toEqualTypeOf<{ type: 'GetData'; key: string }>();
        expectTypeOf(context).toEqualTypeOf<HandlerContext>();
        return [1, 2, 3];
      },
    },
    // A value, a promise or an observable, like any handler.
    UpdateData: { request: async ({ value }) => value > 0 },
    Ping: { request: () => of('pong' as const) },
    LogEvent: {
      command: (message) => {
        expectTypeOf(message).toEqualTypeOf<{ type: 'LogEvent'; event: string }>();
      },
    },
    Touch: {
      request: (message) => {
        expectTypeOf(message).toEqualTypeOf<{ type: 'Touch'; key: string }>();
        return new Date();
      },
      command: (message) => {
        expectTypeOf(message).toEqualTypeOf<{ type: 'Touch'; key: string; at: number }>();
        return Promise.resolve();
      },
    },
  });
  expectTypeOf(router).toEqualTypeOf<TypedRouter<Api, Error>>();
  expectTypeOf(router).toMatchTypeOf<SparkGenericModuleHandler<MessageOf<Api>, ResponseOf<Api>>>();

  // spawnTypedModule reads the definition off the router.
  const { dispatcher, server } = spawnTypedModule(router);
  expectTypeOf(dispatcher).toEqualTypeOf<TypedDispatcher<Api>>();
  expectTypeOf(server).toEqualTypeOf<ModuleServer<MessageOf<Api>, Error>>();
  // A router is a handler: spawnModule takes it too, untyped.
  expectTypeOf(spawnModule(router).dispatcher.request({ type: 'Ping' })).toEqualTypeOf<
    Promise<ResponseOf<Api>>
  >();
}

function typeChecksDefinitionRouterRefusals(): void {
  // @ts-expect-error a missing route does not compile (here: Touch)
  createRouter<Api>({
    GetData: routes.GetData,
    UpdateData: routes.UpdateData,
    Ping: routes.Ping,
    LogEvent: routes.LogEvent,
  });
  createRouter<Api>({
    ...routes,
    // @ts-expect-error a route for a type the definition does not have
    Delete: { command: () => undefined },
  });
  createRouter<Api>({
    ...routes,
    // @ts-expect-error a request route must answer with its type's response
    GetData: { request: () => ['1'] },
  });
  createRouter<Api>({
    ...routes,
    // @ts-expect-error a command type's route has no request handler
    LogEvent: { request: () => undefined },
  });
  createRouter<Api>({
    ...routes,
    // @ts-expect-error a request type's route needs its request handler
    Ping: { command: () => undefined },
  });
  createRouter<Api>({
    ...routes,
    // @ts-expect-error a both-ways type needs both handlers
    Touch: { request: () => new Date() },
  });
  createRouter<Api>({
    ...routes,
    // @ts-expect-error a route receives its own message type only
    GetData: { request: (message: { type: 'UpdateData' }) => [message.type.length] },
  });
}

function typeChecksClassHandler(): void {
  class ApiHandler implements SparkGenericModuleHandler<MessageOf<Api>, ResponseOf<Api>> {
    handleRequest(): ResponseOf<Api> {
      return 'pong';
    }
    handleCommand(): void {}
  }
  // Any handler of the definition's messages, naming the definition.
  expectTypeOf(spawnTypedModule<Api>(new ApiHandler()).dispatcher).toEqualTypeOf<TypedDispatcher<Api>>();
  // A dispatcher built by hand.
  const raw = spawnModule(new ApiHandler()).dispatcher;
  expectTypeOf(new TypedDispatcher<Api>(raw)).toEqualTypeOf<TypedDispatcher<Api>>();
  // @ts-expect-error a handler of other messages is not a handler of the definition
  spawnTypedModule<Api>({ handleRequest: (m: number) => m, handleCommand: () => undefined });
}

// The API.md form: a message union M answered with R.
type Msg =
  | { type: 'GetData'; key: string }
  | { type: 'UpdateData'; key: string; value: number }
  | { type: 'LogEvent'; event: string };
type Resp = { type: 'Data'; data: number[] } | { type: 'Success'; success: boolean };

function typeChecksUnionRouter(): void {
  const handler = createRouter<Msg, Resp>({
    GetData: {
      request: (message, context) => {
        expectTypeOf(message).toEqualTypeOf<{ type: 'GetData'; key: string }>();
        expectTypeOf(context).toEqualTypeOf<HandlerContext>();
        return { type: 'Data', data: [] };
      },
    },
    UpdateData: { request: async ({ value }) => ({ type: 'Success', success: value > 0 }) },
    LogEvent: {
      command: (message) => {
        expectTypeOf(message).toEqualTypeOf<{ type: 'LogEvent'; event: string }>();
      },
    },
  });
  expectTypeOf(handler).toEqualTypeOf<SparkGenericModuleHandler<Msg, Resp, Error>>();
  class AppError extends Error {
    readonly app = true;
  }
  expectTypeOf(createRouter<{ type: 'A' }, number, AppError>({ A: { request: () => 1 } })).toEqualTypeOf<
    SparkGenericModuleHandler<{ type: 'A' }, number, AppError>
  >();

  // @ts-expect-error a missing route does not compile (here: LogEvent)
  createRouter<Msg, Resp>({
    GetData: { request: () => ({ type: 'Data', data: [] }) },
    UpdateData: { request: () => ({ type: 'Success', success: true }) },
  });
  createRouter<Msg, Resp>({
    GetData: { request: () => ({ type: 'Data', data: [] }) },
    UpdateData: { request: () => ({ type: 'Success', success: true }) },
    // @ts-expect-error a route must have a request or a command handler
    LogEvent: {},
  });
  createRouter<Msg, Resp>({
    // @ts-expect-error a request must answer with an R
    GetData: { request: () => 42 },
    UpdateData: { request: () => ({ type: 'Success', success: true }) },
    LogEvent: { command: () => undefined },
  });
  const getDataOnly = (message: Extract<Msg, { type: 'GetData' }>): Resp => ({
    type: 'Data',
    data: [message.key.length],
  });
  createRouter<Msg, Resp>({
    GetData: { request: getDataOnly },
    // @ts-expect-error each route gets its own narrowed message: UpdateData's is not GetData's
    UpdateData: { request: getDataOnly },
    LogEvent: { command: () => undefined },
  });
}

function typeChecksOperators(
  typed: TypedDispatcher<Api>,
  untyped: SparkGenericModuleDispatcher<Msg, Resp>,
): void {
  // requestVia: a typed dispatcher answers with the response of the source's message types.
  const keys$ = of('a', 'b');
  expectTypeOf(
    keys$.pipe(
      map((key) => ({ type: 'GetData' as const, key })),
      requestVia(typed, { strategy: 'switch' }),
    ),
  ).toEqualTypeOf<Observable<number[]>>();
  const mixed$ = of<RequestOf<Api, 'GetData' | 'Ping'>>({ type: 'Ping' });
  expectTypeOf(mixed$.pipe(requestVia(typed))).toEqualTypeOf<Observable<number[] | 'pong'>>();
  // @ts-expect-error a command type cannot flow into requestVia
  of({ type: 'LogEvent' as const, event: 'x' }).pipe(requestVia(typed));

  // requestVia on an untyped dispatcher: OperatorFunction<M, R>, narrowed by a guard.
  expectTypeOf(requestVia(untyped)).toEqualTypeOf<OperatorFunction<Msg, Resp>>();
  const isData = (r: Resp): r is Extract<Resp, { type: 'Data' }> => r.type === 'Data';
  expectTypeOf(requestVia(untyped, { guard: isData, strategy: 'merge', concurrency: 4 })).toEqualTypeOf<
    OperatorFunction<Msg, { type: 'Data'; data: number[] }>
  >();
  // @ts-expect-error an unknown strategy
  requestVia(untyped, { strategy: 'latest' });
  // @ts-expect-error a guard needs an untyped dispatcher (a typed one already knows its responses)
  requestVia(typed, { guard: isData });

  // commandVia passes values on with their own type, and fits MonoTypeOperatorFunction<M>.
  const events$ = of('login').pipe(map((event) => ({ type: 'LogEvent' as const, event })));
  expectTypeOf(events$.pipe(commandVia(typed))).toEqualTypeOf<
    Observable<{ type: 'LogEvent'; event: string }>
  >();
  expectTypeOf(events$.pipe(commandVia(untyped))).toEqualTypeOf<
    Observable<{ type: 'LogEvent'; event: string }>
  >();
  const _mono: MonoTypeOperatorFunction<Msg> = commandVia(untyped);
  // @ts-expect-error a request-only type cannot flow into commandVia
  of({ type: 'Ping' as const }).pipe(commandVia(typed));
  // @ts-expect-error not a message of the module
  of({ type: 'Nope' as const }).pipe(commandVia(untyped));
}

function typeChecksMergeErrors(
  a: ModuleServer<MessageOf<Api>, Error>,
  b: ModuleServer<Msg, TypeError>,
): void {
  // Each error is typed by the server it came from; it still fits the API.md signature.
  const errors$ = mergeErrors(a, b);
  expectTypeOf(errors$).toEqualTypeOf<
    Observable<ModuleError<MessageOf<Api>, Error> | ModuleError<Msg, TypeError>>
  >();
  const _contract: Observable<ModuleError<unknown, unknown>> = errors$;
  expectTypeOf(mergeErrors()).toEqualTypeOf<Observable<never>>();
  // @ts-expect-error only servers
  mergeErrors(a, { errors$: of(1) });
}

describe('composition types', () => {
  it('compiles (the checks run in `npm run typecheck`)', () => {
    const checks = [
      typeChecksDefinitionHelpers,
      typeChecksTypedRequestInference,
      typeChecksTypedRequestRefusals,
      typeChecksTypedCommands,
      typeChecksInterfaceDefinition,
      typeChecksBadDefinitions,
      typeChecksDefinitionRouter,
      typeChecksDefinitionRouterRefusals,
      typeChecksClassHandler,
      typeChecksUnionRouter,
      typeChecksOperators,
      typeChecksMergeErrors,
    ];
    expect(checks.every((check) => typeof check === 'function')).toBe(true);
  });

  it('infers at run time what it infers at compile time', async () => {
    const { dispatcher } = spawnTypedModule(createRouter<Api>(routes));
    const data = await dispatcher.request({ type: 'GetData', key: 'abc' });
    expectTypeOf(data).toEqualTypeOf<number[]>();
    expect(data).toEqual([3]);
    const pong = await dispatcher.request({ type: 'Ping' });
    expectTypeOf(pong).toEqualTypeOf<'pong'>();
    expect(pong).toBe('pong');
    await dispatcher.shutdown();
  });
});
