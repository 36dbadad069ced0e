import { expectTypeOf } from 'expect-type';

import {
  type ModuleServer,
  type SparkChannelCancellationToken,
  type SparkGenericModuleDispatcher,
  TypedDispatcher,
} from '../../lib/index.js';
import {
  createProbe,
  type MatchedBy,
  type PartialMessage,
  type ProbeMessage,
  type ProbePattern,
  type ProbeRequest,
  type TestProbe,
} from '../../lib/testing/index.js';

// Type-level tests of spark-channel/testing: every `@ts-expect-error` line must fail to compile,
// every `expectTypeOf` must hold, or `npm run typecheck` fails. The `typeChecks*` functions are
// never called: they only have to compile.

type GetUser = { type: 'GetUser'; id: number; tags: string[] };
type LogEvent = { type: 'LogEvent'; event: string };
type Msg = GetUser | LogEvent | { type: 'GetConfig' };
type User = { type: 'User'; name: string };
type Resp = User | { type: 'Config'; debug: boolean };

const isGetUser = (m: Msg): m is GetUser => m.type === 'GetUser';

function typeChecksProbe(): void {
  const probe = createProbe<Msg, Resp>();
  expectTypeOf(probe).toEqualTypeOf<TestProbe<Msg, Resp>>();
  // The dispatcher is typed <M, R>: the code under test gets what it asks for.
  expectTypeOf(probe.dispatcher).toEqualTypeOf<SparkGenericModuleDispatcher<Msg, Resp>>();
  expectTypeOf(probe.server).toEqualTypeOf<ModuleServer<Msg, Error>>();
  expectTypeOf(probe.received).toEqualTypeOf<readonly ProbeMessage<Msg, Resp>[]>();
  // @ts-expect-error the dispatcher only sends messages of type M
  void probe.dispatcher.request({ type: 'Nope' });
  // A typed module's dispatcher wraps the probe's.
  type Api = { GetData: { request: { key: string }; response: number[] } };
  const typed = new TypedDispatcher<Api>(
    createProbe<{ type: 'GetData'; key: string }, number[]>().dispatcher,
  );
  expectTypeOf(typed.request({ type: 'GetData', key: 'k' })).toEqualTypeOf<Promise<number[]>>();
  // @ts-expect-error options are checked: there is no `wait` option
  createProbe<Msg, Resp>({ wait: 10 });
  // @ts-expect-error `waitMs` is a number of milliseconds
  createProbe<Msg, Resp>({ waitMs: '10' });
}

async function typeChecksExpectRequest(
  probe: TestProbe<Msg, Resp>,
  dynamic: ProbePattern<Msg>,
): Promise<void> {
  expectTypeOf(probe.expectRequest()).toEqualTypeOf<Promise<ProbeRequest<Msg, Resp>>>();
  // A partial pattern narrows the message to the members it can match.
  expectTypeOf(probe.expectRequest({ type: 'GetUser' })).toEqualTypeOf<
    Promise<ProbeRequest<GetUser, Resp>>
  >();
  expectTypeOf(probe.expectRequest({ id: 7 })).toEqualTypeOf<Promise<ProbeRequest<GetUser, Resp>>>();
  expectTypeOf(probe.expectRequest({ tags: ['admin'] })).toEqualTypeOf<
    Promise<ProbeRequest<GetUser, Resp>>
  >();
  // So does a type predicate; a boolean predicate or a pattern in a variable keeps M.
  expectTypeOf(probe.expectRequest(isGetUser)).toEqualTypeOf<Promise<ProbeRequest<GetUser, Resp>>>();
  expectTypeOf(probe.expectRequest((m): boolean => m.type === 'GetUser')).toEqualTypeOf<
    Promise<ProbeRequest<Msg, Resp>>
  >();
  expectTypeOf(probe.expectRequest(dynamic, { waitMs: 0 })).toEqualTypeOf<Promise<ProbeRequest<Msg, Resp>>>();

  const request = await probe.expectRequest({ type: 'GetUser' });
  expectTypeOf(request.message.id).toEqualTypeOf<number>();

  // reply takes R and only R; fail takes E (Error by default).
  request.reply({ type: 'User', name: 'Ada' });
  request.reply({ type: 'Config', debug: true });
  request.fail(new TypeError('no such user'));
  // @ts-expect-error reply takes the response type R, not a string
  request.reply('Ada');
  // @ts-expect-error reply takes a whole R: `name` is missing
  request.reply({ type: 'User' });
  // @ts-expect-error reply takes R, not a promise of it
  request.reply(Promise.resolve<Resp>({ type: 'User', name: 'Ada' }));
  // @ts-expect-error fail takes E = Error, not a string
  request.fail('no such user');

  // Patterns are partial messages of M.
  // @ts-expect-error no message has type 'Nope'
  void probe.expectRequest({ type: 'Nope' });
  // @ts-expect-error `id` is a number
  void probe.expectRequest({ id: '7' });
  // @ts-expect-error a GetUser has no `event`
  void probe.expectRequest({ type: 'GetUser', event: 'x' });
  // @ts-expect-error `tags` holds strings
  void probe.expectRequest({ tags: [1] });
  // @ts-expect-error a predicate takes an M
  void probe.expectRequest((m: string) => m === 'GetUser');
  // @ts-expect-error the description is a string
  void probe.expectRequest(undefined, { description: 1 });
}

async function typeChecksExpectCommand(probe: TestProbe<Msg, Resp>): Promise<void> {
  expectTypeOf(probe.expectCommand()).toEqualTypeOf<Promise<Msg>>();
  expectTypeOf(probe.expectCommand({ type: 'LogEvent' })).toEqualTypeOf<Promise<LogEvent>>();
  expectTypeOf(probe.expectCommand(isGetUser)).toEqualTypeOf<Promise<GetUser>>();
  const event = await probe.expectCommand({ event: 'login' });
  expectTypeOf(event).toEqualTypeOf<LogEvent>();
  // @ts-expect-error a LogEvent has no `id`
  void probe.expectCommand({ type: 'LogEvent', id: 1 });
}

function typeChecksReplyToRequests(probe: TestProbe<Msg, Resp>): void {
  const remove = probe.replyToRequests({ type: 'GetUser' }, (m) => ({ type: 'User', name: `#${m.id}` }));
  expectTypeOf(remove).toEqualTypeOf<() => void>();
  probe.replyToRequests(isGetUser, (m) => ({ type: 'User', name: m.tags.join() }));
  probe.replyToRequests(undefined, () => ({ type: 'Config', debug: false }));
  // @ts-expect-error respond returns R
  probe.replyToRequests({ type: 'GetUser' }, () => 'Ada');
  // @ts-expect-error respond gets the narrowed message: a GetUser has no `event`
  probe.replyToRequests({ type: 'GetUser' }, (m) => ({ type: 'User', name: m.event }));
}

function typeChecksReceived(probe: TestProbe<Msg, Resp>): void {
  for (const message of probe.received) {
    if (message.kind === 'request') {
      expectTypeOf(message).toEqualTypeOf<ProbeRequest<Msg, Resp>>();
      message.reply({ type: 'Config', debug: true });
    } else {
      expectTypeOf(message.message).toEqualTypeOf<Msg>();
      // @ts-expect-error a command cannot be replied to
      message.reply({ type: 'Config', debug: true });
    }
  }
}

function typeChecksGenerics(): void {
  // E types `fail`: a module whose handlers fail with strings.
  const probe = createProbe<string, number, SparkChannelCancellationToken, string>();
  expectTypeOf(probe.dispatcher).toEqualTypeOf<
    SparkGenericModuleDispatcher<string, number, SparkChannelCancellationToken, string>
  >();
  void probe.expectRequest('ping').then((request) => {
    expectTypeOf(request).toEqualTypeOf<ProbeRequest<string, number, string>>();
    request.fail('nope');
  });
  // @ts-expect-error patterns of primitive messages are values of M
  void probe.expectRequest(5);
}

function typeChecksPatternTypes(): void {
  expectTypeOf<PartialMessage<GetUser>>().toEqualTypeOf<{
    readonly type?: 'GetUser';
    readonly id?: number;
    readonly tags?: readonly string[];
  }>();
  expectTypeOf<PartialMessage<{ at: Date; pair: [number, string] }>>().toEqualTypeOf<{
    readonly at?: Date;
    readonly pair?: readonly [number, string];
  }>();
  expectTypeOf<MatchedBy<Msg, { type: 'LogEvent' }>>().toEqualTypeOf<LogEvent>();
  expectTypeOf<MatchedBy<Msg, { type: 'GetUser' | 'LogEvent' }>>().toEqualTypeOf<Msg>(); // cannot tell
  expectTypeOf<MatchedBy<Msg, object>>().toEqualTypeOf<Msg>();
}

void [typeChecksProbe, typeChecksExpectRequest, typeChecksExpectCommand, typeChecksReplyToRequests];
void [typeChecksReceived, typeChecksGenerics, typeChecksPatternTypes];

describe('spark-channel/testing types', () => {
  it('are checked by tsc (npm run typecheck), not at run time', () => {
    expect(true).toBe(true);
  });
});
