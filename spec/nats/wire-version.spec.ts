// The version marker of docs/nats-wire.md through the official JavaScript client and a real
// nats-server (spec/nats/c-client.spec.ts proves it from C): the client's own header decoder
// reads `Spark-Channel-Wire: 1` on every request, command, reply and event spark-channel sends;
// a message without it is read as version 1; one of another version is refused, not misread.
import { connect, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';

import { isSparkChannelError, type ModuleError } from '../../lib/index.js';
import {
  jsonCodec,
  natsDispatcher,
  natsEventBus,
  NatsPayloadError,
  serveModule,
} from '../../lib/nats/index.js';
import { deferred, outcome, recordingLogger } from '../support/helpers.js';
import { ensureNatsServer, type RunningNats, startNatsServer } from './nats-server.js';

const describeNats = ensureNatsServer() ? describe : describe.skip;
const json = (value: unknown): Uint8Array => jsonCodec.encode(value);
const marked = (version: string) => {
  const h = headers();
  h.set('Spark-Channel-Wire', version);
  return h;
};

describeNats('the wire version marker (official client, real nats-server)', () => {
  let nats: RunningNats;
  let nc: NatsConnection;
  let count = 0;
  const subject = (): string => `spec.wire.${process.pid}.${++count}`;

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url, reconnect: false });
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it('requests and commands of natsDispatcher, and the replies of serveModule, carry Spark-Channel-Wire: 1', async () => {
    const on = subject();
    const seen: [string, boolean][] = [];
    const raw = nc.subscribe(on, {
      callback: (_error, msg: Msg) => {
        const request = msg.reply !== undefined && msg.reply !== ''; // the client gives "" for none
        seen.push([msg.headers?.get('Spark-Channel-Wire') ?? '(none)', request]);
        if (request) msg.respond(json({ ok: true, value: 'raw' }), { headers: marked('1') });
      },
    });
    const dispatcher = natsDispatcher<string, string>(nc, on);
    await expect(dispatcher.request('ping')).resolves.toBe('raw');
    await dispatcher.sendCommand('note');
    await nc.flush();
    raw.unsubscribe();
    expect(seen).toEqual([
      ['1', true],
      ['1', false],
    ]);

    const served = serveModule<string, string>(
      nc,
      on,
      { handleRequest: (m) => `pong ${m}`, handleCommand: () => undefined },
      { logger: recordingLogger() },
    );
    await nc.flush();
    const reply = await nc.request(on, json('ping'), { timeout: 5_000 });
    expect([reply.headers?.get('Spark-Channel-Wire'), reply.json()]).toEqual([
      '1',
      { ok: true, value: 'pong ping' },
    ]);
    await served.stop();
  });

  it('a member reads a request without headers as version 1, and refuses one of version 2 (and such a command)', async () => {
    const on = subject();
    const handled: string[] = [];
    const command = deferred<string>();
    const errors: ModuleError<unknown, Error>[] = [];
    const served = serveModule<string, string>(
      nc,
      on,
      {
        handleRequest: (m) => {
          handled.push(m);
          return m;
        },
        handleCommand: (m) => command.resolve(m),
      },
      { logger: recordingLogger() },
    );
    served.server.errors$.subscribe((error) => errors.push(error));
    await nc.flush();

    const plain = await nc.request(on, json('old client'), { timeout: 5_000 });
    expect(plain.json()).toEqual({ ok: true, value: 'old client' });
    const future = await nc.request(on, json('new client'), { timeout: 5_000, headers: marked('2') });
    expect(future.json()).toEqual({
      ok: false,
      error: {
        name: 'NatsPayloadError',
        message: `Refused the message received on "${on}": it is of wire version "2" (Spark-Channel-Wire); this side reads version 1`,
      },
    });
    nc.publish(on, json('future command'), { headers: marked('2') });
    nc.publish(on, json('plain command'));
    await expect(command.promise).resolves.toBe('plain command');
    expect(handled).toEqual(['old client']);
    expect(errors.map(({ kind, error }) => [kind, error.name])).toEqual([
      ['request', 'NatsPayloadError'],
      ['command', 'NatsPayloadError'],
    ]);
    await served.stop();
  });

  it('a caller reads an unmarked reply as version 1 and fails one of version 2 with RECEIVE_FAILED', async () => {
    const on = subject();
    const raw = nc.subscribe(on, {
      callback: (_error, msg: Msg) => {
        const version = msg.json<string>();
        const answer = json({ ok: true, value: version });
        if (version === 'none') msg.respond(answer);
        else msg.respond(answer, { headers: marked(version) });
      },
    });
    const dispatcher = natsDispatcher<string, string>(nc, on);
    await expect(dispatcher.request('none')).resolves.toBe('none');
    await expect(dispatcher.request('1')).resolves.toBe('1');
    const result = await outcome(dispatcher.request('2'));
    const error = 'error' in result ? result.error : undefined;
    expect(isSparkChannelError(error, 'RECEIVE_FAILED')).toBe(true);
    expect((error as Error).message).toBe(
      `The reply on "${on}" cannot be read (it is of wire version "2" (Spark-Channel-Wire); this side reads version 1)`,
    );
    raw.unsubscribe();
  });

  it('a bus publishes events marked 1, reads unmarked ones, and refuses version 2 on errors$', async () => {
    type Events = { Tick: { n: number } };
    const prefix = `wire${process.pid}`;
    const marks: string[] = [];
    const raw = nc.subscribe(`${prefix}.>`, {
      callback: (_error, msg: Msg) => {
        marks.push(msg.headers?.get('Spark-Channel-Wire') ?? '(none)');
      },
    });
    const bus = natsEventBus<Events>(nc, { prefix, logger: recordingLogger() });
    const refused: Error[] = [];
    bus.errors$.subscribe((error) => refused.push(error));
    const ticks: number[] = [];
    const third = deferred();
    bus.on('Tick').subscribe(({ n }) => {
      ticks.push(n);
      if (ticks.length === 2) third.resolve();
    });
    await bus.flush();
    await bus.publish({ type: 'Tick', n: 1 });
    nc.publish(`${prefix}.Tick`, json({ type: 'Tick', n: 2 }), { headers: marked('2') });
    nc.publish(`${prefix}.Tick`, json({ type: 'Tick', n: 3 }));
    await third.promise;
    expect(ticks).toEqual([1, 3]);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(NatsPayloadError);
    expect(refused[0]?.message).toBe(
      `Event refused on "${prefix}.Tick": it is of wire version "2" (Spark-Channel-Wire); this side reads version 1`,
    );
    expect(marks).toEqual(['1', '2', '(none)']);
    raw.unsubscribe();
    await bus.close();
  });
});
