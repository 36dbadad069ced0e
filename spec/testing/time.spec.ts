import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { isSparkChannelError, type SparkGenericModuleDispatcher } from '../../lib/index.js';
import { createProbe, type ProbeRequest } from '../../lib/testing/index.js';
import { isSettled } from '../support/helpers.js';

// Deterministic time: the probe's clock is the module's `scheduler` option. Under jest's modern
// fake timers the default asyncScheduler follows the fake clock; a TestScheduler runs it in
// virtual time, passed as `scheduler` or patched in by `testScheduler.run`.

type Msg = { type: 'GetUser'; id: number } | { type: 'LogEvent'; event: string };
type User = { type: 'User'; name: string };

/** The code under test: asks for a user, and falls back to a guest when the module is too slow. */
class UserService {
  constructor(private readonly users: SparkGenericModuleDispatcher<Msg, User>) {}

  async load(id: number): Promise<string> {
    try {
      return (await this.users.request({ type: 'GetUser', id }, { timeoutMs: 500 })).name;
    } catch (error: unknown) {
      if (isSparkChannelError(error, 'TIMEOUT')) return 'guest';
      throw error;
    }
  }
}

describe('under jest fake timers', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('a request left hanging times out when the fake clock reaches timeoutMs', async () => {
    const probe = createProbe<Msg, User>();
    const loading = new UserService(probe.dispatcher).load(7);
    const request = await probe.expectRequest({ type: 'GetUser', id: 7 });
    await jest.advanceTimersByTimeAsync(499);
    expect(await isSettled(loading)).toBe(false);
    expect(request.signal.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await expect(loading).resolves.toBe('guest');
    expect(request.signal.aborted).toBe(true);
    expect(request.status).toBe('abandoned');
    probe.stop();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('an answer in time wins over the timeout', async () => {
    const probe = createProbe<Msg, User>();
    const loading = new UserService(probe.dispatcher).load(7);
    const request = await probe.expectRequest();
    await jest.advanceTimersByTimeAsync(499);
    request.reply({ type: 'User', name: 'Ada' });
    await expect(loading).resolves.toBe('Ada');
    expect(jest.getTimerCount()).toBe(0); // the caller's timeout was cleared
    probe.stop();
  });

  it('a rate-limit window opens when the fake clock says so', async () => {
    const probe = createProbe<Msg, User>({ rateLimit: { limit: 2, intervalMs: 1_000 } });
    for (const event of ['a', 'b', 'c']) void probe.dispatcher.sendCommand({ type: 'LogEvent', event });
    await probe.expectCommand({ event: 'a' });
    await probe.expectCommand({ event: 'b' });
    const third = probe.expectCommand({ event: 'c' }, { waitMs: 5_000 });
    await jest.advanceTimersByTimeAsync(999);
    expect(probe.received).toHaveLength(2);
    expect(await isSettled(third)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await expect(third).resolves.toEqual({ type: 'LogEvent', event: 'c' });
    probe.stop();
  });

  it('a drain deadline runs on the fake clock: a request left hanging is cut off at the deadline', async () => {
    const probe = createProbe<Msg, User>();
    const loading = probe.dispatcher.request({ type: 'GetUser', id: 1 });
    await probe.expectRequest();
    const cutOff = expect(loading).rejects.toMatchObject({ code: 'RECEIVE_FAILED' });
    const drained = probe.server.drain(100);
    await jest.advanceTimersByTimeAsync(99);
    expect(await isSettled(drained)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await expect(drained).resolves.toMatchObject({ outcome: 'deadline', aborted: 1 });
    await cutOff;
  });

  it('an expect call waits waitMs on the fake clock, not the real one', async () => {
    const probe = createProbe<Msg, User>({ waitMs: 1_000 });
    const expecting = probe.expectCommand().catch((error: Error) => error.message);
    await jest.advanceTimersByTimeAsync(999);
    expect(await isSettled(expecting)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await expect(expecting).resolves.toMatch(/nothing arrived within 1000 ms/);
    probe.stop();
  });
});

describe('under a TestScheduler', () => {
  const testScheduler = (): TestScheduler =>
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

  it('marbles: a request left hanging errors with TIMEOUT at frame timeoutMs', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const probe = createProbe<Msg, User>({ scheduler });
      expectObservable(probe.dispatcher.request$({ type: 'GetUser', id: 7 }, { timeoutMs: 3 })).toBe(
        '---#',
        undefined,
        expect.objectContaining({ code: 'TIMEOUT' }),
      );
    });
  });

  it('marbles: run() patches the default clock, and a reply at frame 2 arrives at frame 2', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const probe = createProbe<Msg, User>(); // no scheduler: asyncScheduler, patched by run()
      const name$ = probe.dispatcher
        .request$({ type: 'GetUser', id: 7 }, { timeoutMs: 5 })
        .pipe(map((user) => user.name));
      cold('--r').subscribe(() =>
        (probe.received[0] as ProbeRequest<Msg, User>).reply({ type: 'User', name: 'Ada' }),
      );
      expectObservable(name$).toBe('--(a|)', { a: 'Ada' });
      expectObservable(probe.dispatcher.request$({ type: 'GetUser', id: 8 }, { timeoutMs: 5 })).toBe(
        '-----#',
        undefined,
        expect.objectContaining({ code: 'TIMEOUT' }),
      );
    });
  });

  it('outside run(): the scheduler option is the clock of the drain deadline too', async () => {
    const scheduler = testScheduler();
    const probe = createProbe<Msg, User>({ scheduler });
    const loading = probe.dispatcher.request({ type: 'GetUser', id: 1 });
    await probe.expectRequest(undefined, { waitMs: 0 });
    const cutOff = expect(loading).rejects.toMatchObject({ code: 'RECEIVE_FAILED' });
    const drained = probe.server.drain(500);
    scheduler.flush(); // the virtual clock jumps to the deadline (a TestScheduler flushes up to 750 ms outside run())
    await expect(drained).resolves.toMatchObject({ outcome: 'deadline', aborted: 1 });
    await cutOff;
  });

  it('outside run(): flush() fires the timeout of a promise-based caller', async () => {
    const scheduler = testScheduler();
    const probe = createProbe<Msg, User>({ scheduler });
    const loading = new UserService(probe.dispatcher).load(7);
    await probe.expectRequest(undefined, { waitMs: 0 });
    scheduler.flush();
    await expect(loading).resolves.toBe('guest');
    probe.stop();
  });
});
