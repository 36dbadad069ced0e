import { lastValueFrom, toArray } from 'rxjs';

import {
  type ModuleEvent,
  type SparkGenericModuleHandler,
  spawnModule,
  supervise,
  SupervisedHandler,
} from '../lib/index.js';
import { manualClock } from './support/clock.js';
import { codeOf, deferred, flush, recordingLogger } from './support/helpers.js';

class CorruptStateError extends Error {}

type Msg = { op: 'add' | 'get' | 'corrupt' | 'oops' | 'corrupt-later'; n?: number };

/** A counter whose state a "corrupt" message breaks for good. */
class Counter implements SparkGenericModuleHandler<Msg, number> {
  static built = 0;
  readonly generation = ++Counter.built;
  #total = 0;
  #broken = false;

  handleRequest(m: Msg): number | Promise<number> {
    if (this.#broken) throw new CorruptStateError('state is broken');
    switch (m.op) {
      case 'add':
        return (this.#total += m.n ?? 1);
      case 'get':
        return this.#total;
      case 'corrupt':
        this.#broken = true;
        throw new CorruptStateError('corrupted');
      case 'corrupt-later':
        return Promise.reject(new CorruptStateError('corrupted later'));
      case 'oops':
        throw new Error('an ordinary failure');
    }
  }

  handleCommand(m: Msg): void {
    if (m.op === 'corrupt') throw new CorruptStateError('corrupted by a command');
  }
}

const isFatal = (error: unknown): boolean => error instanceof CorruptStateError;

beforeEach(() => {
  Counter.built = 0;
});

describe('supervise', () => {
  it('rebuilds the handler from the factory after a fatal failure and keeps serving with fresh state', async () => {
    const logger = recordingLogger();
    const handler = supervise(() => new Counter(), { maxRestarts: 3, withinMs: 60_000, isFatal });
    const { dispatcher, server } = spawnModule(handler, { logger });
    const events: ModuleEvent<Msg>[] = [];
    server.events$.subscribe((e) => events.push(e));
    expect(await dispatcher.request({ op: 'add', n: 5 })).toBe(5);
    await expect(dispatcher.request({ op: 'corrupt' })).rejects.toThrow('corrupted');
    expect(await dispatcher.request({ op: 'get' })).toBe(0); // a new Counter
    expect((handler.current as Counter).generation).toBe(2);
    expect(events.filter((e) => e.type === 'restarted')).toEqual([
      {
        type: 'restarted',
        at: expect.any(Number) as number,
        error: new CorruptStateError('corrupted'),
        restarts: 1,
      },
    ]);
    expect(logger.warnings[0]?.[0]).toBe('spark-channel: handler rebuilt after a fatal failure (restart 1):');
    expect(server.isRunning).toBe(true);
    server.stop();
  });

  it('leaves the state alone on a failure that is not fatal', async () => {
    const handler = supervise(() => new Counter(), { maxRestarts: 3, withinMs: 60_000, isFatal });
    const { dispatcher, server } = spawnModule(handler);
    await dispatcher.request({ op: 'add', n: 2 });
    await expect(dispatcher.request({ op: 'oops' })).rejects.toThrow('an ordinary failure');
    expect(await dispatcher.request({ op: 'get' })).toBe(2);
    expect(Counter.built).toBe(1);
    server.stop();
  });

  it('rebuilds after a fatal command failure and a fatal rejected promise too', async () => {
    const handler = supervise(() => new Counter(), { maxRestarts: 5, withinMs: 60_000, isFatal });
    const { dispatcher, server } = spawnModule(handler, { logger: recordingLogger() });
    await dispatcher.sendCommand({ op: 'corrupt' });
    await expect(dispatcher.request({ op: 'corrupt-later' })).rejects.toThrow('corrupted later');
    await dispatcher.request({ op: 'get' });
    expect(Counter.built).toBe(3);
    server.stop();
  });

  it('past the limit, stops the module with a reason; pending requests fail with RECEIVE_FAILED caused by the fatal error', async () => {
    const logger = recordingLogger();
    const slow = deferred();
    const handler = supervise(
      (): SparkGenericModuleHandler<Msg, number> => ({
        handleRequest: async (m) => {
          if (m.op === 'corrupt') throw new CorruptStateError(`fatal ${m.n}`);
          await slow.promise;
          return 1;
        },
        handleCommand: () => undefined,
      }),
      { maxRestarts: 1, withinMs: 60_000, isFatal },
    );
    const { dispatcher, server } = spawnModule(handler, { logger, concurrency: 2 });
    const events = lastValueFrom(server.events$.pipe(toArray()));
    await expect(dispatcher.request({ op: 'corrupt', n: 1 })).rejects.toThrow('fatal 1'); // restart 1
    const running = dispatcher.request({ op: 'get' });
    const second = dispatcher.request({ op: 'corrupt', n: 2 }); // over the limit
    const queued = dispatcher.request({ op: 'get' });
    await expect(second).rejects.toThrow('fatal 2');
    await server.stopped;
    for (const pending of [running, queued]) {
      const error = (await pending.catch((e: unknown) => e)) as {
        code: string;
        message: string;
        cause: unknown;
      };
      expect(error.code).toBe('RECEIVE_FAILED');
      expect(error.message).toMatch(
        /the supervision policy gave up: fatal failure after 1 restart\(s\) within 60000 ms/,
      );
      expect(error.cause).toEqual(new CorruptStateError('fatal 2'));
    }
    expect(await codeOf(dispatcher.request({ op: 'get' }))).toBe('SEND_FAILED');
    const all = await events;
    expect(all.at(-1)).toMatchObject({
      type: 'stopped',
      reason:
        'the supervision policy gave up: fatal failure after 1 restart(s) within 60000 ms (maxRestarts 1)',
      error: new CorruptStateError('fatal 2'),
    });
    expect(logger.errors.map((args) => args[0])).toContain(
      'spark-channel: stopping: the supervision policy gave up: fatal failure after 1 restart(s) within 60000 ms (maxRestarts 1):',
    );
    slow.resolve();
  });

  it('counts restarts in a sliding window on the module clock', async () => {
    const clock = manualClock();
    const handler = supervise(() => new Counter(), { maxRestarts: 2, withinMs: 1_000, isFatal });
    const { dispatcher, server } = spawnModule(handler, { scheduler: clock, logger: recordingLogger() });
    const restarts: number[] = [];
    server.events$.subscribe((e) => e.type === 'restarted' && restarts.push(e.restarts));
    for (const t of [0, 500, 1_000, 1_600, 2_100]) {
      clock.t = t;
      await expect(dispatcher.request({ op: 'corrupt' })).rejects.toThrow('corrupted');
    }
    // Each time, the oldest restart has just left the 1 000 ms window: never more than 2 in it.
    expect(restarts).toEqual([1, 2, 2, 2, 2]);
    expect(server.isRunning).toBe(true);
    clock.t = 2_200; // 1 600 and 2 100 are still in the window: a third restart is one too many
    await expect(dispatcher.request({ op: 'corrupt' })).rejects.toThrow('corrupted');
    await server.stopped;
    expect(restarts).toHaveLength(5);
  });

  it('stops at the first fatal failure with maxRestarts 0', async () => {
    const { dispatcher, server } = spawnModule(
      supervise(() => new Counter(), { maxRestarts: 0, withinMs: Infinity, isFatal }),
      { logger: recordingLogger() },
    );
    const events = lastValueFrom(server.events$.pipe(toArray()));
    await expect(dispatcher.request({ op: 'corrupt' })).rejects.toThrow('corrupted');
    await server.stopped;
    expect((await events).at(-1)).toMatchObject({
      reason: 'the supervision policy gave up: fatal failure after 0 restart(s) (maxRestarts 0)',
    });
  });

  it('gives up when the factory throws on a restart, and counts a throwing isFatal as fatal', async () => {
    let builds = 0;
    const { dispatcher, server } = spawnModule(
      supervise(
        () => {
          if (++builds > 1) throw new Error('cannot rebuild');
          return new Counter();
        },
        {
          maxRestarts: 3,
          withinMs: 1_000,
          isFatal: () => {
            throw new Error('predicate bug');
          },
        },
      ),
      { logger: recordingLogger() },
    );
    const events = lastValueFrom(server.events$.pipe(toArray()));
    await expect(dispatcher.request({ op: 'oops' })).rejects.toThrow('an ordinary failure');
    await server.stopped;
    expect((await events).at(-1)).toMatchObject({
      type: 'stopped',
      reason: 'the supervision policy gave up: the handler factory threw',
      error: new Error('cannot rebuild'),
    });
  });

  it('does not supervise failures of requests the server stopped', async () => {
    const slow = deferred();
    const handler = supervise(
      (): SparkGenericModuleHandler<Msg, number> => ({
        handleRequest: async () => {
          await slow.promise;
          throw new CorruptStateError('late');
        },
        handleCommand: () => undefined,
      }),
      { maxRestarts: 0, withinMs: 1_000, isFatal },
    );
    const { dispatcher, server } = spawnModule(handler);
    const pending = dispatcher.request({ op: 'get' });
    await flush();
    server.stop();
    expect(await codeOf(pending)).toBe('RECEIVE_FAILED');
    slow.resolve();
    await flush();
    expect(handler.current).toBeDefined();
  });

  it('refuses bad arguments, naming them', () => {
    const policy = { maxRestarts: 1, withinMs: 1_000, isFatal };
    expect(() => supervise(5 as never, policy)).toThrow(
      new TypeError('Expected `factory` to be a function returning a handler, got 5'),
    );
    expect(() => supervise(() => new Counter(), undefined as never)).toThrow(
      new TypeError('Expected `policy` to be an object, got undefined'),
    );
    expect(() => supervise(() => new Counter(), { ...policy, maxRestarts: -1 })).toThrow(
      new RangeError('Expected `policy.maxRestarts` to be a non-negative integer, got -1'),
    );
    expect(() => supervise(() => new Counter(), { ...policy, withinMs: 0 })).toThrow(RangeError);
    expect(() => supervise(() => new Counter(), { ...policy, isFatal: 'yes' as never })).toThrow(
      new TypeError('Expected `policy.isFatal` to be a function, got "yes"'),
    );
    expect(() => supervise(() => ({ handleRequest: () => 1 }) as never, policy)).toThrow(
      new TypeError(
        'Expected `factory` to return a handler with handleRequest and handleCommand, got an object ([object Object])',
      ),
    );
  });

  it('is a handler like any other', () => {
    const handler = supervise(() => new Counter(), { maxRestarts: 1, withinMs: 1, isFatal });
    expect(handler).toBeInstanceOf(SupervisedHandler);
    expect(handler.handleRequest({ op: 'add', n: 3 }, { signal: new AbortController().signal })).toBe(3);
    expect(handler.handleCommand({ op: 'get' }, { signal: new AbortController().signal })).toBeUndefined();
  });
});
