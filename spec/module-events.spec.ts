import fc from 'fast-check';
import { filter, lastValueFrom, NEVER, Observable, toArray } from 'rxjs';

import {
  type InstrumentedSettlement,
  ModuleChannel,
  type ModuleEvent,
  type ModuleInstrumentation,
  runModuleServer,
  SparkGenericModuleDispatcher,
  type SparkGenericModuleHandler,
  SparkGenericModuleMessage,
  spawnModule,
} from '../lib/index.js';
import { manualClock } from './support/clock.js';
import { codeOf, deferred, flush, recordingLogger } from './support/helpers.js';

type Msg = { op: 'ok' | 'fail' | 'slow' | 'hang'; n: number };

function handler(slow?: Promise<void>): SparkGenericModuleHandler<Msg, number> {
  return {
    handleRequest: async (m, context) => {
      if (m.op === 'fail') throw new Error(`failed ${m.n}`);
      if (m.op === 'slow') await slow;
      if (m.op === 'hang')
        await new Promise((_, reject) =>
          context.signal.addEventListener('abort', () => reject(context.signal.reason as Error)),
        );
      return m.n * 10;
    },
    handleCommand: (m) => {
      if (m.op === 'fail') throw new Error(`command ${m.n} failed`);
    },
  };
}

/** The events without their timestamps, for exact comparison. */
function shape(events: ModuleEvent<Msg>[]): unknown[] {
  return events.map((e) => {
    if (e.type === 'stopped') return { type: e.type, reason: e.reason };
    if (e.type === 'restarted') return { type: e.type };
    const base = { type: e.type, id: e.id, kind: e.kind, n: e.message.n };
    if (e.type !== 'settled') return base;
    const code = (e.error as { code?: string } | undefined)?.code;
    return {
      ...base,
      outcome: e.outcome,
      ...(e.error === undefined ? {} : { error: code ?? String(e.error) }),
    };
  });
}

describe('server.events$', () => {
  it('reports accepted, started and settled for each message, with queue wait and handling time on the clock', async () => {
    const clock = manualClock(1_000);
    const slow = deferred();
    const { dispatcher, server } = spawnModule(handler(slow.promise), { scheduler: clock });
    const events: ModuleEvent<Msg>[] = [];
    server.events$.subscribe((e) => events.push(e));

    const first = dispatcher.request({ op: 'slow', n: 1 });
    clock.t = 1_005;
    const second = dispatcher.request({ op: 'ok', n: 2 });
    clock.t = 1_020;
    slow.resolve();
    await expect(first).resolves.toBe(10);
    await expect(second).resolves.toBe(20);
    await dispatcher.sendCommand({ op: 'fail', n: 3 });
    await flush();

    expect(shape(events)).toEqual([
      { type: 'accepted', id: 1, kind: 'request', n: 1 },
      { type: 'started', id: 1, kind: 'request', n: 1 },
      { type: 'accepted', id: 2, kind: 'request', n: 2 },
      { type: 'settled', id: 1, kind: 'request', n: 1, outcome: 'ok' },
      { type: 'started', id: 2, kind: 'request', n: 2 },
      { type: 'settled', id: 2, kind: 'request', n: 2, outcome: 'ok' },
      { type: 'accepted', id: 3, kind: 'command', n: 3 },
      { type: 'started', id: 3, kind: 'command', n: 3 },
      { type: 'settled', id: 3, kind: 'command', n: 3, outcome: 'error', error: 'Error: command 3 failed' },
    ]);
    const settled = events.filter((e) => e.type === 'settled');
    expect(settled[0]).toMatchObject({ at: 1_020, queuedMs: 0, handlingMs: 20 });
    // Accepted at 1 005, started when the first finished at 1 020, answered at once.
    expect(events.find((e) => e.type === 'started' && e.id === 2)).toMatchObject({ at: 1_020, queuedMs: 15 });
    expect(settled[1]).toMatchObject({ at: 1_020, queuedMs: 15, handlingMs: 0 });
    server.stop();
  });

  it('stamps events with performance.now() by default, so sub-millisecond durations show', async () => {
    const { dispatcher, server } = spawnModule(handler());
    const settled = lastValueFrom(
      server.events$.pipe(
        filter((e) => e.type === 'settled'),
        toArray(),
      ),
    );
    const before = performance.now();
    await dispatcher.request({ op: 'ok', n: 1 });
    server.stop();
    const [event] = await settled;
    expect(event?.type === 'settled' && event.at).toBeGreaterThanOrEqual(before);
    expect(event?.type === 'settled' && event.handlingMs).toBeLessThan(1_000);
  });

  it('settles a request given up while queued as timeout or cancelled, without a start', async () => {
    const slow = deferred();
    const { dispatcher, server } = spawnModule(handler(slow.promise));
    const events: ModuleEvent<Msg>[] = [];
    server.events$.subscribe((e) => events.push(e));
    const blocker = dispatcher.request({ op: 'slow', n: 1 });
    const timedOut = dispatcher.request({ op: 'ok', n: 2 }, { timeoutMs: 5 });
    const controller = new AbortController();
    const aborted = dispatcher.request({ op: 'ok', n: 3 }, { signal: controller.signal });
    controller.abort();
    expect(await codeOf(aborted)).toBe('CANCELLED');
    expect(await codeOf(timedOut)).toBe('TIMEOUT');
    slow.resolve();
    await blocker;
    expect(shape(events).filter((e) => (e as { n: number }).n !== 1)).toEqual([
      { type: 'accepted', id: 2, kind: 'request', n: 2 },
      { type: 'accepted', id: 3, kind: 'request', n: 3 },
      { type: 'settled', id: 3, kind: 'request', n: 3, outcome: 'cancelled', error: 'CANCELLED' },
      { type: 'settled', id: 2, kind: 'request', n: 2, outcome: 'timeout', error: 'TIMEOUT' },
    ]);
    const settled = events.find((e) => e.type === 'settled' && e.id === 2);
    expect(settled).toMatchObject({ handlingMs: undefined });
    expect((settled as { queuedMs: number }).queuedMs).toBeGreaterThanOrEqual(0);
    server.stop();
  });

  it('settles a running request its caller gave up on as timeout, once its handler ends', async () => {
    const { dispatcher, server } = spawnModule(handler());
    const events: ModuleEvent<Msg>[] = [];
    server.events$.subscribe((e) => events.push(e));
    expect(await codeOf(dispatcher.request({ op: 'hang', n: 1 }, { timeoutMs: 5 }))).toBe('TIMEOUT');
    await flush();
    expect(shape(events)).toEqual([
      { type: 'accepted', id: 1, kind: 'request', n: 1 },
      { type: 'started', id: 1, kind: 'request', n: 1 },
      { type: 'settled', id: 1, kind: 'request', n: 1, outcome: 'timeout', error: 'TIMEOUT' },
    ]);
    server.stop();
  });

  it('ends with RECEIVE_FAILED for the running and queued messages of a stop, then stopped, then completes', async () => {
    const { dispatcher, server } = spawnModule(handler());
    const events = lastValueFrom(server.events$.pipe(toArray()));
    const running = dispatcher.request({ op: 'hang', n: 1 });
    const queued = dispatcher.request({ op: 'ok', n: 2 });
    await dispatcher.sendCommand({ op: 'ok', n: 3 });
    server.stop();
    expect([await codeOf(running), await codeOf(queued)]).toEqual(['RECEIVE_FAILED', 'RECEIVE_FAILED']);
    expect(shape(await events)).toEqual([
      { type: 'accepted', id: 1, kind: 'request', n: 1 },
      { type: 'started', id: 1, kind: 'request', n: 1 },
      { type: 'accepted', id: 2, kind: 'request', n: 2 },
      { type: 'accepted', id: 3, kind: 'command', n: 3 },
      { type: 'settled', id: 1, kind: 'request', n: 1, outcome: 'error', error: 'RECEIVE_FAILED' },
      { type: 'settled', id: 2, kind: 'request', n: 2, outcome: 'error', error: 'RECEIVE_FAILED' },
      { type: 'settled', id: 3, kind: 'command', n: 3, outcome: 'error', error: 'RECEIVE_FAILED' },
      { type: 'stopped', reason: 'the module server was stopped' },
    ]);
    // Subscribing after the stop: completes at once.
    await expect(lastValueFrom(server.events$.pipe(toArray()))).resolves.toEqual([]);
  });

  it('reports the Shutdown as the stop reason', async () => {
    const { dispatcher, server } = spawnModule(handler());
    const events = lastValueFrom(server.events$.pipe(toArray()));
    await dispatcher.shutdown();
    expect((await events).at(-1)).toMatchObject({ type: 'stopped', reason: 'the module server shut down' });
  });

  it('records nothing while nobody listens: a message accepted before the subscription has no queue wait', async () => {
    const slow = deferred();
    const { dispatcher, server } = spawnModule(handler(slow.promise));
    const first = dispatcher.request({ op: 'slow', n: 1 });
    const second = dispatcher.request({ op: 'ok', n: 2 });
    const events: ModuleEvent<Msg>[] = [];
    server.events$.subscribe((e) => events.push(e));
    slow.resolve();
    await Promise.all([first, second]);
    // The first had started unseen: nothing about it. The second is first seen as it starts.
    expect(shape(events)).toEqual([
      { type: 'started', id: 1, kind: 'request', n: 2 },
      { type: 'settled', id: 1, kind: 'request', n: 2, outcome: 'ok' },
    ]);
    expect(events[0]).toMatchObject({ queuedMs: undefined });
    server.stop();
  });

  it('accepts a waiting sender when room frees, not when it called', async () => {
    const clock = manualClock();
    const slow = deferred();
    const { dispatcher, server } = spawnModule(handler(slow.promise), { capacity: 1, scheduler: clock });
    const events: ModuleEvent<Msg>[] = [];
    server.events$.subscribe((e) => events.push(e));
    const a = dispatcher.request({ op: 'slow', n: 1 }); // starts
    const b = dispatcher.request({ op: 'ok', n: 2 }); // queued: the one slot
    const c = dispatcher.request({ op: 'ok', n: 3 }); // waits for room
    expect(shape(events).map((e) => (e as { n: number }).n)).toEqual([1, 1, 2]);
    clock.t = 50;
    slow.resolve();
    await Promise.all([a, b, c]);
    expect(events.find((e) => e.type === 'accepted' && e.message.n === 3)?.at).toBe(50);
    server.stop();
  });

  it('reports a message whose key function throws as settled with that error', async () => {
    const { dispatcher, server } = spawnModule(handler(), {
      concurrency: 2,
      key: (m) => {
        if (m.n === 2) throw new Error('no key');
        return m.n;
      },
    });
    const events: ModuleEvent<Msg>[] = [];
    server.events$.subscribe((e) => events.push(e));
    await expect(dispatcher.request({ op: 'ok', n: 2 })).rejects.toMatchObject({
      code: 'SEND_FAILED',
      cause: new Error('no key'),
    });
    expect(shape(events)).toEqual([
      {
        type: 'settled',
        id: 1,
        kind: 'request',
        n: 2,
        outcome: 'error',
        error: 'SEND_FAILED',
      },
    ]);
    server.stop();
  });

  it('follows frozen raw envelopes, and an envelope object sent again', async () => {
    const channel = new ModuleChannel<Msg, number>();
    const server = runModuleServer(handler(), channel);
    const events: ModuleEvent<Msg>[] = [];
    server.events$.subscribe((e) => events.push(e));
    const frozen = Object.freeze(SparkGenericModuleMessage.Command<Msg>({ op: 'ok', n: 1 }));
    await channel.send(frozen);
    await flush();
    const reused = SparkGenericModuleMessage.Command<Msg>({ op: 'ok', n: 2 });
    await channel.send(reused);
    await flush();
    await channel.send(reused);
    await flush();
    expect(shape(events).map((e) => [(e as { id: number }).id, (e as { type: string }).type])).toEqual([
      [1, 'accepted'],
      [1, 'started'],
      [1, 'settled'],
      [2, 'accepted'],
      [2, 'started'],
      [2, 'settled'],
      [3, 'accepted'],
      [3, 'started'],
      [3, 'settled'],
    ]);
    // The same envelope on another server starts a record of its own there.
    const other = spawnModule(handler());
    const otherEvents: ModuleEvent<Msg>[] = [];
    other.server.events$.subscribe((e) => otherEvents.push(e));
    await other.dispatcher.sender.send(reused);
    await flush();
    expect(otherEvents.map((e) => e.type)).toEqual(['accepted', 'started', 'settled']);
    server.stop();
    other.server.stop();
  });

  it('runs with several handlers at once', async () => {
    const { dispatcher, server } = spawnModule(handler(), { concurrency: 3 });
    const events = lastValueFrom(server.events$.pipe(toArray()));
    await Promise.all([1, 2, 3, 4, 5].map((n) => dispatcher.request({ op: 'ok', n })));
    server.stop();
    const all = await events;
    for (const n of [1, 2, 3, 4, 5]) {
      expect(all.filter((e) => 'message' in e && e.message.n === n).map((e) => e.type)).toEqual([
        'accepted',
        'started',
        'settled',
      ]);
    }
  });

  it('property: every message seen is settled exactly once, after its start, with the outcome its caller saw', async () => {
    const op = fc.record({
      kind: fc.constantFrom('request', 'command'),
      op: fc.constantFrom('ok', 'fail', 'slow'),
      timeoutMs: fc.option(fc.constantFrom(1, 3), { nil: undefined }),
      abortAfter: fc.option(fc.constantFrom(0, 2), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 12 }),
        fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        fc.integer({ min: 1, max: 2 }),
        fc.boolean(),
        async (ops, capacity, concurrency, stopEarly) => {
          const { dispatcher, server } = spawnModule(
            {
              handleRequest: async (m: Msg) => {
                if (m.op === 'slow') await new Promise((r) => setTimeout(r, 2));
                if (m.op === 'fail') throw new Error('x');
                return m.n;
              },
              handleCommand: async (m: Msg) => {
                if (m.op === 'slow') await new Promise((r) => setTimeout(r, 2));
                if (m.op === 'fail') throw new Error('x');
              },
            },
            { concurrency, ...(capacity === undefined ? {} : { capacity }) },
          );
          const events: ModuleEvent<Msg>[] = [];
          server.events$.subscribe((e) => events.push(e));
          const callers = new Map<number, Promise<string>>();
          const sends: Promise<unknown>[] = [];
          ops.forEach((o, n) => {
            if (o.kind === 'command') {
              sends.push(dispatcher.sendCommand({ op: o.op, n }).catch(() => undefined));
              return;
            }
            const controller = new AbortController();
            if (o.abortAfter !== undefined) setTimeout(() => controller.abort(), o.abortAfter);
            callers.set(
              n,
              codeOf(
                dispatcher.request(
                  { op: o.op, n },
                  {
                    signal: controller.signal,
                    ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
                  },
                ),
              ),
            );
          });
          if (stopEarly) setTimeout(() => server.stop(), 1);
          const codes = new Map<number, string>();
          for (const [n, code] of callers) codes.set(n, await code);
          await Promise.all(sends);
          await new Promise((r) => setTimeout(r, 5));
          server.stop();
          await flush();

          const perMessage = new Map<number, string[]>();
          for (const e of events) {
            if (e.type === 'stopped' || e.type === 'restarted') continue;
            perMessage.set(e.message.n, [...(perMessage.get(e.message.n) ?? []), e.type]);
            if (e.type === 'settled' && e.kind === 'request') {
              const code = codes.get(e.message.n);
              const expected =
                e.outcome === 'ok'
                  ? 'ok'
                  : e.outcome === 'timeout'
                    ? 'TIMEOUT'
                    : e.outcome === 'cancelled'
                      ? 'CANCELLED'
                      : ((e.error as { code?: string }).code ?? 'Error');
              expect(code).toBe(expected);
            }
          }
          for (const [, types] of perMessage) {
            expect(['accepted,started,settled', 'accepted,settled', 'settled']).toContain(types.join(','));
          }
          // Every request its caller saw answered or failed by the handler was seen settled.
          for (const [n, code] of codes) {
            if (code === 'ok' || code === 'Error') expect(perMessage.get(n)?.at(-1)).toBe('settled');
          }
          expect(events.at(-1)?.type).toBe('stopped');
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('the instrument option', () => {
  type Trace = { id: number; calls: string[] };

  function recorder(): ModuleInstrumentation<Msg> & {
    traces: Trace[];
    settlements: InstrumentedSettlement[];
  } {
    const traces: Trace[] = [];
    const settlements: InstrumentedSettlement[] = [];
    return {
      traces,
      settlements,
      sent: ({ id, kind, message }) => {
        const trace = { id, calls: [`sent ${kind} ${message.n}`] };
        traces.push(trace);
        return trace;
      },
      run: (state, _message, handle) => {
        (state as Trace).calls.push('run:before');
        try {
          return handle();
        } finally {
          (state as Trace).calls.push('run:after');
        }
      },
      settled: (state, _message, settlement) => {
        (state as Trace).calls.push(`settled ${settlement.outcome}`);
        settlements.push(settlement);
      },
    };
  }

  it("calls sent in the sender's call, run around the handler, settled at the end", async () => {
    const instrument = recorder();
    const { dispatcher, server } = spawnModule(handler(), { instrument });
    const request = dispatcher.request({ op: 'ok', n: 1 });
    expect(instrument.traces).toHaveLength(1); // synchronously, inside request()
    await request;
    await expect(dispatcher.request({ op: 'fail', n: 2 })).rejects.toThrow('failed 2');
    expect(instrument.traces.map((t) => t.calls)).toEqual([
      ['sent request 1', 'run:before', 'run:after', 'settled ok'],
      ['sent request 2', 'run:before', 'run:after', 'settled error'],
    ]);
    expect(instrument.settlements[1]).toMatchObject({ outcome: 'error', error: new Error('failed 2') });
    server.stop();
  });

  it('gives a message sent before the server started an undefined state', async () => {
    const channel = new ModuleChannel<Msg, number>();
    const dispatcher = new SparkGenericModuleDispatcher(channel);
    const early = dispatcher.request({ op: 'ok', n: 1 });
    const states: unknown[] = [];
    const server = runModuleServer(handler(), channel, {
      instrument: { run: (state, _m, handle) => (states.push(state), handle()), sent: () => 'seen' },
    });
    await early;
    await dispatcher.request({ op: 'ok', n: 2 });
    expect(states).toEqual([undefined, 'seen']);
    server.stop();
  });

  it('lets the handler run when a hook throws, and logs it', async () => {
    const logger = recordingLogger();
    const { dispatcher, server } = spawnModule(handler(), {
      logger,
      instrument: {
        sent: () => {
          throw new Error('sent hook');
        },
        run: () => {
          throw new Error('run hook');
        },
        settled: () => {
          throw new Error('settled hook');
        },
      },
    });
    await expect(dispatcher.request({ op: 'ok', n: 1 })).resolves.toBe(10);
    expect(logger.errors.map((args) => String(args[0]))).toEqual([
      'spark-channel: instrument.sent threw:',
      'spark-channel: instrument.run threw:',
      'spark-channel: instrument.settled threw:',
    ]);
    server.stop();
  });

  it("passes the handler's own synchronous failure through run", async () => {
    const logger = recordingLogger();
    const { dispatcher, server } = spawnModule(
      {
        handleRequest: () => {
          throw new Error('sync failure');
        },
        handleCommand: () => undefined,
      },
      { logger, instrument: { run: (_s, _m, handle) => handle() } },
    );
    await expect(dispatcher.request({ op: 'ok', n: 1 })).rejects.toThrow('sync failure');
    expect(logger.errors).toEqual([]);
    server.stop();
  });

  it('refuses hooks that are not functions, naming them', () => {
    expect(() => spawnModule(handler(), { instrument: 5 as never })).toThrow(
      new TypeError('Expected `instrument` to be an object of hooks, got 5'),
    );
    expect(() => spawnModule(handler(), { instrument: { run: 'x' } as never })).toThrow(
      new TypeError('Expected `instrument.run` to be a function, got "x"'),
    );
  });

  it('is fed by a raw channel send too, and by a hung observable handler that a stop ends', async () => {
    const instrument = recorder();
    const channel = new ModuleChannel<Msg, number>();
    const server = runModuleServer(
      { handleRequest: () => new Observable<number>(() => undefined), handleCommand: () => NEVER },
      channel,
      { instrument },
    );
    const dispatcher = new SparkGenericModuleDispatcher(channel);
    const pending = dispatcher.request({ op: 'ok', n: 1 });
    server.stop();
    expect(await codeOf(pending)).toBe('RECEIVE_FAILED');
    // run wraps the handler call, then the server's subscription to the observable it returned.
    expect(instrument.traces[0]?.calls).toEqual([
      'sent request 1',
      'run:before',
      'run:after',
      'run:before',
      'run:after',
      'settled error',
    ]);
  });
});
