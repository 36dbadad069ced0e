import { VirtualAction, VirtualTimeScheduler } from 'rxjs';

import {
  createEventBus,
  createRouter,
  type MessageSettledEvent,
  type MessageStartedEvent,
  spawnModule,
  spawnTypedModule,
  supervise,
} from '../../lib/index.js';
import { createInspector, type Inspector, type InspectorSnapshot } from '../../lib/inspect/index.js';

/** A promise and the functions that settle it, for handlers a test releases by hand. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

const silent = { logger: { error: () => undefined } };
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The inspector's clock, moved by hand: `advance(ms)` runs its sampling up to that time. */
function virtualClock(): { scheduler: VirtualTimeScheduler; advance: (ms: number) => void } {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
  return {
    scheduler,
    advance(ms) {
      scheduler.maxFrames += ms;
      scheduler.flush();
      scheduler.frame = scheduler.maxFrames; // `now()` is where the clock was moved to
    },
  };
}

/** The reference: nearest-rank from the definition, over every sample. */
function nearestRank(samples: readonly number[], q: number): number | undefined {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted.find((v) => sorted.filter((x) => x <= v).length >= q * sorted.length);
}

let inspector: Inspector;
afterEach(() => inspector?.close());

describe('watch: what is recorded per message', () => {
  it('puts every message on the timeline, accepted → started → settled, with its outcome', async () => {
    inspector = createInspector();
    const slow = gate<number>();
    const module = spawnModule<{ type: string; n: number }, number>(
      {
        handleRequest: ({ n }) => {
          if (n === 2) throw new Error('two is bad');
          if (n === 3) return slow.promise;
          return n;
        },
        handleCommand: () => undefined,
      },
      silent,
    );
    inspector.watch('numbers', module);
    await module.dispatcher.request({ type: 'N', n: 1 });
    await module.dispatcher.request({ type: 'N', n: 2 }).catch(() => undefined);
    const timedOut = module.dispatcher
      .request({ type: 'N', n: 3 }, { timeoutMs: 5 })
      .catch((e: unknown) => e);
    const controller = new AbortController();
    const cancelled = module.dispatcher
      .request({ type: 'N', n: 4 }, { signal: controller.signal })
      .catch(() => 0);
    controller.abort(); // queued behind n: 3, given up on before it started
    await timedOut;
    slow.open(3);
    await cancelled;
    await module.dispatcher.sendCommand({ type: 'C', n: 5 });
    await tick();

    const { timeline, modules } = inspector.snapshot();
    expect(timeline.map((e) => [e.id, e.kind, e.outcome])).toEqual([
      [1, 'request', 'ok'],
      [2, 'request', 'error'],
      [3, 'request', 'timeout'],
      [4, 'request', 'cancelled'],
      [5, 'command', 'ok'],
    ]);
    const [ok, error, timeout, cancel] = timeline;
    expect(ok).toMatchObject({ module: 'numbers', serial: 1, message: '{"type":"N","n":1}' });
    expect(ok).not.toHaveProperty('error');
    for (const entry of [ok, error, timeout]) {
      expect(entry?.acceptedAt).toBeLessThanOrEqual(entry?.startedAt ?? NaN);
      expect(entry?.startedAt).toBeLessThanOrEqual(entry?.settledAt ?? NaN);
    }
    expect(error?.error).toBe('Error: two is bad');
    expect(timeout?.error).toMatch(/^SparkChannelError \[TIMEOUT\]/);
    expect(cancel).not.toHaveProperty('startedAt'); // it never started
    expect(cancel?.error).toMatch(/\[CANCELLED\]/);
    expect(modules[0]).toMatchObject({
      name: 'numbers',
      status: 'idle',
      stats: { queued: 0, running: 0, handled: 4, failed: 1 },
      outcomes: { ok: 2, error: 1, timeout: 1, cancelled: 1 },
      errors: 1,
      deadLetters: 1, // n: 3's answer came after its caller gave up: a late reply
    });
    module.server.stop();
  });

  it('takes queue wait and handling percentiles over the recent messages, as the events say', async () => {
    inspector = createInspector({ latencySamples: 50 });
    const module = spawnModule<number, number>({
      handleRequest: (n) => (n % 7 === 0 ? new Promise((resolve) => setTimeout(() => resolve(n), n % 3)) : n),
      handleCommand: () => undefined,
    });
    const queued: number[] = [];
    const handled: number[] = [];
    module.server.events$.subscribe((e) => {
      if (e.type === 'started' && e.queuedMs !== undefined)
        queued.push((e as MessageStartedEvent<number>).queuedMs ?? 0);
      if (e.type === 'settled' && e.handlingMs !== undefined)
        handled.push((e as MessageSettledEvent<number>).handlingMs ?? 0);
    });
    inspector.watch('numbers', module);
    await Promise.all(Array.from({ length: 120 }, (_, n) => module.dispatcher.request(n)));
    const [card] = inspector.snapshot().modules;
    const last50 = (samples: number[]): number[] => samples.slice(-50);
    expect(queued).toHaveLength(120);
    for (const [got, samples] of [
      [card?.queueWait, last50(queued)],
      [card?.handling, last50(handled)],
    ] as const) {
      expect(got).toEqual({
        count: 50,
        p50: nearestRank(samples, 0.5),
        p95: nearestRank(samples, 0.95),
        p99: nearestRank(samples, 0.99),
        max: Math.max(...samples),
      });
    }
    module.server.stop();
  });

  it('lists dead letters and handler errors, with their module, kind, reason and code', async () => {
    inspector = createInspector();
    const module = spawnModule<string, string>(
      {
        handleRequest: () => {
          throw new TypeError('no requests');
        },
        handleCommand: () => {
          throw Object.assign(new Error('bad command'), { code: 'E_BAD' });
        },
      },
      { ...silent, capacity: 1 },
    );
    inspector.watch('strict', module);
    await module.dispatcher.request('r').catch(() => undefined);
    await module.dispatcher.sendCommand('c');
    await tick();
    module.server.stop();
    await module.dispatcher.sendCommand('late').catch(() => undefined);
    const { errors, deadLetters } = inspector.snapshot();
    expect(errors).toEqual([
      expect.objectContaining({
        module: 'strict',
        kind: 'request',
        code: 'TypeError',
        message: '"r"',
        error: 'TypeError: no requests',
      }),
      expect.objectContaining({
        module: 'strict',
        kind: 'command',
        code: 'E_BAD',
        error: 'Error [E_BAD]: bad command',
      }),
    ]);
    expect(deadLetters).toEqual([
      expect.objectContaining({
        module: 'strict',
        reason: 'refused',
        kind: 'command',
        code: 'SEND_FAILED',
        message: '"late"',
      }),
    ]);
    expect(deadLetters[0]?.seq).toBeGreaterThan(errors[1]?.seq ?? Infinity);
  });

  it('counts the restarts of a supervised module', async () => {
    inspector = createInspector();
    let built = 0;
    const module = spawnModule(
      supervise(
        () => {
          built++;
          return {
            handleRequest: (n: number) => {
              if (n < 0) throw new RangeError('fatal');
              return n;
            },
            handleCommand: () => undefined,
          };
        },
        { maxRestarts: 5, withinMs: 60_000, isFatal: (e) => e instanceof RangeError },
      ),
      silent,
    );
    inspector.watch('supervised', module);
    await module.dispatcher.request(-1).catch(() => undefined);
    await module.dispatcher.request(1);
    expect(built).toBe(2);
    expect(inspector.snapshot().modules[0]?.restarts).toBe(1);
    module.server.stop();
  });
});

describe('bounds', () => {
  it('keeps the newest `timelineSize` messages per module', async () => {
    inspector = createInspector({ timelineSize: 10 });
    const module = spawnModule<number, number>({ handleRequest: (n) => n, handleCommand: () => undefined });
    inspector.watch('numbers', module);
    for (let i = 0; i < 95; i++) await module.dispatcher.request(i);
    const { timeline } = inspector.snapshot();
    expect(timeline.map((e) => e.id)).toEqual([86, 87, 88, 89, 90, 91, 92, 93, 94, 95]);
    module.server.stop();
  });

  it('leaves out a message that waited behind a whole ring of later ones', async () => {
    inspector = createInspector({ timelineSize: 4 });
    const first = gate<number>();
    const module = spawnModule<number, number>({
      handleRequest: (n) => (n === 0 ? first.promise : n),
      handleCommand: () => undefined,
    });
    inspector.watch('numbers', module);
    const answers = Array.from({ length: 10 }, (_, n) => module.dispatcher.request(n));
    first.open(0);
    await Promise.all(answers);
    const { timeline, modules } = inspector.snapshot();
    expect(timeline.map((e) => [e.id, e.outcome])).toEqual([
      [7, 'ok'],
      [8, 'ok'],
      [9, 'ok'],
      [10, 'ok'],
    ]);
    expect(modules[0]?.outcomes.ok).toBe(10); // the counters see every message
    module.server.stop();
  });

  it('keeps the newest `listSize` dead letters and errors', async () => {
    inspector = createInspector({ listSize: 3 });
    const module = spawnModule<number, never>(
      {
        handleRequest: (n) => {
          throw new Error(`fail ${n}`);
        },
        handleCommand: () => undefined,
      },
      silent,
    );
    inspector.watch('failing', module);
    for (let i = 0; i < 10; i++) await module.dispatcher.request(i).catch(() => undefined);
    expect(inspector.snapshot().errors.map((e) => e.message)).toEqual(['7', '8', '9']);
    expect(inspector.snapshot().modules[0]?.errors).toBe(10);
    module.server.stop();
  });

  it('gives only what changed after `since`, and at most `limit` messages per module', async () => {
    inspector = createInspector();
    const module = spawnModule<number, number>({ handleRequest: (n) => n, handleCommand: () => undefined });
    inspector.watch('numbers', module);
    for (let i = 0; i < 5; i++) await module.dispatcher.request(i);
    const first = inspector.snapshot();
    expect(first.timeline).toHaveLength(5);
    expect(inspector.snapshot({ since: first.cursor }).timeline).toEqual([]);
    await module.dispatcher.request(5);
    const next = inspector.snapshot({ since: first.cursor });
    expect(next.timeline.map((e) => e.id)).toEqual([6]);
    expect(next.cursor).toBeGreaterThan(first.cursor);
    expect(inspector.snapshot({ limit: 2 }).timeline.map((e) => e.id)).toEqual([5, 6]);
    module.server.stop();
  });
});

describe('modules that stop, and modules nobody watches', () => {
  it('shows a stopped module as stopped, with the reason, until it is unwatched', async () => {
    inspector = createInspector();
    const module = spawnModule<number, number>({ handleRequest: (n) => n, handleCommand: () => undefined });
    const other = spawnModule<number, number>({ handleRequest: (n) => n, handleCommand: () => undefined });
    const handle = inspector.watch('numbers', module);
    inspector.watch('other', other);
    await module.dispatcher.request(1);
    await module.dispatcher.shutdown();
    let card = inspector.snapshot().modules[0];
    expect(card).toMatchObject({
      name: 'numbers',
      status: 'stopped',
      stopReason: 'the module server shut down',
      stats: { handled: 1 },
    });
    expect(card?.stoppedAt).toEqual(expect.any(Number));
    await module.dispatcher.sendCommand(2).catch(() => undefined); // refused: still recorded
    expect(inspector.snapshot().deadLetters).toHaveLength(1);
    handle.unwatch();
    handle.unwatch(); // idempotent
    const after = inspector.snapshot();
    expect(after.modules.map((m) => m.name)).toEqual(['other']);
    expect(after.timeline).toEqual([]);
    expect(after.deadLetters).toEqual([]);
    card = after.modules[0];
    expect(card?.status).toBe('idle');
    other.server.stop();
  });

  it('shows a server that had stopped before it was watched as stopped', async () => {
    inspector = createInspector();
    const module = spawnModule<number, number>({ handleRequest: (n) => n, handleCommand: () => undefined });
    module.server.stop();
    inspector.watch('gone', module.server);
    await tick();
    expect(inspector.snapshot().modules[0]).toMatchObject({
      status: 'stopped',
      stopReason: 'the module server stopped',
    });
  });

  it('shows a running handler as running', async () => {
    inspector = createInspector();
    const busy = gate<number>();
    const module = spawnModule<number, number>({
      handleRequest: () => busy.promise,
      handleCommand: () => undefined,
    });
    inspector.watch('busy', module);
    const answer = module.dispatcher.request(1);
    await tick();
    expect(inspector.snapshot().modules[0]).toMatchObject({ status: 'running', stats: { running: 1 } });
    expect(inspector.snapshot().timeline[0]).not.toHaveProperty('outcome');
    busy.open(1);
    await answer;
    module.server.stop();
  });

  it('records nothing for a module that is not watched, or no longer', async () => {
    inspector = createInspector();
    const watched = spawnModule<number, number>({ handleRequest: (n) => n, handleCommand: () => undefined });
    const unwatched = spawnModule<number, number>({
      handleRequest: (n) => n,
      handleCommand: () => undefined,
    });
    const handle = inspector.watch('watched', watched);
    await unwatched.dispatcher.request(1);
    await watched.dispatcher.request(1);
    const before = inspector.snapshot();
    expect(before.modules.map((m) => m.name)).toEqual(['watched']);
    expect(before.timeline).toHaveLength(1);
    handle.unwatch();
    const cursor = inspector.snapshot().cursor;
    await watched.dispatcher.request(2);
    expect(inspector.snapshot().cursor).toBe(cursor); // nothing changed
    // Watching again (the same or a new server) starts afresh, under a new serial.
    inspector.watch('watched', watched);
    await watched.dispatcher.request(3);
    expect(inspector.snapshot().timeline.map((e) => [e.serial, e.message])).toEqual([[2, '3']]);
    watched.server.stop();
    unwatched.server.stop();
  });
});

describe('sampling: queue depth, throughput, rates', () => {
  it('samples the queue depth every `sampleMs` over the last minute, for the sparkline', async () => {
    const clock = virtualClock();
    inspector = createInspector({ sampleMs: 10_000, scheduler: clock.scheduler });
    const release = gate<number>();
    const module = spawnModule<number, number>({
      handleRequest: () => release.promise,
      handleCommand: () => undefined,
    });
    inspector.watch('slow', module);
    const answers = [1, 2, 3, 4].map((n) => module.dispatcher.request(n));
    await tick();
    clock.advance(10_000); // 1 running, 3 queued
    release.open(0);
    await Promise.all(answers);
    clock.advance(10_000);
    let card = inspector.snapshot().modules[0];
    expect(card?.depth).toEqual([0, 3, 0]); // at the watch, then at each tick
    expect(card?.throughput).toBeCloseTo(0.4); // 4 handled in the last 10 s
    clock.advance(100_000);
    card = inspector.snapshot().modules[0];
    expect(card?.depth).toHaveLength(6); // 60 s of 10 s samples
    expect(card?.throughput).toBe(0);
    module.server.stop();
    clock.advance(10_000);
    expect(inspector.snapshot().modules[0]?.depth).toHaveLength(6); // a stopped module is not sampled
    expect(inspector.snapshot().modules[0]).toMatchObject({ status: 'stopped', throughput: 0 });
  });
});

describe('watchBus: the topology', () => {
  type Shop = { OrderPlaced: { orderId: string }; OrderShipped: { orderId: string }; Other: object };

  it('records which modules subscribe to which event types, with counts and rates on the edges', async () => {
    const clock = virtualClock();
    inspector = createInspector({ scheduler: clock.scheduler });
    const raw = createEventBus<Shop>();
    const bus = inspector.watchBus(raw, 'shop');
    const stock = spawnTypedModule(
      createRouter<{ Reserve: { command: { orderId: string } } }>({ Reserve: { command: () => undefined } }),
    );
    const mailer = spawnModule<{ type: string }, never>({
      handleRequest: () => {
        throw new Error('commands only');
      },
      handleCommand: () => undefined,
    });
    const hidden = spawnModule<{ type: string }, never>({
      handleRequest: () => undefined as never,
      handleCommand: () => undefined,
    });
    inspector.watch('stock', stock);
    inspector.watch('mailer', mailer); // a spawned module: its dispatcher names its edges
    inspector.watch('mailer-server-only', mailer.server); // a server alone: it cannot
    const sink: string[] = [];
    bus.subscribe('OrderPlaced', stock.dispatcher, ({ orderId }) => ({ type: 'Reserve' as const, orderId }));
    bus.subscribe(['OrderPlaced', 'OrderShipped'], mailer.dispatcher, undefined, { overflow: 'drop-oldest' });
    bus.subscribe('OrderShipped', hidden.dispatcher);
    const plain = bus.subscribe('OrderShipped', {
      sendCommand: async (e: { type: string }) => void sink.push(e.type),
    });
    for (let i = 0; i < 10; i++) {
      clock.advance(1_000);
      await bus.publish({ type: 'OrderPlaced', orderId: `o-${i}` });
      if (i % 2 === 0) await raw.publish({ type: 'OrderShipped', orderId: `o-${i}` }); // on the bus itself
    }
    await raw.publish({ type: 'Other' });
    const [topology] = inspector.snapshot().buses;
    expect(topology?.name).toBe('shop');
    expect(topology?.closed).toBe(false);
    expect(topology?.types).toEqual([
      // Since each type was first seen (at 1 s): 10 events in 9 s, 5 in 9 s.
      { type: 'OrderPlaced', published: 10, perSecond: 10 / 9 },
      { type: 'OrderShipped', published: 5, perSecond: 5 / 9 },
      { type: 'Other', published: 1, perSecond: expect.any(Number) },
    ]);
    expect(
      topology?.edges.map(({ type, module, watched, overflow, delivered }) => [
        type,
        module,
        watched,
        overflow,
        delivered,
      ]),
    ).toEqual([
      ['OrderPlaced', 'stock', true, 'wait', 10],
      ['OrderPlaced', 'mailer', true, 'drop-oldest', 10],
      ['OrderShipped', 'mailer', true, 'drop-oldest', 5],
      ['OrderShipped', 'subscriber #3', false, 'wait', 5],
      ['OrderShipped', 'subscriber #4', false, 'wait', 5],
    ]);
    expect(topology?.edges[0]?.perSecond).toBe(1); // the last ten seconds: 10 events
    expect(sink).toHaveLength(5);
    plain.unsubscribe();
    expect(inspector.snapshot().buses[0]?.edges).toHaveLength(4);
    await tick();
    expect(inspector.snapshot().modules.find((m) => m.name === 'stock')?.stats.handled).toBe(10);
    bus.close();
    expect(inspector.snapshot().buses[0]?.closed).toBe(true);
    for (const m of [stock, mailer, hidden]) m.server.stop();
  });

  it('leaves the bus as it is: the same results, the same failures, the same streams', async () => {
    inspector = createInspector();
    const raw = createEventBus<Shop>({ replay: 1 });
    const bus = inspector.watchBus(raw);
    const seen: string[] = [];
    bus.on('OrderPlaced').subscribe((e) => seen.push(`on ${e.orderId}`));
    bus.events$.subscribe((e) => seen.push(`all ${e.type}`));
    const module = spawnModule<{ orderId: string }, never>({
      handleRequest: () => undefined as never,
      handleCommand: (c) => void seen.push(`module ${c.orderId}`),
    });
    inspector.watch('m', module);
    const unhandled: unknown[] = [];
    const { config } = await import('rxjs');
    const before = config.onUnhandledError;
    config.onUnhandledError = (error) => unhandled.push(error);
    try {
      bus.subscribe('OrderPlaced', module.dispatcher, (e) => {
        if (e.orderId === 'bad') throw new Error('cannot convert');
        return { orderId: e.orderId };
      });
      await bus.publish({ type: 'OrderPlaced', orderId: 'o-1' });
      bus.tryPublish({ type: 'OrderPlaced', orderId: 'bad' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(unhandled).toEqual([new Error('cannot convert')]);
      expect(inspector.snapshot().buses[0]?.edges[0]?.delivered).toBe(1); // the throw was not a delivery
      expect(() => bus.subscribe('OrderPlaced', module.dispatcher, 'nope' as never)).toThrow(TypeError);
      expect(() => bus.subscribe(42 as never, module.dispatcher)).toThrow(TypeError);
      expect(inspector.snapshot().buses[0]?.edges).toHaveLength(1); // refused subscriptions are not edges
      await expect(bus.publish({ nope: true } as never)).rejects.toThrow(TypeError);
    } finally {
      config.onUnhandledError = before;
    }
    expect(seen).toContain('module o-1');
    expect(seen.filter((s) => s.startsWith('on '))).toEqual(['on o-1', 'on bad']);
    module.server.stop();
    bus.close();
  });
});

describe('bad input', () => {
  it('refuses bad options with a TypeError or RangeError naming them', () => {
    expect(() => createInspector(42 as never)).toThrow(
      new TypeError('Expected `options` to be an object, got 42'),
    );
    expect(() => createInspector({ timelineSize: 0 })).toThrow(
      new RangeError('Expected `timelineSize` to be a positive integer, got 0'),
    );
    expect(() => createInspector({ listSize: 1.5 })).toThrow(RangeError);
    expect(() => createInspector({ latencySamples: Infinity })).toThrow(RangeError);
    expect(() => createInspector({ sampleMs: -1 })).toThrow(/`sampleMs`/);
    expect(() => createInspector({ scheduler: {} as never })).toThrow(/`scheduler`/);
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
      },
    );
    expect(() => createInspector(hostile)).toThrow(
      /^Expected `options` to be readable, but reading it threw$/,
    );
  });

  it('refuses what is not a module, a duplicate name, an empty name', () => {
    inspector = createInspector();
    const module = spawnModule<number, number>({ handleRequest: (n) => n, handleCommand: () => undefined });
    expect(() => inspector.watch('', module)).toThrow(
      new TypeError('Expected `name` to be a non-empty string, got ""'),
    );
    expect(() => inspector.watch(7 as never, module)).toThrow(TypeError);
    expect(() => inspector.watch('x', {} as never)).toThrow(/Expected `module` to be a module server/);
    expect(() => inspector.watch('x', null as never)).toThrow(/`module`/);
    expect(() => inspector.watch('x', { server: 1 } as never)).toThrow(/`module`/);
    inspector.watch('x', module);
    expect(() => inspector.watch('x', module)).toThrow(
      new RangeError(
        'Expected `name` to be unique: a module named "x" is already watched (unwatch it first)',
      ),
    );
    expect(() => inspector.watchBus({} as never)).toThrow(/Expected `bus` to be an event bus/);
    inspector.watchBus(createEventBus());
    expect(() => inspector.watchBus(createEventBus())).toThrow(/a bus named "bus" is already watched/);
    expect(() => inspector.snapshot({ since: 'x' as never })).toThrow(/`since`/);
    expect(() => inspector.snapshot({ limit: 0 })).toThrow(/`limit`/);
    expect(() => inspector.snapshot(5 as never)).toThrow(/`options`/);
    module.server.stop();
  });

  it('mounts only on a DOM element (none in Node)', () => {
    inspector = createInspector();
    expect(() => inspector.mount({} as HTMLElement)).toThrow(
      new TypeError('Expected `element` to be a DOM element, got an object ([object Object])'),
    );
  });

  it('refuses bad serve options before listening', async () => {
    inspector = createInspector();
    await expect(inspector.serve({ port: -1 })).rejects.toThrow(
      new RangeError('Expected `port` to be an integer from 0 to 65535, got -1'),
    );
    await expect(inspector.serve({ port: 1.5 })).rejects.toThrow(RangeError);
    await expect(inspector.serve({ host: '' })).rejects.toThrow(
      new TypeError('Expected `host` to be a non-empty string, got ""'),
    );
    await expect(inspector.serve({ refreshMs: 0 })).rejects.toThrow(/`refreshMs`/);
    await expect(inspector.serve('x' as never)).rejects.toThrow(/`options`/);
  });

  it('passes on a listen error (port taken)', async () => {
    inspector = createInspector();
    const first = await inspector.serve();
    await expect(inspector.serve({ port: first.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await first.close();
    await first.close(); // idempotent
  });

  it('refuses to watch or show anything once closed, and closes its servers', async () => {
    inspector = createInspector();
    const server = await inspector.serve({ host: 'localhost' });
    expect(server.url).toBe(`http://localhost:${server.port}/`);
    inspector.close();
    inspector.close();
    await expect(fetch(server.url)).rejects.toThrow();
    const module = spawnModule<number, number>({ handleRequest: (n) => n, handleCommand: () => undefined });
    expect(() => inspector.watch('late', module)).toThrow(/The inspector is closed/);
    expect(() => inspector.watchBus(createEventBus())).toThrow(/The inspector is closed/);
    await expect(inspector.serve()).rejects.toThrow(/The inspector is closed/);
    module.server.stop();
  });
});

describe('snapshots are plain data', () => {
  it('round-trips through JSON unchanged', async () => {
    inspector = createInspector();
    const module = spawnModule<number, number>({ handleRequest: (n) => n, handleCommand: () => undefined });
    inspector.watch('numbers', module);
    inspector.watchBus(createEventBus());
    await module.dispatcher.request(1);
    const snapshot = inspector.snapshot();
    expect(JSON.parse(JSON.stringify(snapshot)) as InspectorSnapshot).toEqual(snapshot);
    module.server.stop();
  });
});
