import { lastValueFrom, NEVER, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { SparkGenericModuleDispatcher, ModuleChannel, spawnModule } from '../lib/index.js';
import { codeOf, deferred } from './support/helpers.js';

type Msg = { op: 'hang' | 'ok'; n: number };
const handler = {
  handleRequest: (m: Msg) => (m.op === 'hang' ? NEVER : m.n),
  handleCommand: () => undefined,
};

describe('the module clock (option scheduler)', () => {
  it('times requests out on the given scheduler', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { dispatcher, server } = spawnModule(handler, { scheduler, timeoutMs: 500 });
    const pending = codeOf(dispatcher.request({ op: 'hang', n: 1 }));
    scheduler.flush(); // 500 virtual ms pass at once
    expect(await pending).toBe('TIMEOUT');
    server.stop();
  });

  it('runs rate-limit windows on it', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { dispatcher, server } = spawnModule(handler, {
      scheduler,
      rateLimit: { limit: 1, intervalMs: 1_000 },
    });
    const sent: number[] = [];
    const a = dispatcher.sendCommand({ op: 'ok', n: 1 }).then(() => sent.push(scheduler.now()));
    const b = dispatcher.sendCommand({ op: 'ok', n: 2 }).then(() => sent.push(scheduler.now()));
    await a;
    scheduler.flush();
    await b;
    expect(sent).toEqual([0, 1_000]);
    server.stop();
  });

  it('runs drain deadlines on it', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { dispatcher, server } = spawnModule(handler, { scheduler });
    const pending = codeOf(dispatcher.request({ op: 'hang', n: 1 }));
    const report = server.drain(2_000);
    scheduler.flush();
    await expect(report).resolves.toMatchObject({ outcome: 'deadline', aborted: 1 });
    expect(await pending).toBe('RECEIVE_FAILED');
  });

  it('is driven by TestScheduler marbles where the code is purely observable', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ expectObservable }) => {
      const { dispatcher, server } = spawnModule(handler, { scheduler: testScheduler });
      expectObservable(dispatcher.request$({ op: 'ok', n: 7 })).toBe('(a|)', { a: 7 });
      // The handler never answers: the 300 ms timeout fires in virtual time.
      expectObservable(dispatcher.request$({ op: 'hang', n: 1 }, { timeoutMs: 300 })).toBe(
        '300ms #',
        undefined,
        expect.objectContaining({ code: 'TIMEOUT' }) as unknown,
      );
      testScheduler.schedule(() => server.stop(), 1_000);
    });
  });

  it('follows jest fake timers with the default scheduler', async () => {
    jest.useFakeTimers();
    try {
      const { dispatcher, server } = spawnModule(handler);
      const settled = deferred<string>();
      void codeOf(dispatcher.request({ op: 'hang', n: 1 }, { timeoutMs: 10_000 })).then(settled.resolve);
      await jest.advanceTimersByTimeAsync(9_999);
      let done = false;
      void settled.promise.then(() => (done = true));
      await Promise.resolve();
      expect(done).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(await settled.promise).toBe('TIMEOUT');
      server.stop();
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses a scheduler that is not one, naming it', () => {
    expect(() => new SparkGenericModuleDispatcher(new ModuleChannel(), { scheduler: {} as never })).toThrow(
      new TypeError(
        'Expected `scheduler` to be an RxJS scheduler (now() and schedule()), got an object ([object Object])',
      ),
    );
    expect(() => spawnModule(handler, { scheduler: Date as never })).toThrow(TypeError);
  });

  it('keeps the module on real time when none is given', async () => {
    const { dispatcher, server } = spawnModule(handler);
    await expect(lastValueFrom(dispatcher.request$({ op: 'ok', n: 3 }))).resolves.toBe(3);
    server.stop();
  });
});
