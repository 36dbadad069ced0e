import { expectTypeOf } from 'expect-type';
import type { Observable } from 'rxjs';

import {
  type DispatcherOptions,
  ModuleChannel,
  type RequestOptions,
  type Result,
  spawnModule,
  SparkChannelCancellationToken,
  SparkChannelError,
  SparkGenericModuleDispatcher,
} from '../../lib/index.js';

// Type-level tests: every `@ts-expect-error` line must fail to compile, every `expectTypeOf` must
// hold, or `npm run typecheck` (tsc over spec/) fails. The `typeChecks*` functions are never called: they only have
// to compile, so calls whose argument is deliberately wrong never run.

interface User {
  readonly name: string;
}
type Msg = { type: 'get-user'; id: number } | { type: 'now' } | { type: 'echo'; text: string };
type R = User | Date | string;

const isUser = (response: R): response is User => typeof response === 'object' && 'name' in response;
const isText = (response: unknown): response is string => typeof response === 'string';

class AppError extends Error {
  readonly app = true;
}

function typeChecksRequest(dispatcher: SparkGenericModuleDispatcher<Msg, R>, msg: Msg): void {
  // No guard: the full response type.
  expectTypeOf(dispatcher.request(msg)).toEqualTypeOf<Promise<R>>();
  expectTypeOf(dispatcher.request({ type: 'now' })).toEqualTypeOf<Promise<R>>();

  // A type predicate narrows R.
  expectTypeOf(dispatcher.request(msg, { guard: isUser })).toEqualTypeOf<Promise<User>>();
  // A predicate over `unknown` narrows too, as long as what it narrows to is part of R.
  expectTypeOf(dispatcher.request(msg, { guard: isText })).toEqualTypeOf<Promise<string>>();
  expectTypeOf(dispatcher.request(msg, { guard: (r): r is Date => r instanceof Date })).toEqualTypeOf<
    Promise<Date>
  >();

  // A class narrows by instanceof: the "downcast".
  expectTypeOf(dispatcher.request(msg, { guard: Date })).toEqualTypeOf<Promise<Date>>();

  // Guards combine with the other options.
  expectTypeOf(
    dispatcher.request(msg, { guard: Date, timeoutMs: 500, signal: new AbortController().signal }),
  ).toEqualTypeOf<Promise<Date>>();

  // @ts-expect-error a guard must narrow the response type, not replace it
  void dispatcher.request(msg, { guard: (r: unknown): r is number => typeof r === 'number' });
  // @ts-expect-error a class that is not part of R cannot be the guard
  void dispatcher.request(msg, { guard: Map });
  // @ts-expect-error a guard must be a type predicate, not a plain boolean function
  void dispatcher.request(msg, { guard: (_r: R): boolean => true });
  // @ts-expect-error a guard must accept every response, not only some of them
  void dispatcher.request(msg, { guard: (r: User): r is User => 'name' in r });
  // @ts-expect-error a guard is a function or a class, not a value
  void dispatcher.request(msg, { guard: 'Date' });

  // @ts-expect-error the message must be an M
  void dispatcher.request({ type: 'unknown' });
  // @ts-expect-error the message must be an M
  void dispatcher.request('get-user');
  // @ts-expect-error an explicit response type must still be part of R
  void dispatcher.request<number>(msg);
}

function typeChecksNarrowUnion(dispatcher: SparkGenericModuleDispatcher<string, string | number>): void {
  expectTypeOf(dispatcher.request('x')).toEqualTypeOf<Promise<string | number>>();
  expectTypeOf(dispatcher.request('x', { guard: isText })).toEqualTypeOf<Promise<string>>();
  // @ts-expect-error Date is not part of R = string | number
  void dispatcher.request('x', { guard: (r: unknown): r is Date => r instanceof Date });
  // @ts-expect-error Date is not part of R = string | number
  void dispatcher.request('x', { guard: Date });
}

class UserModel {
  constructor(readonly name: string) {}
}
abstract class Shape {
  abstract area(): number;
}
class Square extends Shape {
  area(): number {
    return 1;
  }
}

function typeChecksClassGuards(
  models: SparkGenericModuleDispatcher<string, UserModel | null>,
  shapes: SparkGenericModuleDispatcher<string, Shape | string>,
  anything: SparkGenericModuleDispatcher<string, unknown>,
): void {
  // A class whose constructor takes arguments is still a guard.
  expectTypeOf(models.request('u', { guard: UserModel })).toEqualTypeOf<Promise<UserModel>>();
  // So is an abstract class, and a subclass of a member of R.
  expectTypeOf(shapes.request('s', { guard: Shape })).toEqualTypeOf<Promise<Shape>>();
  expectTypeOf(shapes.request('s', { guard: Square })).toEqualTypeOf<Promise<Square>>();
  // With R = unknown, any guard narrows.
  expectTypeOf(anything.request('x', { guard: Date })).toEqualTypeOf<Promise<Date>>();
  expectTypeOf(anything.request('x', { guard: isText })).toEqualTypeOf<Promise<string>>();
  // @ts-expect-error Date is not part of UserModel | null
  void models.request('u', { guard: Date });
}

function typeChecksRequest$(dispatcher: SparkGenericModuleDispatcher<Msg, R>, msg: Msg): void {
  expectTypeOf(dispatcher.request$(msg)).toEqualTypeOf<Observable<R>>();
  expectTypeOf(dispatcher.request$(msg, { guard: isUser })).toEqualTypeOf<Observable<User>>();
  expectTypeOf(dispatcher.request$(msg, { guard: Date })).toEqualTypeOf<Observable<Date>>();
  // @ts-expect-error same guard rule as request()
  void dispatcher.request$(msg, { guard: (r: unknown): r is number => typeof r === 'number' });
}

function typeChecksRequestResult(
  dispatcher: SparkGenericModuleDispatcher<Msg, R, SparkChannelCancellationToken, AppError>,
  msg: Msg,
): void {
  expectTypeOf(dispatcher.requestResult(msg)).toEqualTypeOf<
    Promise<Result<R, AppError | SparkChannelError>>
  >();
  expectTypeOf(dispatcher.requestResult(msg, { guard: isUser })).toEqualTypeOf<
    Promise<Result<User, AppError | SparkChannelError>>
  >();
  expectTypeOf(dispatcher.requestResult(msg, { guard: Date })).toEqualTypeOf<
    Promise<Result<Date, AppError | SparkChannelError>>
  >();
}

function typeChecksDefaultError(dispatcher: SparkGenericModuleDispatcher<Msg, R>, msg: Msg): void {
  expectTypeOf(dispatcher.requestResult(msg)).toEqualTypeOf<Promise<Result<R, Error | SparkChannelError>>>();
}

function typeChecksCommandsAndShutdown(dispatcher: SparkGenericModuleDispatcher<Msg, R>, msg: Msg): void {
  expectTypeOf(dispatcher.sendCommand(msg)).toEqualTypeOf<Promise<void>>();
  expectTypeOf(dispatcher.trySendCommand(msg)).toEqualTypeOf<void>();
  expectTypeOf(dispatcher.shutdown()).toEqualTypeOf<Promise<void>>();
  expectTypeOf(dispatcher.shutdown(new SparkChannelCancellationToken())).toEqualTypeOf<Promise<void>>();
  expectTypeOf(dispatcher.sender).toEqualTypeOf<
    ModuleChannel<Msg, R, SparkChannelCancellationToken, Error>
  >();

  // @ts-expect-error a command must be an M
  void dispatcher.sendCommand({ type: 'nope' });
  // @ts-expect-error a command must be an M
  dispatcher.trySendCommand(42);
  // @ts-expect-error the Shutdown token must be a C
  void dispatcher.shutdown({ stop: () => undefined });
}

function typeChecksCustomToken(msg: Msg): void {
  // The token type C only has to have cancel(), as in the Rust crate.
  type Loose = { cancel(): void; label: string };
  const dispatcher = new SparkGenericModuleDispatcher(new ModuleChannel<Msg, R, Loose>());
  expectTypeOf(dispatcher).toEqualTypeOf<SparkGenericModuleDispatcher<Msg, R, Loose, Error>>();
  void dispatcher.shutdown({ cancel: () => undefined, label: 'app' });
  // @ts-expect-error the token must be a C
  void dispatcher.shutdown(new SparkChannelCancellationToken());
  void dispatcher.request(msg);
}

function typeChecksRequestOptions(dispatcher: SparkGenericModuleDispatcher<Msg, R>, msg: Msg): void {
  void dispatcher.request(msg, {});
  void dispatcher.request(msg, { timeoutMs: 5 });
  void dispatcher.request(msg, { timeoutMs: Infinity });
  void dispatcher.request(msg, { signal: AbortSignal.abort() });

  // @ts-expect-error timeoutMs is a number
  void dispatcher.request(msg, { timeoutMs: '5' });
  // @ts-expect-error signal is an AbortSignal
  void dispatcher.request(msg, { signal: new AbortController() });
  // @ts-expect-error unknown options are refused
  void dispatcher.request(msg, { retries: 3 });
  // @ts-expect-error unknown options are refused
  void dispatcher.request$(msg, { timeout: 5 });
  // @ts-expect-error unknown options are refused
  void dispatcher.requestResult(msg, { timeoutMs: 5, priority: 'high' });

  const options: RequestOptions<R, User> = { guard: isUser, timeoutMs: 10 };
  expectTypeOf(dispatcher.request(msg, options)).toEqualTypeOf<Promise<User>>();
  // @ts-expect-error RequestOptions' T must be part of R
  type _Bad = RequestOptions<string, number>;
}

function typeChecksDispatcherOptions(channel: ModuleChannel<Msg, R>): void {
  void new SparkGenericModuleDispatcher(channel);
  void new SparkGenericModuleDispatcher(channel, {
    timeoutMs: 1_000,
    rateLimit: { limit: 5, intervalMs: 1_000 },
  });

  // @ts-expect-error timeoutMs is a number
  void new SparkGenericModuleDispatcher(channel, { timeoutMs: '1000' });
  // @ts-expect-error rateLimit needs both limit and intervalMs
  void new SparkGenericModuleDispatcher(channel, { rateLimit: { limit: 5 } });
  // @ts-expect-error rateLimit.limit is a number
  void new SparkGenericModuleDispatcher(channel, { rateLimit: { limit: '5', intervalMs: 1 } });
  // @ts-expect-error unknown options are refused
  void new SparkGenericModuleDispatcher(channel, { retries: 3 });
  // @ts-expect-error unknown rateLimit keys are refused
  void new SparkGenericModuleDispatcher(channel, { rateLimit: { limit: 5, intervalMs: 1, burst: 2 } });
  // @ts-expect-error the sender must be a ModuleChannel
  void new SparkGenericModuleDispatcher({ send: () => Promise.resolve() });

  const options: DispatcherOptions = { timeoutMs: 1 };
  void new SparkGenericModuleDispatcher(channel, options);
}

function typeChecksConstruction(): void {
  // The dispatcher takes its types from the channel: callers write generics only on the channel.
  const dispatcher = new SparkGenericModuleDispatcher(new ModuleChannel<Msg, R>(8));
  expectTypeOf(dispatcher).toEqualTypeOf<
    SparkGenericModuleDispatcher<Msg, R, SparkChannelCancellationToken, Error>
  >();
}

describe('dispatcher types', () => {
  it('compiles the type-level checks above', () => {
    const checks = [
      typeChecksRequest,
      typeChecksNarrowUnion,
      typeChecksClassGuards,
      typeChecksRequest$,
      typeChecksRequestResult,
      typeChecksDefaultError,
      typeChecksCommandsAndShutdown,
      typeChecksCustomToken,
      typeChecksRequestOptions,
      typeChecksDispatcherOptions,
      typeChecksConstruction,
    ];
    expect(checks.every((check) => typeof check === 'function')).toBe(true);
  });

  it('narrows at run time as it does at compile time', async () => {
    const { dispatcher } = spawnModule({
      handleRequest: (msg: Msg): R =>
        msg.type === 'now' ? new Date(0) : msg.type === 'echo' ? msg.text : { name: 'Ada' },
      handleCommand: () => undefined,
    });

    const date = await dispatcher.request({ type: 'now' }, { guard: Date });
    const user = await dispatcher.request({ type: 'get-user', id: 1 }, { guard: isUser });
    const text = await dispatcher.request({ type: 'echo', text: 'hi' }, { guard: isText });
    expectTypeOf(date).toEqualTypeOf<Date>();
    expectTypeOf(user).toEqualTypeOf<User>();
    expectTypeOf(text).toEqualTypeOf<string>();
    expect(date).toBeInstanceOf(Date);
    expect(user).toEqual({ name: 'Ada' });
    expect(text).toBe('hi');

    const mismatch = await dispatcher.requestResult({ type: 'echo', text: 'hi' }, { guard: Date });
    expect(!mismatch.ok && mismatch.error).toMatchObject({ code: 'INVALID_RESPONSE_TYPE' });

    await dispatcher.shutdown();
  });
});
