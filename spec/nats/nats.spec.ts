// spark-channel/nats against a real nats-server on a free loopback port: round trip, errors and
// codes, commands, bad payloads, queue-group load sharing, a member closed mid-flight, shutdown.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { firstValueFrom } from 'rxjs';

import { isSparkChannelError, type ModuleError, type SparkGenericModuleHandler } from '../../lib/index.js';
import {
  jsonCodec,
  type NatsCodec,
  natsDispatcher,
  NatsPayloadError,
  serveModule,
  type ServeModuleOptions,
} from '../../lib/nats/index.js';
import { codeOf, deferred, outcome, recordingLogger } from '../support/helpers.js';
import { ensureNatsServer, type RunningNats, startNatsServer } from './nats-server.js';

type Message = { type: string; [field: string]: unknown };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const describeNats = ensureNatsServer() ? describe : describe.skip;

describeNats('spark-channel/nats (real nats-server)', () => {
  let nats: RunningNats;
  const connections: NatsConnection[] = [];
  const stops: (() => Promise<void>)[] = [];
  let subjectCount = 0;
  const subject = (): string => `spec.nats.${process.pid}.${++subjectCount}`;

  async function open(): Promise<NatsConnection> {
    const nc = await connect({ servers: nats.url, reconnect: false });
    connections.push(nc);
    return nc;
  }

  const handler = (member = 'a', seen: Message[] = []): SparkGenericModuleHandler<Message, unknown> => ({
    async handleRequest(message) {
      seen.push(message);
      switch (message.type) {
        case 'echo':
          return { member, echo: message['value'] };
        case 'slow':
          await sleep(message['ms'] as number);
          return { member };
        case 'fail':
          throw Object.assign(new TypeError('bad key'), { code: 'E_KEY', detail: 7 });
        case 'bigint':
          return 1n;
        default:
          throw 'not an error';
      }
    },
    handleCommand(message) {
      seen.push(message);
      if (message.type === 'fail') throw new RangeError('command failed');
    },
  });

  async function serve(nc: NatsConnection, on: string, h = handler(), options?: ServeModuleOptions) {
    const served = serveModule(nc, on, h, { logger: recordingLogger(), ...options });
    stops.push(served.stop);
    const errors: ModuleError<unknown, Error>[] = [];
    served.server.errors$.subscribe((error) => errors.push(error));
    await nc.flush(); // the subscription has reached the server
    return { ...served, errors };
  }

  beforeAll(async () => {
    nats = await startNatsServer();
  });

  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
    await Promise.all(connections.splice(0).map((nc) => nc.close()));
  });

  afterAll(async () => {
    await nats?.stop();
  });

  it('round trip: request, request$ and requestResult answer with the handler value', async () => {
    const on = subject();
    await serve(await open(), on);
    const client = natsDispatcher<Message, { echo: unknown }>(await open(), on);
    await expect(client.request({ type: 'echo', value: 'hi' })).resolves.toEqual({ member: 'a', echo: 'hi' });
    await expect(firstValueFrom(client.request$({ type: 'echo', value: 2 }))).resolves.toMatchObject({
      echo: 2,
    });
    await expect(client.requestResult({ type: 'echo', value: [1] })).resolves.toEqual({
      ok: true,
      value: { member: 'a', echo: [1] },
    });
  });

  it('a handler error comes back with name, message and code, and goes to errors$', async () => {
    const on = subject();
    const served = await serve(await open(), on);
    const client = natsDispatcher<Message, unknown>(await open(), on);
    const result = await outcome(client.request({ type: 'fail' }));
    expect(result).toEqual({ error: expect.any(Error) });
    const error = (result as { error: Error & { code: string; detail: number } }).error;
    expect([error.name, error.message, error.code, error.detail]).toEqual([
      'TypeError',
      'bad key',
      'E_KEY',
      7,
    ]);
    expect(served.errors).toMatchObject([{ kind: 'request', message: { type: 'fail' } }]);
    // a thrown non-Error and a response the codec cannot encode fail that request only
    await expect(client.request({ type: 'other' })).rejects.toMatchObject({
      name: 'Error',
      message: 'not an error',
    });
    await expect(client.request({ type: 'bigint' })).rejects.toMatchObject({ name: 'TypeError' });
    await expect(client.request({ type: 'echo', value: 1 })).resolves.toMatchObject({ echo: 1 });
  });

  it('a SparkChannelError from the serving side is revived as one', async () => {
    const on = subject();
    const nc = await open();
    const served = await serve(nc, on, handler(), { timeoutMs: 20 }); // the member's own module times out
    void served;
    const client = natsDispatcher<Message, unknown>(await open(), on);
    const error = (await outcome(client.request({ type: 'slow', ms: 100 }))) as { error: unknown };
    expect(isSparkChannelError(error.error, 'TIMEOUT')).toBe(true);
  });

  it('maps a timeout to TIMEOUT, no responders to SEND_FAILED, an abort to CANCELLED', async () => {
    const on = subject();
    await serve(await open(), on);
    const client = natsDispatcher<Message, unknown>(await open(), on, { timeoutMs: 5_000 });
    expect(await codeOf(client.request({ type: 'slow', ms: 300 }, { timeoutMs: 50 }))).toBe('TIMEOUT');
    const nobody = natsDispatcher<Message, unknown>(connections[1]!, subject());
    expect(await codeOf(nobody.request({ type: 'echo' }))).toBe('SEND_FAILED');
    const controller = new AbortController();
    const pending = client.request({ type: 'slow', ms: 200 }, { signal: controller.signal });
    controller.abort();
    expect(await codeOf(pending)).toBe('CANCELLED');
    expect(await codeOf(client.request({ type: 'echo' }, { signal: controller.signal }))).toBe('CANCELLED');
    // request$: unsubscribing gives up; an outer signal reaches it, aborted or later
    const subscription = client.request$({ type: 'slow', ms: 50 }).subscribe();
    subscription.unsubscribe();
    expect(
      await codeOf(firstValueFrom(client.request$({ type: 'echo' }, { signal: controller.signal }))),
    ).toBe('CANCELLED');
    const later = new AbortController();
    const viaObservable = firstValueFrom(
      client.request$({ type: 'slow', ms: 200 }, { signal: later.signal }),
    );
    later.abort();
    expect(await codeOf(viaObservable)).toBe('CANCELLED');
    await expect(firstValueFrom(client.request$({ type: 'fail' }))).rejects.toMatchObject({ code: 'E_KEY' });
  });

  it('bad options are refused without sending', async () => {
    const nc = await open();
    expect(() => natsDispatcher(nc, '')).toThrow(TypeError);
    expect(() => natsDispatcher(nc, 'x', { timeoutMs: -1 })).toThrow(RangeError);
    expect(() => serveModule(nc, 42 as unknown as string, handler())).toThrow(/subject/);
    const client = natsDispatcher<Message, unknown>(nc, 'x');
    await expect(client.request({ type: 'echo' }, { timeoutMs: 0 })).rejects.toThrow(RangeError);
    await expect(client.request({ type: 'echo' }, { signal: {} as AbortSignal })).rejects.toThrow(/signal/);
  });

  it('commands are delivered; their failures go to errors$ on the serving side', async () => {
    const on = subject();
    const seen: Message[] = [];
    const served = await serve(await open(), on, handler('a', seen));
    const client = natsDispatcher<Message, unknown>(await open(), on);
    await client.sendCommand({ type: 'log', n: 1 });
    await client.sendCommand({ type: 'fail' });
    await client.sendCommand({ type: 'log', n: 2 });
    await client.request({ type: 'echo' }); // same member, handled in order: the commands came first
    expect(seen.map((m) => m.type)).toEqual(['log', 'fail', 'log', 'echo']);
    expect(served.errors).toMatchObject([
      { kind: 'command', message: { type: 'fail' }, error: { message: 'command failed' } },
    ]);
  });

  it('bad payload bytes fail that message only; the member keeps serving', async () => {
    const on = subject();
    const served = await serve(await open(), on);
    const raw = await open();
    const reply = await raw.request(on, new TextEncoder().encode('{not json'), { timeout: 2_000 });
    expect(jsonCodec.decode(reply.data)).toMatchObject({ ok: false, error: { name: 'NatsPayloadError' } });
    raw.publish(on, new Uint8Array([0xff, 0xfe]));
    const client = natsDispatcher<Message, unknown>(raw, on);
    await expect(client.request({ type: 'echo', value: 'still here' })).resolves.toMatchObject({
      echo: 'still here',
    });
    expect(served.errors.map((e) => [e.kind, e.error instanceof NatsPayloadError])).toEqual([
      ['request', true],
      ['command', true],
    ]);
    // a reply the client cannot read is RECEIVE_FAILED
    const odd = subject();
    raw.subscribe(odd, {
      callback: (_e, msg) => {
        msg.respond(msg.data);
      },
    });
    await raw.flush();
    const oddClient = natsDispatcher<unknown, unknown>(raw, odd);
    expect(await codeOf(oddClient.request('not an envelope'))).toBe('RECEIVE_FAILED');
    expect(await codeOf(oddClient.request(undefined))).toBe('RECEIVE_FAILED');
    const garbled = natsDispatcher<unknown, unknown>(raw, odd, {
      codec: { encode: () => new Uint8Array([0xff]), decode: jsonCodec.decode },
    });
    expect(await codeOf(garbled.request('x'))).toBe('RECEIVE_FAILED');
    // an error envelope is revived when well-formed; one without a string name and message is not
    // an envelope (spec/nats/hostile.spec.ts has the rest)
    await expect(oddClient.request({ ok: false, error: 'plain' })).rejects.toMatchObject({
      code: 'RECEIVE_FAILED',
      cause: { ok: false, error: 'plain' },
    });
    const revived = await outcome(
      oddClient.request({ ok: false, error: { name: 'X', message: 'm', stack: 's', extra: 1 } }),
    );
    expect((revived as { error: unknown }).error).toMatchObject({ name: 'X', message: 'm', extra: 1 });
    // a message the client's codec cannot encode is refused at once, request or command
    await expect(client.request({ type: 'echo', value: 1n })).rejects.toThrow(TypeError);
    await expect(client.sendCommand({ type: 'echo', value: 1n })).rejects.toThrow(TypeError);
    // a command the connection refuses (over max_payload) is SEND_FAILED
    expect(await codeOf(client.sendCommand({ type: 'big', value: 'x'.repeat(2_000_000) }))).toBe(
      'SEND_FAILED',
    );
  });

  it('uses a pluggable codec on both sides', async () => {
    const on = subject();
    const codec: NatsCodec = {
      encode: (value) => new TextEncoder().encode(`v1:${JSON.stringify(value)}`),
      decode: (bytes) => JSON.parse(new TextDecoder().decode(bytes).slice(3)) as unknown,
    };
    await serve(await open(), on, handler(), { codec });
    const client = natsDispatcher<Message, unknown>(await open(), on, { codec });
    await expect(client.request({ type: 'echo', value: 'coded' })).resolves.toMatchObject({ echo: 'coded' });
  });

  it('a queue group shares 20 requests between two serving connections', async () => {
    const on = subject();
    await serve(await open(), on, handler('a'), { concurrency: 4 });
    await serve(await open(), on, handler('b'), { concurrency: 4 });
    const client = natsDispatcher<Message, { member: string }>(await open(), on);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => client.request({ type: 'slow', ms: 5 })),
    );
    const members = answers.map((a) => a.member);
    expect(members.filter((m) => m === 'a').length).toBeGreaterThan(0);
    expect(members.filter((m) => m === 'b').length).toBeGreaterThan(0);
  });

  it('a member closed mid-flight fails its in-flight requests with a code; the other takes new work', async () => {
    const on = subject();
    const ncA = await open();
    const seenA: Message[] = [];
    await serve(ncA, on, handler('a', seenA));
    const client = natsDispatcher<Message, { member: string }>(await open(), on, { timeoutMs: 500 });
    const inFlight = [client.request({ type: 'slow', ms: 200 }), client.request({ type: 'slow', ms: 200 })];
    while (seenA.length === 0) await sleep(5);
    await serve(await open(), on, handler('b'));
    await ncA.close();
    const codes = await Promise.all(inFlight.map((p) => codeOf(p)));
    for (const code of codes) expect(['TIMEOUT', 'RECEIVE_FAILED']).toContain(code);
    const next = await Promise.all(Array.from({ length: 5 }, () => client.request({ type: 'echo' })));
    expect(next.map((a) => a.member)).toEqual(['b', 'b', 'b', 'b', 'b']);
  });

  it('closed connections: SEND_FAILED before sending, RECEIVE_FAILED while waiting', async () => {
    const on = subject();
    await serve(await open(), on);
    const nc = await open();
    const client = natsDispatcher<Message, unknown>(nc, on);
    const waiting = client.request({ type: 'slow', ms: 300 });
    await sleep(50);
    await nc.close();
    expect(await codeOf(waiting)).toBe('RECEIVE_FAILED');
    expect(await codeOf(client.request({ type: 'echo' }))).toBe('SEND_FAILED');
    expect(await codeOf(client.sendCommand({ type: 'log' }))).toBe('SEND_FAILED');
    const draining = await open();
    const closing = draining.drain();
    expect(await codeOf(natsDispatcher<Message, unknown>(draining, on).request({ type: 'echo' }))).toBe(
      'SEND_FAILED',
    );
    await closing;
  });

  it('serves with default options (JSON codec, console logger, queue = subject)', async () => {
    const on = subject();
    const nc = await open();
    const served = serveModule(nc, on, handler());
    stops.push(served.stop);
    await nc.flush();
    await expect(natsDispatcher(nc, on).request({ type: 'echo', value: 0 })).resolves.toMatchObject({
      echo: 0,
    });
  });

  it('shutdown: the client refuses new sends after its requests settle; stop() answers what it received', async () => {
    const on = subject();
    const started = deferred();
    const served = await serve(await open(), on, {
      async handleRequest() {
        started.resolve();
        await sleep(100);
        return 'done';
      },
      handleCommand() {},
    });
    const client = natsDispatcher<Message, unknown>(await open(), on);
    const pending = client.request({ type: 'x' });
    await started.promise;
    const stopping = served.stop();
    await expect(pending).resolves.toBe('done');
    await stopping;
    expect(served.server.isRunning).toBe(false);
    await expect(served.stop()).resolves.toBeUndefined(); // idempotent
    expect(await codeOf(client.request({ type: 'x' }))).toBe('SEND_FAILED'); // no responders now

    const other = natsDispatcher<Message, unknown>(connections[1]!, subject());
    await other.shutdown();
    expect(await codeOf(other.request({ type: 'x' }))).toBe('SEND_FAILED');
    expect(await codeOf(other.sendCommand({ type: 'x' }))).toBe('SEND_FAILED');
  });

  it('a member whose connection closed logs the answers it cannot send, and stops cleanly', async () => {
    const on = subject();
    const nc = await open();
    const logger = recordingLogger();
    const served = await serve(nc, on, handler(), { logger });
    const client = natsDispatcher<Message, unknown>(await open(), on, { timeoutMs: 300 });
    const pending = client.request({ type: 'slow', ms: 100 });
    await sleep(30);
    await nc.close();
    expect(await codeOf(pending)).toBe('TIMEOUT');
    await served.stop();
    expect(logger.errors).toEqual([[expect.stringMatching(/could not answer/), expect.any(Error)]]);
  });

  it('a codec that cannot encode even the error envelope loses that answer only, with a log line', async () => {
    const on = subject();
    const logger = recordingLogger();
    const codec: NatsCodec = {
      encode: (value) => {
        if (typeof value === 'object' && value !== null && 'ok' in value) throw new Error('cannot encode');
        return jsonCodec.encode(value);
      },
      decode: jsonCodec.decode,
    };
    await serve(await open(), on, handler(), { logger, codec });
    const client = natsDispatcher<Message, unknown>(await open(), on, { timeoutMs: 200 });
    expect(await codeOf(client.request({ type: 'echo' }))).toBe('TIMEOUT');
    expect(logger.errors).toHaveLength(1);
  });

  it('a command sent after the member stopped its module is refused with a log line', async () => {
    const on = subject();
    const logger = recordingLogger();
    const served = await serve(await open(), on, handler(), { logger });
    served.server.stop(); // the module stops; the subscription still receives
    const client = natsDispatcher<Message, unknown>(await open(), on);
    await client.sendCommand({ type: 'log' });
    await expect(client.request({ type: 'echo' })).rejects.toMatchObject({ code: 'SEND_FAILED' });
    expect(logger.errors).toEqual([[expect.stringMatching(/refused/), expect.anything()]]);
  });
});
