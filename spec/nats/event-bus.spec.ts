// natsEventBus against a real nats-server on a free loopback port: fan-out to every bus, a queue
// group sharing, module subscribers with the local overflow and stop rules, typed payloads
// through the codec, hostile payloads refused on errors$, close(), bad input.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { firstValueFrom, type Observable, take, timeout, toArray } from 'rxjs';

import { createRouter, type DeadLetter, spawnTypedModule } from '../../lib/index.js';
import {
  jsonCodec,
  type NatsCodec,
  natsEventBus,
  type NatsEventBus,
  NatsPayloadError,
} from '../../lib/nats/index.js';
import { recorder, type ShopEvents } from '../events/support.js';
import { deferred, recordingLogger } from '../support/helpers.js';
import { trapAllProxy } from './hostile-values.js';
import { ensureNatsServer, type RunningNats, startNatsServer } from './nats-server.js';

const describeNats = ensureNatsServer() ? describe : describe.skip;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The first `n` values of `source` (a safety timeout, so a lost event fails instead of hanging). */
function first<T>(source: Observable<T>, n: number): Promise<T[]> {
  return firstValueFrom(source.pipe(take(n), toArray(), timeout(10_000)));
}

/** Waits until `done()` holds (a safety deadline, not a timing assertion). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !done(); i++) await sleep(25);
}

const placed = (orderId: string, total = 20) => ({ type: 'OrderPlaced' as const, orderId, total });

describeNats('natsEventBus (real nats-server)', () => {
  let nats: RunningNats;
  const connections: NatsConnection[] = [];
  const buses: NatsEventBus<ShopEvents>[] = [];
  let prefixes = 0;
  const prefix = (): string => `spec.events.${process.pid}.${++prefixes}`;

  async function open(): Promise<NatsConnection> {
    const nc = await connect({ servers: nats.url, reconnect: false });
    connections.push(nc);
    return nc;
  }

  async function bus(
    on: string,
    options: Omit<Parameters<typeof natsEventBus>[1], 'prefix'> = {},
    nc?: NatsConnection,
  ): Promise<NatsEventBus<ShopEvents>> {
    const created = natsEventBus<ShopEvents>(nc ?? (await open()), {
      logger: recordingLogger(),
      ...options,
      prefix: on,
    });
    buses.push(created);
    return created;
  }

  beforeAll(async () => {
    nats = await startNatsServer();
  });

  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
    await Promise.all(connections.splice(0).map((nc) => nc.close()));
  });

  afterAll(async () => {
    await nats?.stop();
  });

  describe('fan-out', () => {
    it('every subscribing bus gets every event, in publish order, as it was published', async () => {
      const on = prefix();
      const a = await bus(on);
      const b = await bus(on);
      const gotA = first(a.on('OrderPlaced'), 20);
      const gotB = first(b.events$, 20);
      await Promise.all([a.flush(), b.flush()]);
      const publisher = await bus(on);
      const sent = Array.from({ length: 20 }, (_, i) => placed(`o-${i}`, i * 1.5));
      for (const event of sent) await publisher.publish(event);
      await expect(gotA).resolves.toEqual(sent);
      await expect(gotB).resolves.toEqual(sent);
    });

    it('on(type) gets its types only; events$ every type, dotted types included', async () => {
      type Dotted = { 'order.placed': { id: number }; 'order.shipped': { id: number } };
      const on = prefix();
      const nc = await open();
      const receiver = natsEventBus<Dotted>(nc, { prefix: on });
      const shipped = first(receiver.on('order.shipped'), 1);
      const all = first(receiver.events$, 2);
      await receiver.flush();
      const sender = natsEventBus<Dotted>(await open(), { prefix: on });
      await sender.publish({ type: 'order.placed', id: 1 });
      await sender.publish({ type: 'order.shipped', id: 2 });
      await expect(shipped).resolves.toEqual([{ type: 'order.shipped', id: 2 }]);
      await expect(all).resolves.toEqual([
        { type: 'order.placed', id: 1 },
        { type: 'order.shipped', id: 2 },
      ]);
      await Promise.all([receiver.close(), sender.close()]);
    });

    it('a bus gets its own events back through the server, once', async () => {
      const on = prefix();
      const self = await bus(on);
      const seen: unknown[] = [];
      self.events$.subscribe((event) => seen.push(event));
      await self.flush();
      await self.publish(placed('mine'));
      await self.publish(placed('mine too'));
      await until(() => seen.length >= 2);
      await sleep(50);
      expect(seen).toEqual([placed('mine'), placed('mine too')]);
    });

    it('an event nobody subscribes to is lost, silently: publish resolves all the same', async () => {
      const on = prefix();
      const publisher = await bus(on);
      await expect(publisher.publish(placed('nobody'))).resolves.toBeUndefined();
      const late = await bus(on);
      const seen: unknown[] = [];
      late.events$.subscribe((event) => seen.push(event));
      await late.flush();
      await publisher.publish(placed('now'));
      await until(() => seen.length >= 1);
      expect(seen).toEqual([placed('now')]); // at most once: nothing is kept for later subscribers
    });

    it('with replay, a late local observer gets the last events received', async () => {
      const on = prefix();
      const receiver = await bus(on, { replay: 1 });
      const live = first(receiver.on('OrderPlaced'), 2);
      await receiver.flush();
      const publisher = await bus(on);
      await publisher.publish(placed('a'));
      await publisher.publish(placed('b'));
      await live;
      await expect(first(receiver.on('OrderPlaced'), 1)).resolves.toEqual([placed('b')]);
    });
  });

  describe('a queue group', () => {
    it('shares each event among its buses (each gets it once); a bus outside the group still gets all', async () => {
      const on = prefix();
      const a = await bus(on, { queue: 'billing' });
      const b = await bus(on, { queue: 'billing' });
      const audit = await bus(on);
      const got: Record<string, number[]> = { a: [], b: [], audit: [] };
      a.on('OrderPlaced').subscribe(({ total }) => got['a']?.push(total));
      b.on('OrderPlaced').subscribe(({ total }) => got['b']?.push(total));
      audit.on('OrderPlaced').subscribe(({ total }) => got['audit']?.push(total));
      await Promise.all([a.flush(), b.flush(), audit.flush()]);
      const publisher = await bus(on);
      const totals = Array.from({ length: 60 }, (_, i) => i);
      for (const total of totals) await publisher.publish(placed(`o-${total}`, total));
      await until(
        () => got['audit']?.length === 60 && (got['a']?.length ?? 0) + (got['b']?.length ?? 0) === 60,
      );
      const [inA, inB] = [got['a'] ?? [], got['b'] ?? []];
      expect(got['audit']).toEqual(totals);
      expect([...inA, ...inB].sort((x, y) => x - y)).toEqual(totals); // each exactly once in the group
      expect(inA.length).toBeGreaterThan(0);
      expect(inB.length).toBeGreaterThan(0);
      // each member sees its share in publish order
      expect(inA).toEqual([...inA].sort((x, y) => x - y));
      expect(inB).toEqual([...inB].sort((x, y) => x - y));
    });
  });

  describe('module subscribers', () => {
    it('get each event as a command, typed, through toCommand', async () => {
      type StockApi = { Reserve: { command: { orderId: string; total: number } } };
      const reserved: string[] = [];
      const stock = spawnTypedModule(
        createRouter<StockApi>({
          Reserve: { command: ({ orderId, total }) => void reserved.push(`${orderId}:${total}`) },
        }),
      );
      const on = prefix();
      const receiver = await bus(on);
      receiver.subscribe('OrderPlaced', stock.dispatcher, ({ orderId, total }) => ({
        type: 'Reserve' as const,
        orderId,
        total,
      }));
      await receiver.flush();
      const publisher = await bus(on);
      await publisher.publish(placed('o-1', 10));
      await publisher.publish({ type: 'OrderShipped', orderId: 'o-1' }); // not subscribed
      await publisher.publish(placed('o-2', 12.5));
      await until(() => reserved.length >= 2);
      expect(reserved).toEqual(['o-1:10', 'o-2:12.5']);
      await stock.dispatcher.shutdown();
    });

    it('a full module drops by its policy, with a dropped dead letter', async () => {
      const chart = recorder<{ type: string; price: number }>(1);
      chart.hold();
      const on = prefix();
      const receiver = await bus(on);
      receiver.subscribe('PriceTicked', chart.dispatcher, undefined, { overflow: 'drop-newest' });
      await receiver.flush();
      const publisher = await bus(on);
      for (const price of [1, 2, 3, 4]) await publisher.publish({ type: 'PriceTicked', price });
      await until(() => chart.dead.length >= 2);
      chart.release();
      await until(() => chart.seen.length >= 2);
      expect(chart.seen.map((e) => e.price)).toEqual([1, 2]);
      expect(chart.dead.map((d: DeadLetter<{ price: number }>) => [d.reason, d.message.price])).toEqual([
        ['dropped', 3],
        ['dropped', 4],
      ]);
    });

    it('a module that stops leaves the bus: what it had queued and what waited are dead letters, never a hang', async () => {
      const stock = recorder<{ type: string; orderId: string }>(1);
      const other = recorder<{ type: string; orderId: string }>();
      stock.hold();
      const on = prefix();
      const receiver = await bus(on);
      receiver.subscribe('OrderPlaced', stock.dispatcher);
      receiver.subscribe('OrderPlaced', other.dispatcher);
      await receiver.flush();
      const publisher = await bus(on);
      for (const id of ['o-1', 'o-2', 'o-3']) await publisher.publish(placed(id));
      await until(() => other.seen.length >= 3);
      stock.server.stop();
      await until(() => stock.dead.length >= 2);
      expect(stock.dead.map((d) => [d.reason, d.message.orderId])).toEqual([
        ['dropped', 'o-2'],
        ['refused', 'o-3'],
      ]);
      await publisher.publish(placed('o-4'));
      await until(() => other.seen.length >= 4);
      expect(stock.seen.map((e) => e.orderId)).toEqual(['o-1']);
      expect(stock.dead).toHaveLength(2);
      stock.release();
    });
  });

  describe('the codec', () => {
    it('carries typed payloads as JSON: nested objects, arrays, unicode and numbers survive', async () => {
      type Rich = { Rich: { nested: { list: (number | null)[]; flag: boolean }; text: string; n: number } };
      const on = prefix();
      const receiver = natsEventBus<Rich>(await open(), { prefix: on });
      const got = first(receiver.on('Rich'), 1);
      await receiver.flush();
      const event = {
        type: 'Rich' as const,
        nested: { list: [1, -0.5, null, 1e21], flag: false },
        text: 'ünïcødé ✓ "quoted" \n',
        n: Number.MAX_SAFE_INTEGER,
      };
      await natsEventBus<Rich>(await open(), { prefix: on }).publish(event);
      await expect(got).resolves.toEqual([event]);
      await receiver.close();
    });

    it('uses the codec given on both sides (here one that revives Dates)', async () => {
      type Dated = { Due: { at: Date } };
      const dates: NatsCodec = {
        encode: (value) => encode(JSON.stringify(value, (_k, v: unknown) => v)),
        decode: (bytes) =>
          JSON.parse(new TextDecoder().decode(bytes), (key, v: unknown) =>
            key === 'at' && typeof v === 'string' ? new Date(v) : v,
          ) as unknown,
      };
      const on = prefix();
      const receiver = natsEventBus<Dated>(await open(), { prefix: on, codec: dates });
      const got = first(receiver.on('Due'), 1);
      await receiver.flush();
      const at = new Date('2026-12-02T03:00:00.000Z');
      await natsEventBus<Dated>(await open(), { prefix: on, codec: dates }).publish({ type: 'Due', at });
      const [due] = await got;
      expect(due?.at).toBeInstanceOf(Date);
      expect(due?.at.getTime()).toBe(at.getTime());
      await receiver.close();
    });

    it('rejects an event the codec cannot encode with the codec’s error, and non-bytes with a TypeError naming codec.encode', async () => {
      const on = prefix();
      const publisher = await bus(on);
      await expect(
        publisher.publish({ type: 'PriceTicked', price: 1n as unknown as number }),
      ).rejects.toThrow(TypeError);
      const odd = await bus(on, { codec: { encode: () => 'text' as never, decode: jsonCodec.decode } });
      await expect(odd.publish({ type: 'PriceTicked', price: 1 })).rejects.toThrow(/codec\.encode/);
    });
  });

  describe('hostile payloads', () => {
    it('are refused on errors$ as NatsPayloadError with their bytes, one by one; the bus goes on', async () => {
      const on = prefix();
      const receiver = await bus(on);
      const errors: unknown[] = [];
      receiver.errors$.subscribe((error) => errors.push(error));
      const seen: unknown[] = [];
      receiver.events$.subscribe((event) => seen.push(event));
      await receiver.flush();
      const raw = await open();
      const subject = `${on}.OrderPlaced`;
      const hostile: [string, Uint8Array][] = [
        ['not JSON', encode('{not json')],
        ['not UTF-8', new Uint8Array([0xff, 0xfe, 0xfd])],
        ['empty', new Uint8Array(0)],
        ['a number', encode('42')],
        ['null', encode('null')],
        ['an array', encode('[{"type":"OrderPlaced"}]')],
        ['no type', encode('{"orderId":"x"}')],
        ['a numeric type', encode('{"type":1}')],
        ['another subject’s type', encode('{"type":"OrderShipped","orderId":"x"}')],
        ['deep nesting', encode('['.repeat(20_000) + ']'.repeat(20_000))],
      ];
      for (const [, bytes] of hostile) raw.publish(subject, bytes);
      // Data only: an own "__proto__" key is a plain property, it changes no prototype.
      raw.publish(
        subject,
        encode('{"type":"OrderPlaced","orderId":"p","total":1,"__proto__":{"polluted":true}}'),
      );
      raw.publish(subject, encode(JSON.stringify(placed('ok'))));
      await until(() => seen.length >= 2);
      expect(errors).toHaveLength(hostile.length);
      errors.forEach((error, i) => {
        expect(error).toBeInstanceOf(NatsPayloadError);
        expect((error as NatsPayloadError).message).toContain(subject);
        expect((error as NatsPayloadError).payload).toEqual(hostile[i]?.[1]);
      });
      expect(seen[1]).toEqual(placed('ok'));
      expect(Object.getPrototypeOf(seen[0])).toBe(Object.prototype);
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    });

    it('refuses a decoded value whose type cannot be read, and what the guard refuses or throws on', async () => {
      const on = prefix();
      let calls = 0;
      const proxyCodec: NatsCodec = {
        encode: jsonCodec.encode,
        decode: (bytes) =>
          new TextDecoder().decode(bytes) === '"proxy"' ? trapAllProxy() : jsonCodec.decode(bytes),
      };
      const receiver = await bus(on, {
        codec: proxyCodec,
        guard: (event) => {
          calls++;
          if ((event as { orderId?: unknown }).orderId === 'boom') throw new Error('guard broke');
          return (event as { total?: unknown }).total !== 0;
        },
      });
      const errors: NatsPayloadError[] = [];
      receiver.errors$.subscribe((error) => errors.push(error as NatsPayloadError));
      const seen: unknown[] = [];
      receiver.on('OrderPlaced').subscribe((event) => seen.push(event));
      await receiver.flush();
      const raw = await open();
      raw.publish(`${on}.OrderPlaced`, encode('"proxy"'));
      raw.publish(`${on}.OrderPlaced`, encode(JSON.stringify(placed('free', 0))));
      raw.publish(`${on}.OrderPlaced`, encode(JSON.stringify(placed('boom'))));
      raw.publish(`${on}.OrderPlaced`, encode(JSON.stringify(placed('ok'))));
      await until(() => seen.length >= 1);
      expect(seen).toEqual([placed('ok')]);
      expect(errors.map((e) => e.message.replace(/^.*": /, ''))).toEqual([
        expect.stringMatching(/^its type could not be read/),
        'the guard refused it',
        'the guard threw: Error: guard broke',
      ]);
      expect(calls).toBe(3);
    });

    it('are logged while nobody subscribes to errors$', async () => {
      const on = prefix();
      const logger = recordingLogger();
      const receiver = await bus(on, { logger });
      const seen = first(receiver.events$, 1);
      await receiver.flush();
      const raw = await open();
      raw.publish(`${on}.OrderPlaced`, encode('{oops'));
      raw.publish(`${on}.OrderPlaced`, encode(JSON.stringify(placed('ok'))));
      await seen;
      expect(logger.errors).toEqual([
        ['spark-channel/nats: an event was refused', expect.any(NatsPayloadError)],
      ]);
    });
  });

  describe('close()', () => {
    it('completes every stream, drains, and makes a later publish reject with SEND_FAILED', async () => {
      const on = prefix();
      const receiver = await bus(on);
      const ended = { on: false, events: false, errors: false };
      receiver.on('OrderPlaced').subscribe({ complete: () => (ended.on = true) });
      receiver.events$.subscribe({ complete: () => (ended.events = true) });
      receiver.errors$.subscribe({ complete: () => (ended.errors = true) });
      const seen: unknown[] = [];
      receiver.events$.subscribe((event) => seen.push(event));
      await receiver.flush();

      const closing = receiver.close();
      expect(receiver.close()).toBe(closing);
      expect(ended).toEqual({ on: true, events: true, errors: true });
      await closing;

      await expect(receiver.publish(placed('late'))).rejects.toMatchObject({
        name: 'SparkChannelError',
        code: 'SEND_FAILED',
      });
      expect(() => receiver.tryPublish(placed('late'))).toThrow(
        expect.objectContaining({ code: 'SEND_FAILED' }),
      );
      const complete = deferred();
      receiver.on('OrderPlaced').subscribe({ complete: () => complete.resolve() });
      await complete.promise; // at once
      const handle = receiver.subscribe('OrderPlaced', recorder<unknown>().dispatcher);
      handle.unsubscribe();
      // the subscription is gone: another bus's events no longer reach it
      const publisher = await bus(on);
      await publisher.publish(placed('after'));
      await publisher.flush();
      await sleep(50);
      expect(seen).toEqual([]);
    });

    it('closes a bus that never subscribed, and leaves the connection open', async () => {
      const nc = await open();
      const idle = natsEventBus<ShopEvents>(nc, { prefix: prefix() });
      await idle.close();
      expect(nc.isClosed()).toBe(false);
    });
  });

  describe('bad input', () => {
    it('publish refuses a bad event with a TypeError, a type that is no subject token with a RangeError', async () => {
      const publisher = await bus(prefix());
      await expect(publisher.publish(null as never)).rejects.toThrow(/`event`/);
      await expect(publisher.publish({ type: 7 } as never)).rejects.toThrow(/`event.type`/);
      for (const type of ['', 'a b', 'a.*', '>', 'a..b', 'a.', '.a', 'tab\t']) {
        await expect(publisher.publish({ type } as never)).rejects.toThrow(RangeError);
      }
      const revoked = Proxy.revocable({}, {});
      revoked.revoke();
      await expect(publisher.publish(revoked.proxy as never)).rejects.toThrow(TypeError);
    });

    it('a closed or draining connection refuses publish and flush with SEND_FAILED, on() with RECEIVE_FAILED', async () => {
      const nc = await open();
      const publisher = natsEventBus<ShopEvents>(nc, { prefix: prefix() });
      await nc.close();
      await expect(publisher.publish(placed('x'))).rejects.toMatchObject({ code: 'SEND_FAILED' });
      await expect(publisher.flush()).rejects.toMatchObject({ code: 'SEND_FAILED' });
      await expect(firstValueFrom(publisher.on('OrderPlaced'))).rejects.toMatchObject({
        code: 'RECEIVE_FAILED',
      });
      expect(() => publisher.subscribe('OrderPlaced', recorder<unknown>().dispatcher)).toThrow(
        expect.objectContaining({ code: 'RECEIVE_FAILED' }),
      );
      await publisher.close();
    });

    it('refuses bad options with a TypeError or RangeError naming them', async () => {
      const nc = await open();
      const cases: [unknown, RegExp][] = [
        [undefined, /`options`/],
        [{}, /`prefix`/],
        [{ prefix: 3 }, /`prefix`/],
        [{ prefix: 'a b' }, /`prefix`/],
        [{ prefix: 'a.>' }, /`prefix`/],
        [{ prefix: 'a', queue: 3 }, /`queue`/],
        [{ prefix: 'a', queue: 'a b' }, /`queue`/],
        [{ prefix: 'a', codec: {} }, /`codec`/],
        [{ prefix: 'a', guard: 'yes' }, /`guard`/],
        [{ prefix: 'a', logger: {} }, /`logger`/],
        [{ prefix: 'a', replay: -1 }, /`replay`/],
      ];
      for (const [options, message] of cases) {
        expect(() => natsEventBus(nc, options as never)).toThrow(message);
      }
      expect(() => natsEventBus(null as never, { prefix: 'a' })).toThrow(/`connection`/);
      expect(() => natsEventBus({} as never, { prefix: 'a' })).toThrow(/`connection`/);
      const bad = natsEventBus<ShopEvents>(nc, { prefix: 'a' });
      expect(() => bad.on(3 as never)).toThrow(TypeError);
      expect(() => bad.subscribe('OrderPlaced', {} as never)).toThrow(/`dispatcher`/);
      await bad.close();
    });
  });
});
