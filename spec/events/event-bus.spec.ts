// The delivery rules of docs/events.md (API.md §8), one describe per rule.
import { config, map, toArray } from 'rxjs';

import {
  createEventBus,
  createRouter,
  type EventOf,
  SparkChannelError,
  spawnTypedModule,
} from '../../lib/index.js';
import { portOf } from '../../lib/internal/channel/channel-port.js';
import { RESOLVED } from '../../lib/internal/reply.js';
import { quiet, recorder, settle, type ShopEvents } from './support.js';

type Ev = EventOf<ShopEvents>;
const placed = (orderId: string, total = 1): EventOf<ShopEvents, 'OrderPlaced'> => ({
  type: 'OrderPlaced',
  orderId,
  total,
});
const ids = (events: readonly unknown[]): string[] => events.map((e) => (e as { orderId: string }).orderId);

let unhandled: unknown[];
beforeEach(() => {
  unhandled = [];
  config.onUnhandledError = (error) => unhandled.push(error);
});
afterEach(() => {
  config.onUnhandledError = null;
});

describe('order', () => {
  it('every observer and module sees its events in publish order', async () => {
    const bus = createEventBus<ShopEvents>();
    const a: Ev[] = [];
    const b: Ev[] = [];
    bus.on('OrderPlaced').subscribe((e) => a.push(e));
    bus.events$.subscribe((e) => b.push(e));
    const m = recorder<Ev>();
    bus.subscribe('OrderPlaced', m.dispatcher);
    for (const id of ['1', '2', '3']) await bus.publish(placed(id));
    expect(ids(a)).toEqual(['1', '2', '3']);
    expect(ids(b)).toEqual(['1', '2', '3']);
    expect(ids(m.seen)).toEqual(['1', '2', '3']);
  });

  it('a publish made from inside a subscriber is delivered after the event being delivered, to everyone', async () => {
    const bus = createEventBus<ShopEvents>();
    const first: string[] = [];
    const second: string[] = [];
    bus.on('OrderPlaced').subscribe((e) => {
      first.push(e.orderId);
      if (e.orderId === '1') void bus.publish(placed('2'));
    });
    bus.on('OrderPlaced').subscribe((e) => second.push(e.orderId));
    const m = recorder<Ev>();
    bus.subscribe('OrderPlaced', m.dispatcher);
    bus.tryPublish(placed('1'));
    expect(first).toEqual(['1', '2']);
    expect(second).toEqual(['1', '2']); // not ['2', '1'], as a re-entrant Subject.next would give
    await settle();
    expect(ids(m.seen)).toEqual(['1', '2']);
  });

  it('a module handler that publishes while it handles one event queues the new one behind it', async () => {
    const bus = createEventBus<ShopEvents>();
    const after = recorder<Ev>();
    const { dispatcher } = spawnTypedModule(
      createRouter<{ Ship: { command: { orderId: string } } }>({
        Ship: {
          command: (c) => {
            void bus.publish({ type: 'OrderShipped', orderId: c.orderId });
          },
        },
      }),
      { logger: quiet },
    );
    bus.subscribe('OrderPlaced', dispatcher, (e) => ({ type: 'Ship' as const, orderId: e.orderId }));
    bus.subscribe(['OrderPlaced', 'OrderShipped'], after.dispatcher);
    await bus.publish(placed('1'));
    await settle();
    expect(after.seen.map((e) => e.type)).toEqual(['OrderPlaced', 'OrderShipped']);
  });

  it('later publishes queue behind one waiting for room and never overtake it', async () => {
    const bus = createEventBus<ShopEvents>();
    const slow = recorder<Ev>(1);
    const fast = recorder<Ev>();
    bus.subscribe('OrderPlaced', slow.dispatcher);
    bus.subscribe('OrderPlaced', fast.dispatcher);
    slow.hold();
    const done: string[] = [];
    const publishes = ['1', '2', '3', '4'].map((id) => bus.publish(placed(id)).then(() => done.push(id)));
    await settle();
    expect(done).toEqual(['1', '2']); // 1 started, 2 queued; 3 and 4 wait for room
    slow.release();
    await Promise.all(publishes);
    expect(done).toEqual(['1', '2', '3', '4']);
    expect(ids(slow.seen)).toEqual(['1', '2', '3', '4']);
    expect(ids(fast.seen)).toEqual(['1', '2', '3', '4']);
  });
});

describe('fan-out', () => {
  it('each event reaches every subscriber present when it was published, exactly once', async () => {
    const bus = createEventBus<ShopEvents>();
    const early: Ev[] = [];
    const m1 = recorder<Ev>();
    bus.on('OrderPlaced').subscribe((e) => early.push(e));
    bus.subscribe('OrderPlaced', m1.dispatcher);
    await bus.publish(placed('1'));
    const late: Ev[] = [];
    const m2 = recorder<Ev>();
    bus.on('OrderPlaced').subscribe((e) => late.push(e));
    const handle = bus.subscribe('OrderPlaced', m2.dispatcher);
    await bus.publish(placed('2'));
    handle.unsubscribe();
    handle.unsubscribe(); // idempotent
    await bus.publish(placed('3'));
    await settle();
    expect(ids(early)).toEqual(['1', '2', '3']);
    expect(ids(m1.seen)).toEqual(['1', '2', '3']);
    expect(ids(late)).toEqual(['2', '3']);
    expect(ids(m2.seen)).toEqual(['2']);
  });

  it('on(type) gets only its types, on([...]) several, events$ all; the module gets toCommand(event)', async () => {
    const bus = createEventBus<ShopEvents>();
    const placedOnly: string[] = [];
    const both: string[] = [];
    const all: string[] = [];
    bus.on('OrderPlaced').subscribe((e) => placedOnly.push(e.type));
    bus.on(['OrderPlaced', 'OrderShipped', 'OrderPlaced']).subscribe((e) => both.push(e.type));
    bus.events$.subscribe((e) => all.push(e.type));
    const m = recorder<string>();
    bus.subscribe(['OrderShipped', 'PriceTicked'], m.dispatcher, (e) => `cmd:${e.type}`);
    await bus.publish(placed('1'));
    await bus.publish({ type: 'OrderShipped', orderId: '1' });
    await bus.publish({ type: 'PriceTicked', price: 3 });
    expect(placedOnly).toEqual(['OrderPlaced']);
    expect(both).toEqual(['OrderPlaced', 'OrderShipped']);
    expect(all).toEqual(['OrderPlaced', 'OrderShipped', 'PriceTicked']);
    expect(m.seen).toEqual(['cmd:OrderShipped', 'cmd:PriceTicked']);
  });

  it('a plain { sendCommand } object is a subscriber too, waited for', async () => {
    const bus = createEventBus<ShopEvents>();
    const got: string[] = [];
    let accept!: () => void;
    const sink = {
      sendCommand(c: string): Promise<void> {
        got.push(c);
        return new Promise<void>((resolve) => (accept = resolve));
      },
    };
    bus.subscribe('OrderPlaced', sink, (e) => e.orderId);
    let resolved = false;
    const p = bus.publish(placed('1')).then(() => (resolved = true));
    await settle();
    expect(resolved).toBe(false);
    accept();
    await p;
    expect(got).toEqual(['1']);
  });

  it('a typed dispatcher from spawnTypedModule is unwrapped: drop policies work with it', async () => {
    const bus = createEventBus<ShopEvents>();
    const seen: string[] = [];
    const { dispatcher } = spawnTypedModule(
      createRouter<{ Reserve: { command: { orderId: string } } }>({
        Reserve: { command: (c) => void seen.push(c.orderId) },
      }),
      { logger: quiet },
    );
    bus.subscribe('OrderPlaced', dispatcher, (e) => ({ type: 'Reserve' as const, orderId: e.orderId }), {
      overflow: 'drop-newest',
    });
    await bus.publish(placed('7'));
    expect(seen).toEqual(['7']);
  });
});

describe('backpressure', () => {
  it("'wait' (the default): publish waits for room; nothing is dropped", async () => {
    const bus = createEventBus<ShopEvents>();
    const m = recorder<Ev>(1);
    bus.subscribe('OrderPlaced', m.dispatcher);
    m.hold();
    expect(bus.publish(placed('1'))).toBe(RESOLVED); // started at once
    expect(bus.publish(placed('2'))).toBe(RESOLVED); // queued: the channel is now full
    let third = false;
    const p = bus.publish(placed('3')).then(() => (third = true));
    await settle();
    expect(third).toBe(false);
    m.release();
    await p;
    await settle();
    expect(ids(m.seen)).toEqual(['1', '2', '3']);
    expect(m.dead).toEqual([]);
  });

  it("'drop-newest' drops the new event for that subscriber, as a dropped dead letter; publish does not wait", async () => {
    const bus = createEventBus<ShopEvents>();
    const m = recorder<Ev>(1);
    const other = recorder<Ev>();
    bus.subscribe('OrderPlaced', m.dispatcher, undefined, { overflow: 'drop-newest' });
    bus.subscribe('OrderPlaced', other.dispatcher);
    m.hold();
    for (const id of ['1', '2', '3']) expect(bus.publish(placed(id))).toBe(RESOLVED);
    m.release();
    await settle();
    expect(ids(m.seen)).toEqual(['1', '2']);
    expect(ids(other.seen)).toEqual(['1', '2', '3']);
    expect(m.dead).toEqual([
      expect.objectContaining({ reason: 'dropped', kind: 'command', message: placed('3') }),
    ]);
    expect(m.dead[0]?.error).toEqual(expect.objectContaining({ code: 'CHANNEL_FULL' }));
  });

  it("'drop-oldest' drops that subscriber's oldest queued event, as a dropped dead letter", async () => {
    const bus = createEventBus<ShopEvents>();
    const m = recorder<Ev>(2);
    bus.subscribe('OrderPlaced', m.dispatcher, undefined, { overflow: 'drop-oldest' });
    m.hold();
    for (const id of ['1', '2', '3', '4', '5']) expect(bus.publish(placed(id))).toBe(RESOLVED);
    expect(m.server.stats().queued).toBe(2);
    m.release();
    await settle();
    expect(ids(m.seen)).toEqual(['1', '4', '5']); // 1 was running; 2 and 3 made room for 4 and 5
    expect(m.dead.map((d) => [d.reason, (d.message as { orderId: string }).orderId])).toEqual([
      ['dropped', '2'],
      ['dropped', '3'],
    ]);
    expect(m.dead[0]?.error).toEqual(expect.objectContaining({ code: 'CHANNEL_FULL' }));
  });

  it("'drop-oldest' never drops another sender's command: with none of its own queued it drops the new one", async () => {
    const bus = createEventBus<ShopEvents>();
    const m = recorder<unknown>(1);
    bus.subscribe('OrderPlaced', m.dispatcher, undefined, { overflow: 'drop-oldest' });
    m.hold();
    await bus.publish(placed('1')); // running
    await m.dispatcher.sendCommand('direct'); // queued: full
    await bus.publish(placed('2'));
    m.release();
    await settle();
    expect(m.seen).toEqual([placed('1'), 'direct']);
    expect(m.dead).toEqual([expect.objectContaining({ reason: 'dropped', message: placed('2') })]);
  });

  it('drop policies also drop while other senders wait for room (the slot is theirs)', async () => {
    const bus = createEventBus<ShopEvents>();
    const m = recorder<unknown>(1);
    bus.subscribe('OrderPlaced', m.dispatcher, undefined, { overflow: 'drop-oldest' });
    m.hold();
    await bus.publish(placed('1')); // running
    await bus.publish(placed('2')); // queued: full
    const waiting = m.dispatcher.sendCommand('direct'); // waits for room
    await bus.publish(placed('3'));
    m.release();
    await waiting;
    await settle();
    expect(m.seen).toEqual([placed('1'), placed('2'), 'direct']);
    expect(m.dead).toEqual([expect.objectContaining({ reason: 'dropped', message: placed('3') })]);
  });

  it('a drop policy on a rate-limited dispatcher drops what the limit refuses (a refused dead letter)', async () => {
    const bus = createEventBus<ShopEvents>();
    const { dispatcher, server } = (await import('../../lib/index.js')).spawnModule<Ev, never>(
      { handleRequest: () => undefined as never, handleCommand: () => undefined },
      { logger: quiet, rateLimit: { limit: 1, intervalMs: 60_000 } },
    );
    const dead: unknown[] = [];
    server.deadLetters$.subscribe((d) => dead.push(d));
    bus.subscribe('OrderPlaced', dispatcher, undefined, { overflow: 'drop-newest' });
    await bus.publish(placed('1'));
    await bus.publish(placed('2'));
    expect(dead).toEqual([expect.objectContaining({ reason: 'refused', message: placed('2') })]);
    server.stop();
  });
});

describe('tryPublish', () => {
  it('throws CHANNEL_FULL naming every waiting subscriber without room, and delivers to nobody', async () => {
    const bus = createEventBus<ShopEvents>();
    const full1 = recorder<Ev>(1);
    const roomy = recorder<Ev>();
    const full3 = recorder<Ev>(1);
    const dropper = recorder<Ev>(1);
    const seen: Ev[] = [];
    bus.on('OrderPlaced').subscribe((e) => seen.push(e));
    bus.subscribe('OrderPlaced', full1.dispatcher);
    bus.subscribe('OrderPlaced', roomy.dispatcher);
    bus.subscribe('OrderPlaced', full3.dispatcher);
    bus.subscribe('OrderPlaced', dropper.dispatcher, undefined, { overflow: 'drop-newest' });
    for (const m of [full1, full3, dropper]) m.hold();
    bus.tryPublish(placed('1')); // started everywhere
    bus.tryPublish(placed('2')); // queued: full1, full3 and dropper are now full
    let error: unknown;
    try {
      bus.tryPublish(placed('3'));
    } catch (thrown: unknown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(SparkChannelError);
    expect(error).toEqual(expect.objectContaining({ code: 'CHANNEL_FULL' }));
    const message = (error as Error).message;
    expect(message).toContain('subscriber #1 (1 of 1 slots taken)');
    expect(message).toContain('subscriber #3');
    expect(message).not.toContain('#2');
    expect(message).not.toContain('#4');
    expect(ids(seen)).toEqual(['1', '2']);
    await settle();
    expect(ids(roomy.seen)).toEqual(['1', '2']);
    expect(dropper.dead).toEqual([]);
  });

  it('never waits: with room everywhere it delivers synchronously', () => {
    const bus = createEventBus<ShopEvents>();
    const m = recorder<Ev>(1);
    bus.subscribe('OrderPlaced', m.dispatcher);
    bus.tryPublish(placed('1'));
    expect(ids(m.seen)).toEqual(['1']);
  });

  it('from inside a subscriber, it is delivered after the current event (as publish would be)', async () => {
    const bus = createEventBus<ShopEvents>();
    const m = recorder<Ev>(1);
    bus.subscribe('OrderPlaced', m.dispatcher);
    bus.on('OrderPlaced').subscribe((e) => {
      if (e.orderId === '1') bus.tryPublish(placed('2'));
    });
    m.hold();
    bus.tryPublish(placed('1'));
    m.release();
    await settle();
    expect(ids(m.seen)).toEqual(['1', '2']);
  });

  it('a rate limit refusal costs that subscriber the event (a refused dead letter), not the others', async () => {
    const { spawnModule } = await import('../../lib/index.js');
    const bus = createEventBus<ShopEvents>();
    const { dispatcher, server } = spawnModule<Ev, never>(
      { handleRequest: () => undefined as never, handleCommand: () => undefined },
      { logger: quiet, rateLimit: { limit: 1, intervalMs: 60_000 } },
    );
    const dead: unknown[] = [];
    server.deadLetters$.subscribe((d) => dead.push(d));
    const other = recorder<Ev>();
    bus.subscribe('OrderPlaced', dispatcher);
    bus.subscribe('OrderPlaced', other.dispatcher);
    bus.tryPublish(placed('1'));
    bus.tryPublish(placed('2'));
    expect(dead).toEqual([expect.objectContaining({ reason: 'refused', message: placed('2') })]);
    await settle();
    expect(ids(other.seen)).toEqual(['1', '2']);
    server.stop();
  });
});

describe('a subscriber module that stops', () => {
  it('is removed from the bus, with a dead letter for what it missed, and publish never hangs on it', async () => {
    const bus = createEventBus<ShopEvents>();
    const m = recorder<Ev>(1);
    const other = recorder<Ev>();
    bus.subscribe('OrderPlaced', m.dispatcher);
    bus.subscribe('OrderPlaced', other.dispatcher);
    m.hold();
    await bus.publish(placed('1')); // running
    await bus.publish(placed('2')); // queued
    const third = bus.publish(placed('3')); // waits for room
    m.server.stop();
    await third; // resolves: the stopped module is no reason to fail or hang
    expect(bus.publish(placed('4'))).toBe(RESOLVED); // nobody left to wait for
    await settle();
    expect(ids(m.seen)).toEqual(['1']);
    expect(m.dead.map((d) => [d.reason, (d.message as { orderId: string }).orderId])).toEqual([
      ['dropped', '2'],
      ['refused', '3'],
    ]);
    expect(ids(other.seen)).toEqual(['1', '2', '3', '4']);
  });

  it('a module shut down (closed, still draining) is refused and removed', async () => {
    const bus = createEventBus<ShopEvents>();
    const m = recorder<Ev>();
    bus.subscribe('OrderPlaced', m.dispatcher);
    m.hold();
    await bus.publish(placed('1'));
    const shutdown = m.dispatcher.shutdown();
    await bus.publish(placed('2'));
    await bus.publish(placed('3'));
    m.release();
    await shutdown;
    expect(ids(m.seen)).toEqual(['1']);
    expect(m.dead).toEqual([expect.objectContaining({ reason: 'refused', message: placed('2') })]);
  });

  it("every subscription on a stopped module leaves; a bus listens for a channel's stop once, however often it resubscribes", async () => {
    const bus = createEventBus<ShopEvents>();
    const m = recorder<Ev>();
    const onStop = jest.spyOn(portOf(m.dispatcher.sender), 'onStop');
    for (let i = 0; i < 50; i++) bus.subscribe('OrderPlaced', m.dispatcher).unsubscribe();
    bus.subscribe('OrderPlaced', m.dispatcher);
    bus.subscribe(['OrderPlaced', 'OrderShipped'], m.dispatcher);
    expect(onStop).toHaveBeenCalledTimes(1);
    m.server.stop();
    await bus.publish(placed('1'));
    await bus.publish({ type: 'OrderShipped', orderId: '1' });
    expect(m.dead).toEqual([]); // nothing was even offered to it
    // Subscribed again after its stop: refused at its next event (a dead letter), then gone.
    bus.subscribe('OrderPlaced', m.dispatcher);
    await bus.publish(placed('2'));
    await bus.publish(placed('3'));
    expect(m.dead).toEqual([expect.objectContaining({ reason: 'refused', message: placed('2') })]);
  });

  it('a module already stopped when subscribed is never delivered to', async () => {
    const bus = createEventBus<ShopEvents>();
    const m = recorder<Ev>();
    m.server.stop();
    bus.subscribe('OrderPlaced', m.dispatcher);
    expect(bus.publish(placed('1'))).toBe(RESOLVED);
    expect(() => bus.tryPublish(placed('2'))).not.toThrow();
    expect(m.seen).toEqual([]);
  });
});

describe('publish resolves on acceptance, not on handling', () => {
  it('resolves (synchronously, the shared resolved promise) while the handler still runs', async () => {
    const bus = createEventBus<ShopEvents>();
    const m = recorder<Ev>();
    bus.subscribe('OrderPlaced', m.dispatcher);
    m.hold();
    const p = bus.publish(placed('1'));
    expect(p).toBe(RESOLVED);
    await p;
    expect(m.server.stats().running).toBe(1);
    m.release();
  });

  it('without module subscribers it resolves at once', () => {
    const bus = createEventBus<ShopEvents>();
    expect(bus.publish(placed('1'))).toBe(RESOLVED);
  });
});

describe('close', () => {
  it('completes every stream; later publish rejects and tryPublish throws SEND_FAILED', async () => {
    const bus = createEventBus<ShopEvents>();
    const one = bus.on('OrderPlaced').pipe(toArray());
    const many = bus.on(['OrderPlaced', 'OrderShipped']).pipe(toArray());
    const all = bus.events$.pipe(toArray());
    const results = Promise.all([one, many, all].map((s) => new Promise((r) => s.subscribe(r))));
    await bus.publish(placed('1'));
    bus.close();
    bus.close(); // idempotent
    expect(await results).toEqual([[placed('1')], [placed('1')], [placed('1')]]);
    await expect(bus.publish(placed('2'))).rejects.toEqual(expect.objectContaining({ code: 'SEND_FAILED' }));
    expect(() => bus.tryPublish(placed('2'))).toThrow(expect.objectContaining({ code: 'SEND_FAILED' }));
  });

  it('after close, on() and events$ complete at once and subscribe returns a handle that does nothing', () => {
    const bus = createEventBus<ShopEvents>({ replay: 1 });
    void bus.publish(placed('1'));
    bus.close();
    const got: unknown[] = [];
    let completed = 0;
    bus.on('OrderPlaced').subscribe({ next: (e) => got.push(e), complete: () => completed++ });
    bus.events$.subscribe({ next: (e) => got.push(e), complete: () => completed++ });
    expect(got).toEqual([]);
    expect(completed).toBe(2);
    const m = recorder<Ev>();
    const handle = bus.subscribe('OrderPlaced', m.dispatcher);
    expect(() => handle.unsubscribe()).not.toThrow();
  });

  it('publishes queued by subscribers when the bus closes are rejected, not delivered', async () => {
    const bus = createEventBus<ShopEvents>();
    const seen: string[] = [];
    let inner: Promise<void> | undefined;
    bus.on('OrderPlaced').subscribe((e) => {
      seen.push(e.orderId);
      if (e.orderId === '1') {
        inner = bus.publish(placed('2'));
        bus.close();
      }
    });
    await bus.publish(placed('1'));
    await expect(inner).rejects.toEqual(expect.objectContaining({ code: 'SEND_FAILED' }));
    expect(seen).toEqual(['1']);
  });

  it('commands already handed to a module stay with it', async () => {
    const bus = createEventBus<ShopEvents>();
    const m = recorder<Ev>(1);
    bus.subscribe('OrderPlaced', m.dispatcher);
    m.hold();
    await bus.publish(placed('1'));
    await bus.publish(placed('2'));
    const waiting = bus.publish(placed('3'));
    bus.close();
    m.release();
    await waiting;
    await settle();
    expect(ids(m.seen)).toEqual(['1', '2', '3']);
  });
});

describe('isolation', () => {
  it('an observer that throws does not stop the bus or other subscribers; RxJS reports it', async () => {
    const bus = createEventBus<ShopEvents>();
    const seen: string[] = [];
    bus.on('OrderPlaced').subscribe(() => {
      throw new Error('observer bug');
    });
    bus.events$.subscribe(() => {
      throw new Error('observer bug 2');
    });
    bus.on('OrderPlaced').subscribe((e) => seen.push(e.orderId));
    const m = recorder<Ev>();
    bus.subscribe('OrderPlaced', m.dispatcher);
    await bus.publish(placed('1'));
    await bus.publish(placed('2'));
    await settle();
    expect(seen).toEqual(['1', '2']);
    expect(ids(m.seen)).toEqual(['1', '2']);
    expect(unhandled).toHaveLength(4);
  });

  it('a toCommand that throws costs that subscriber that event only; publish resolves; RxJS reports it', async () => {
    const bus = createEventBus<ShopEvents>();
    const bad = recorder<string>();
    const good = recorder<Ev>();
    const boom = new Error('toCommand bug');
    bus.subscribe('OrderPlaced', bad.dispatcher, (e) => {
      if (e.orderId === '1') throw boom;
      return e.orderId;
    });
    bus.subscribe('OrderPlaced', good.dispatcher);
    await expect(bus.publish(placed('1'))).resolves.toBeUndefined();
    await bus.publish(placed('2'));
    await settle();
    expect(bad.seen).toEqual(['2']);
    expect(ids(good.seen)).toEqual(['1', '2']);
    expect(unhandled).toEqual([boom]);
  });

  it("a failing module handler goes to that module's errors$, never to the publisher", async () => {
    const bus = createEventBus<ShopEvents>();
    const m = recorder<Ev>(Infinity, (e) => e.type === 'OrderPlaced' && e.orderId === '1');
    const errors: unknown[] = [];
    m.server.errors$.subscribe((e) => errors.push(e));
    bus.subscribe('OrderPlaced', m.dispatcher);
    await expect(bus.publish(placed('1'))).resolves.toBeUndefined();
    await bus.publish(placed('2'));
    await settle();
    expect(errors).toHaveLength(1);
    expect(ids(m.seen)).toEqual(['1', '2']);
  });

  it('a plain sink that throws or rejects is reported; the publisher and the others are not affected', async () => {
    const bus = createEventBus<ShopEvents>();
    const thrown = new Error('sink threw');
    const rejected = new Error('sink rejected');
    bus.subscribe('OrderPlaced', {
      sendCommand: (): Promise<void> => {
        throw thrown;
      },
    });
    bus.subscribe('OrderPlaced', { sendCommand: () => Promise.reject(rejected) });
    const good = recorder<Ev>();
    bus.subscribe('OrderPlaced', good.dispatcher);
    await expect(bus.publish(placed('1'))).resolves.toBeUndefined();
    await settle();
    expect(ids(good.seen)).toEqual(['1']);
    expect(unhandled).toEqual([thrown, rejected]);
  });
});

describe('replay', () => {
  it('with replay: n, a new on() subscriber first gets the last n events of its types, then live ones', async () => {
    const bus = createEventBus<ShopEvents>({ replay: 2 });
    for (const id of ['1', '2', '3']) await bus.publish(placed(id));
    await bus.publish({ type: 'OrderShipped', orderId: '1' });
    await bus.publish({ type: 'PriceTicked', price: 5 });
    const a: string[] = [];
    bus.on('OrderPlaced').subscribe((e) => a.push(e.orderId));
    const b: string[] = [];
    bus.on(['OrderShipped', 'OrderPlaced']).subscribe((e) => b.push(`${e.type}:${e.orderId}`));
    const all: string[] = [];
    bus.events$.pipe(map((e) => e.type)).subscribe((t) => all.push(t));
    expect(a).toEqual(['2', '3']);
    expect(b).toEqual(['OrderPlaced:2', 'OrderPlaced:3', 'OrderShipped:1']); // publish order
    expect(all).toEqual(['OrderPlaced', 'OrderPlaced', 'OrderShipped', 'PriceTicked']);
    await bus.publish(placed('4'));
    expect(a).toEqual(['2', '3', '4']);
  });

  it('is off by default: a late subscriber gets only live events', async () => {
    const bus = createEventBus<ShopEvents>();
    await bus.publish(placed('1'));
    const a: string[] = [];
    const b: string[] = [];
    bus.on('OrderPlaced').subscribe((e) => a.push(e.orderId));
    bus.events$.subscribe((e) => b.push(e.type));
    await bus.publish(placed('2'));
    expect(a).toEqual(['2']);
    expect(b).toEqual(['OrderPlaced']);
  });

  it('module subscribers are never replayed to', async () => {
    const bus = createEventBus<ShopEvents>({ replay: 5 });
    await bus.publish(placed('1'));
    const m = recorder<Ev>();
    bus.subscribe('OrderPlaced', m.dispatcher);
    await settle();
    expect(m.seen).toEqual([]);
  });
});

describe('bad input', () => {
  it('createEventBus: a RangeError naming replay, a TypeError naming options', () => {
    for (const replay of [-1, 1.5, NaN, Infinity, '2']) {
      expect(() => createEventBus({ replay: replay as number })).toThrow(
        new RangeError(
          `Expected \`replay\` to be a non-negative integer, got ${typeof replay === 'string' ? '"2"' : String(replay)}`,
        ),
      );
    }
    expect(() => createEventBus(5 as never)).toThrow(TypeError);
    const hostile = {
      get replay(): number {
        throw new Error('getter');
      },
    };
    expect(() => createEventBus(hostile)).toThrow(/`options` to be readable/);
  });

  it('publish rejects and tryPublish throws a TypeError naming the event, delivering nothing', async () => {
    const bus = createEventBus<ShopEvents>();
    const seen: unknown[] = [];
    bus.events$.subscribe((e) => seen.push(e));
    const hostile = {
      get type(): string {
        throw new Error('getter');
      },
    };
    for (const event of [null, 'OrderPlaced', { type: 1 }, {}, hostile]) {
      await expect(bus.publish(event as never)).rejects.toBeInstanceOf(TypeError);
      expect(() => bus.tryPublish(event as never)).toThrow(TypeError);
    }
    await expect(bus.publish(null as never)).rejects.toThrow(/`event`/);
    await expect(bus.publish({ type: 1 } as never)).rejects.toThrow(/`event.type`/);
    expect(seen).toEqual([]);
  });

  it('on: a TypeError naming type, a RangeError for no types', () => {
    const bus = createEventBus<ShopEvents>();
    expect(() => bus.on(5 as never)).toThrow(/`type`/);
    expect(() => bus.on(['OrderPlaced', 5] as never)).toThrow(TypeError);
    expect(() => bus.on([])).toThrow(RangeError);
  });

  it('subscribe: typed errors naming type, dispatcher, toCommand, options and overflow', () => {
    const bus = createEventBus<ShopEvents>();
    const m = recorder<Ev>();
    expect(() => bus.subscribe(null as never, m.dispatcher)).toThrow(/`type`/);
    expect(() => bus.subscribe('OrderPlaced', {} as never)).toThrow(/`dispatcher`/);
    expect(() => bus.subscribe('OrderPlaced', null as never)).toThrow(TypeError);
    expect(() => bus.subscribe('OrderPlaced', m.server as never)).toThrow(/`dispatcher`/);
    expect(() => bus.subscribe('OrderPlaced', m.dispatcher, 'x' as never)).toThrow(/`toCommand`/);
    expect(() => bus.subscribe('OrderPlaced', m.dispatcher, undefined, 7 as never)).toThrow(/`options`/);
    expect(() =>
      bus.subscribe('OrderPlaced', m.dispatcher, undefined, { overflow: 'drop-random' as never }),
    ).toThrow(RangeError);
    const sink = { sendCommand: (): Promise<void> => Promise.resolve() };
    expect(() => bus.subscribe('OrderPlaced', sink, undefined, { overflow: 'drop-oldest' })).toThrow(
      /`overflow` to be 'wait' for a plain/,
    );
    const hostile = {
      get sendCommand(): never {
        throw new Error('getter');
      },
    };
    expect(() => bus.subscribe('OrderPlaced', hostile)).toThrow(/`dispatcher` to be readable/);
  });
});

describe('edges', () => {
  it('a subscriber unsubscribed while an event is being delivered does not get it', async () => {
    const bus = createEventBus<ShopEvents>();
    const second = recorder<Ev>();
    const later: { handle?: { unsubscribe(): void } } = {};
    bus.subscribe('OrderPlaced', { sendCommand: () => (later.handle?.unsubscribe(), Promise.resolve()) });
    later.handle = bus.subscribe('OrderPlaced', second.dispatcher);
    await bus.publish(placed('1'));
    await settle();
    expect(second.seen).toEqual([]);
  });

  it('a subscriber that unsubscribes after the bus closed does nothing', () => {
    const bus = createEventBus<ShopEvents>();
    const m = recorder<Ev>();
    const handle = bus.subscribe(['OrderPlaced', 'OrderShipped'], m.dispatcher);
    bus.close();
    expect(() => handle.unsubscribe()).not.toThrow();
  });

  it('with several waiting subscribers, publish resolves once the last one has room', async () => {
    const bus = createEventBus<ShopEvents>();
    const a = recorder<Ev>(1);
    const b = recorder<Ev>(1);
    bus.subscribe('OrderPlaced', a.dispatcher);
    bus.subscribe('OrderPlaced', b.dispatcher);
    a.hold();
    b.hold();
    await bus.publish(placed('1'));
    await bus.publish(placed('2'));
    let resolved = false;
    const third = bus.publish(placed('3')).then(() => (resolved = true));
    a.release();
    await settle();
    expect(resolved).toBe(false);
    b.release();
    await third;
  });
});
