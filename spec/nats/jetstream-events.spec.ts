// natsEventBus with a durable subscription (jetStreamEvents) against a real nats-server -js:
// a subscriber process SIGKILLed and started again gets the events published while it was down;
// a nats-server restart (file storage) loses no event; publish resolves once stored.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

import { jetstream } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';

import { natsEventBus } from '../../lib/nats/index.js';
import { jetStreamEvents } from '../../lib/nats/jetstream/index.js';
import { codeOf } from '../support/helpers.js';
import { ensureNatsServer, startNatsServer } from './nats-server.js';
import { type RunningJetStream, startJetStreamServer } from './jetstream-server.js';

const describeNats = ensureNatsServer() ? describe : describe.skip;
const root = join(__dirname, '..', '..');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
type Events = { Tick: { n: number } };

async function until(done: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !done() && Date.now() < end;) await sleep(25);
}

function subscriber(url: string, prefix: string, name: string, lines: string[]): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(__dirname, 'fixtures', 'durable-event-subscriber.ts'),
      url,
      prefix,
      name,
      'billing',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: root },
  );
  child.stdout
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
  return child;
}

const got = (lines: string[], name: string): number[] =>
  lines.filter((line) => line.startsWith(`${name} got `)).map((line) => Number(line.slice(name.length + 5)));

describeNats('natsEventBus with a durable subscription (real nats-server -js)', () => {
  let nats: RunningJetStream;
  const connections: NatsConnection[] = [];
  const children: ChildProcess[] = [];
  let count = 0;
  const prefix = (): string => `spec.jsev.${process.pid}.${++count}`;
  const open = async (): Promise<NatsConnection> => {
    const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    connections.push(nc);
    return nc;
  };

  beforeAll(async () => {
    nats = await startJetStreamServer();
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(connections.map((nc) => nc.close()));
    await nats.stop();
  });

  it('a subscriber process killed and started again gets every event, those published while it was down included', async () => {
    const on = prefix();
    const publisher = natsEventBus<Events>(await open(), {
      prefix: on,
      durable: jetStreamEvents({ consumer: 'billing' }),
    });
    const first: string[] = [];
    const a = subscriber(nats.url, on, 'a', first);
    children.push(a);
    await until(() => first.includes('a ready'));
    for (let n = 0; n < 10; n++) await publisher.publish({ type: 'Tick', n });
    await until(() => got(first, 'a').length >= 10);
    const exited = new Promise((resolve) => a.once('exit', resolve));
    a.kill('SIGKILL');
    await exited;
    for (let n = 10; n < 20; n++) await publisher.publish({ type: 'Tick', n }); // nobody subscribed now
    const second: string[] = [];
    children.push(subscriber(nats.url, on, 'b', second)); // the same durable consumer, "billing"
    await until(() => got(second, 'b').includes(19));
    const seen = new Set([...got(first, 'a'), ...got(second, 'b')]);
    expect(seen).toEqual(new Set(Array.from({ length: 20 }, (_, n) => n)));
    expect(got(second, 'b').filter((n) => n >= 10)).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
  }, 60_000);

  it('loses no event across a nats-server restart (file storage)', async () => {
    const on = prefix();
    const durable = jetStreamEvents({ ackWaitMs: 1_000 });
    const bus = natsEventBus<Events>(await open(), { prefix: on, queue: 'audit', durable });
    const seen: number[] = [];
    bus.on('Tick').subscribe(({ n }) => seen.push(n));
    await bus.flush();
    const publisher = natsEventBus<Events>(await open(), { prefix: on, durable });
    for (let n = 0; n < 5; n++) await publisher.publish({ type: 'Tick', n });
    await nats.restart();
    for (let n = 5; n < 10; n++) {
      // the publisher's connection reconnects; a publish made before it did fails loudly
      for (let tries = 0; tries < 100; tries++) {
        if ((await codeOf(publisher.publish({ type: 'Tick', n }))) === 'ok') break;
        await sleep(100);
      }
    }
    await until(() => new Set(seen).size >= 10, 30_000);
    expect(new Set(seen)).toEqual(new Set(Array.from({ length: 10 }, (_, n) => n)));
    await bus.close();
    await publisher.close();
  }, 60_000);

  it('a stored event of another wire version is refused unread: on errors$, acked, and the next one delivered', async () => {
    const on = prefix();
    const durable = jetStreamEvents({ storage: 'memory', from: 'all', ackWaitMs: 1_000 });
    const bus = natsEventBus<Events>(await open(), { prefix: on, queue: 'audit', durable });
    const seen: number[] = [];
    const errors: unknown[] = [];
    bus.on('Tick').subscribe(({ n }) => seen.push(n));
    bus.errors$.subscribe((error) => errors.push(error));
    await bus.flush();
    const nc = await open();
    const marked = headers();
    marked.set('Spark-Channel-Wire', '2');
    await jetstream(nc).publish(`${on}.Tick`, JSON.stringify({ type: 'Tick', n: 1 }), { headers: marked });
    const publisher = natsEventBus<Events>(nc, { prefix: on, durable });
    await publisher.publish({ type: 'Tick', n: 2 });
    await until(() => seen.length >= 1 && errors.length >= 1);
    await sleep(1_500); // past ackWaitMs: a refused event is acked, never delivered again
    expect(seen).toEqual([2]); // version 2 never reached a subscriber
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/wire version "?2/);
    await bus.close();
    await publisher.close();
  }, 30_000);

  it('publish rejects with SEND_FAILED where no stream can store it; bad options are typed errors', async () => {
    const core = await startNatsServer(); // no -js
    try {
      const nc = await connect({ servers: core.url, reconnect: false });
      connections.push(nc);
      const bus = natsEventBus<Events>(nc, {
        prefix: prefix(),
        durable: jetStreamEvents({ publishTimeoutMs: 300 }),
      });
      expect(await codeOf(bus.publish({ type: 'Tick', n: 1 }))).toBe('SEND_FAILED');
      expect(() => bus.subscribe('Tick', { sendCommand: () => Promise.resolve() })).toThrow(/`consumer`/);
      // a bus that can subscribe, on a server without JetStream: RECEIVE_FAILED on errors$
      const named = natsEventBus<Events>(nc, {
        prefix: prefix(),
        queue: 'q',
        durable: jetStreamEvents({ storage: 'memory', from: 'all' }),
      });
      const errors: unknown[] = [];
      named.errors$.subscribe((error) => errors.push(error));
      named.on('Tick').subscribe();
      expect(await codeOf(named.flush())).toBe('RECEIVE_FAILED');
      expect(errors).toEqual([expect.objectContaining({ code: 'RECEIVE_FAILED' })]);
      await named.close();
    } finally {
      await core.stop();
    }
    expect(() => jetStreamEvents({ consumer: 'a.b' })).toThrow(/`consumer`/);
    expect(() => jetStreamEvents({ from: 'start' as never })).toThrow(/`from`/);
    expect(() => jetStreamEvents({ maxAgeMs: -1 })).toThrow(RangeError);
    expect(() => jetStreamEvents({ storage: 'disk' as never })).toThrow(/`storage`/);
    expect(() => jetStreamEvents({ prefetch: 0 })).toThrow(/`prefetch`/);
    expect(() =>
      natsEventBus<Events>({ subscribe() {}, publish() {} } as never, { prefix: 'x', durable: {} as never }),
    ).toThrow(/`durable`/);
  }, 30_000);
});
