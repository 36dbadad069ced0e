import fc from 'fast-check';
import { AsyncSubject, firstValueFrom, NEVER, Subject, take, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import {
  CallbackWrapper,
  ModuleChannel,
  type ModuleServerStats,
  runModuleServer,
  SparkChannelCancellationToken,
  SparkGenericModuleDispatcher,
  type SparkGenericModuleHandler,
  SparkGenericModuleMessage,
  spawnModule,
} from '../lib/index.js';
import { codeOf, deferred, flush, recordingLogger } from './support/helpers.js';

interface Job {
  readonly account: string;
  readonly n: number;
}

describe('flow control', () => {
  describe('keyed ordering', () => {
    it('keeps each key one at a time and in order, while different keys run side by side', () =>
      fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ account: fc.constantFrom('a', 'b', 'c', 'd'), delay: fc.nat(3) }), {
            maxLength: 60,
          }),
          fc.integer({ min: 1, max: 4 }),
          async (jobs, concurrency) => {
            const runningKeys = new Map<string, number>();
            let running = 0;
            let maxRunning = 0;
            const order = new Map<string, number[]>();
            const { dispatcher } = spawnModule<Job & { delay: number }, number>(
              {
                handleRequest: async ({ account, n, delay }) => {
                  expect(runningKeys.get(account) ?? 0).toBe(0);
                  runningKeys.set(account, 1);
                  running++;
                  maxRunning = Math.max(maxRunning, running);
                  order.set(account, [...(order.get(account) ?? []), n]);
                  for (let i = 0; i < delay; i++) await flush();
                  runningKeys.set(account, 0);
                  running--;
                  return n;
                },
                handleCommand: () => undefined,
              },
              { concurrency, key: (job: Job) => job.account },
            );
            const answers = await Promise.all(jobs.map((job, n) => dispatcher.request({ ...job, n })));
            expect(answers).toEqual(jobs.map((_, n) => n));
            expect(maxRunning).toBeLessThanOrEqual(concurrency);
            for (const [account, seen] of order) {
              const expected = jobs.flatMap((job, n) => (job.account === account ? [n] : []));
              expect(seen).toEqual(expected);
            }
            await dispatcher.shutdown();
          },
        ),
        { numRuns: 60 },
      ));

    it('lets a free key overtake a busy one, and starts free keys in arrival order', async () => {
      const gate = deferred();
      const started: string[] = [];
      const { dispatcher } = spawnModule<Job, string>(
        {
          handleRequest: async ({ account, n }) => {
            started.push(`${account}${n}`);
            if (account === 'a' && n === 0) await gate.promise;
            return `${account}${n}`;
          },
          handleCommand: () => undefined,
        },
        { concurrency: 2, key: (job: Job) => job.account },
      );
      const answers = Promise.all([
        dispatcher.request({ account: 'a', n: 0 }), // blocks key a
        dispatcher.request({ account: 'a', n: 1 }), // waits behind a0
        dispatcher.request({ account: 'b', n: 2 }),
        dispatcher.request({ account: 'c', n: 3 }),
      ]);
      await flush();
      expect(started).toEqual(['a0', 'b2', 'c3']);
      gate.resolve();
      await expect(answers).resolves.toEqual(['a0', 'a1', 'b2', 'c3']);
    });

    it('keeps messages sent before the server subscribed, and refuses a message whose key function throws', async () => {
      const channel = new ModuleChannel<Job, string>();
      const dispatcher = new SparkGenericModuleDispatcher(channel);
      const early = dispatcher.request({ account: 'a', n: 1 });
      runModuleServer(
        { handleRequest: (j) => `${j.account}${j.n}`, handleCommand: () => undefined },
        channel,
        {
          key: (job: Job) => {
            if (job.account === 'bad') throw new RangeError('no key for bad');
            return job.account;
          },
        },
      );
      await expect(early).resolves.toBe('a1');
      // Refused as the channel refuses any message: SEND_FAILED, the key function's error as cause.
      await expect(dispatcher.request({ account: 'bad', n: 2 })).rejects.toMatchObject({
        code: 'SEND_FAILED',
        cause: new RangeError('no key for bad'),
      });
      await expect(dispatcher.sendCommand({ account: 'bad', n: 3 })).rejects.toMatchObject({
        code: 'SEND_FAILED',
      });
      await expect(dispatcher.request({ account: 'b', n: 4 })).resolves.toBe('b4');
    });

    it('rejects a key option that is not a function', () => {
      expect(() =>
        spawnModule({ handleRequest: () => 1, handleCommand: () => undefined }, { key: 'id' as never }),
      ).toThrow(/`key`/);
    });
  });

  describe('self-deadlock', () => {
    it('refuses at once a request a handler sends to its own one-at-a-time module', async () => {
      const channel = new ModuleChannel<string, string>();
      const dispatcher = new SparkGenericModuleDispatcher(channel);
      const handler: SparkGenericModuleHandler<string, string> = {
        handleRequest: async (m) => {
          if (m === 'outer') return dispatcher.request('inner'); // would wait forever
          return m;
        },
        handleCommand: async (m) => {
          if (m === 'x') await dispatcher.sendCommand('a command to itself is fine');
        },
      };
      const server = runModuleServer(handler, channel);
      const error = await dispatcher.request('outer').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'SEND_FAILED', message: expect.stringMatching(/deadlock/) });
      await dispatcher.sendCommand('x');
      await expect(dispatcher.request('still serving')).resolves.toBe('still serving');
      expect(server.stats().failed).toBe(1);
    });

    it('refuses a self-deadlocking raw request through trySend too', async () => {
      const channel = new ModuleChannel<string, string>();
      let thrown: unknown;
      runModuleServer(
        {
          handleRequest: (m) => {
            if (m === 'outer') {
              try {
                channel.trySend(
                  SparkGenericModuleMessage.Request(new CallbackWrapper('inner', new AsyncSubject())),
                );
              } catch (error: unknown) {
                thrown = error;
              }
            }
            return m;
          },
          handleCommand: () => undefined,
        },
        channel,
      );
      await expect(new SparkGenericModuleDispatcher(channel).request('outer')).resolves.toBe('outer');
      expect(thrown).toMatchObject({ code: 'SEND_FAILED', message: expect.stringMatching(/deadlock/) });
      expect(channel.size).toBe(0);
    });

    it('allows a handler to request a different key, or another module that calls back', async () => {
      const a = new ModuleChannel<Job, string>();
      const aDispatcher = new SparkGenericModuleDispatcher(a);
      runModuleServer(
        {
          handleRequest: (job) =>
            job.n > 0 ? aDispatcher.request({ account: 'other', n: job.n - 1 }) : job.account,
          handleCommand: () => undefined,
        },
        a,
        { concurrency: 2, key: (job: Job) => job.account },
      );
      await expect(aDispatcher.request({ account: 'first', n: 1 })).resolves.toBe('other');
      const sameKey = await aDispatcher
        .request({ account: 'other', n: 1 })
        .then(() => 'ok')
        .catch((e: unknown) => (e as { code: string }).code);
      expect(sameKey).toBe('SEND_FAILED');
    });

    it('does not flag a request from another module’s handler running inside this one', async () => {
      const b = spawnModule<string, string>({ handleRequest: (m) => m, handleCommand: () => undefined });
      const a = spawnModule<string, string>({
        handleRequest: (m) => m,
        // A's command triggers B synchronously; B's handler asks A, which is fine once A's command returns.
        handleCommand: () => void b.dispatcher.sendCommand('ping'),
      });
      const bChannel = new ModuleChannel<string, string>();
      const bDispatcher = new SparkGenericModuleDispatcher(bChannel);
      let answer: Promise<string> | undefined;
      runModuleServer(
        {
          handleRequest: (m) => m,
          handleCommand: () => {
            answer = a.dispatcher.request('from b');
          },
        },
        bChannel,
      );
      const trigger = spawnModule<string, string>({
        handleRequest: (m) => m,
        handleCommand: () => void bDispatcher.sendCommand('go'),
      });
      await trigger.dispatcher.sendCommand('start');
      await expect(answer).resolves.toBe('from b');
    });
  });

  describe('stats$', () => {
    it('emits the current counters on subscribe, coalesced changes, and completes on stop', async () => {
      const gate = deferred();
      const { dispatcher, server } = spawnModule<string, string>({
        handleRequest: async (m) => {
          await gate.promise;
          return m;
        },
        handleCommand: () => undefined,
      });
      const seen: ModuleServerStats[] = [];
      const done = firstValueFrom(server.stats$.pipe(toArray()));
      server.stats$.subscribe((s) => seen.push(s));
      expect(seen).toEqual([{ queued: 0, running: 0, handled: 0, failed: 0 }]);
      const answers = ['a', 'b', 'c'].map((m) => dispatcher.request(m));
      expect(seen).toHaveLength(1); // coalesced: nothing until the microtask
      await Promise.resolve();
      expect(seen[1]).toEqual({ queued: 2, running: 1, handled: 0, failed: 0 });
      gate.resolve();
      await Promise.all(answers);
      await flush();
      expect(seen[seen.length - 1]).toEqual({ queued: 0, running: 0, handled: 3, failed: 0 });
      server.stop();
      const all = await done;
      expect(all[all.length - 1]).toEqual({ queued: 0, running: 0, handled: 3, failed: 0 });
      const late = await firstValueFrom(server.stats$.pipe(toArray()));
      expect(late).toEqual([{ queued: 0, running: 0, handled: 3, failed: 0 }]);
    });

    it('tracks the queue length for a UI, withdrawals included', async () => {
      const { dispatcher, server } = spawnModule<string, string>({
        handleRequest: () => NEVER,
        handleCommand: () => undefined,
      });
      const queued: number[] = [];
      server.stats$.subscribe((s) => queued.push(s.queued));
      const controller = new AbortController();
      void dispatcher.request('running').catch(() => undefined);
      void dispatcher.request('queued', { signal: controller.signal }).catch(() => undefined);
      await Promise.resolve();
      controller.abort();
      await Promise.resolve();
      expect(queued).toEqual([0, 1, 0]);
      server.stop();
    });
  });

  describe('drain', () => {
    it('lets queued work finish and reports it', async () => {
      const { dispatcher, server } = spawnModule<string, string>({
        handleRequest: async (m) => {
          await flush();
          if (m === 'bad') throw new Error('bad');
          return m;
        },
        handleCommand: () => undefined,
      });
      const answers = ['a', 'bad', 'c'].map((m) => dispatcher.requestResult(m));
      const drained = server.drain(60_000);
      await expect(codeOf(dispatcher.request('late'))).resolves.toBe('SEND_FAILED');
      await expect(drained).resolves.toEqual({
        outcome: 'drained',
        handled: 3,
        failed: 1,
        refused: 1,
        aborted: 0,
      });
      expect((await Promise.all(answers)).map((r) => r.ok)).toEqual([true, false, true]);
      await expect(server.drain(10)).resolves.toEqual({
        outcome: 'stopped',
        handled: 0,
        failed: 0,
        refused: 0,
        aborted: 0,
      });
    });

    it('stops at the deadline, aborting what is left (virtual time)', async () => {
      let report: unknown;
      new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, flush: run }) => {
        const logger = recordingLogger();
        const { dispatcher, server } = spawnModule<string, string>(
          { handleRequest: (m) => cold('----------a|', { a: m }), handleCommand: () => cold('-----|') },
          { logger },
        );
        const outcomes: string[] = [];
        for (const m of ['running', 'queued']) {
          dispatcher
            .request$(m)
            .subscribe({ error: (e: { code: string }) => outcomes.push(`${m}: ${e.code}`) });
        }
        void dispatcher.sendCommand('queued command');
        void server.drain(4).then((r) => (report = r));
        run();
        expect(outcomes).toEqual(['running: RECEIVE_FAILED', 'queued: RECEIVE_FAILED']);
        expect(server.isRunning).toBe(false);
        expect(logger.warnings[0]?.[0]).toMatch(/1 queued command/);
      });
      await flush();
      expect(report).toEqual({ outcome: 'deadline', handled: 0, failed: 0, refused: 0, aborted: 3 });
    });

    it('waits for a Shutdown already under way, and rejects a bad deadline', async () => {
      const { dispatcher, server } = spawnModule<string, string>({
        handleRequest: async (m) => (await flush(), m),
        handleCommand: () => undefined,
      });
      await expect(server.drain(0)).rejects.toThrow(/`deadlineMs`/);
      await expect(server.drain(Number.NaN)).rejects.toThrow(RangeError);
      const answer = dispatcher.request('in flight');
      const token = new SparkChannelCancellationToken();
      const shutdown = dispatcher.shutdown(token);
      await expect(server.drain(Infinity)).resolves.toEqual({
        outcome: 'drained',
        handled: 1,
        failed: 0,
        refused: 0,
        aborted: 0,
      });
      await expect(answer).resolves.toBe('in flight');
      await shutdown;
      expect(token.isCancelled).toBe(true);
    });
  });

  describe('rate limit and stop', () => {
    it('refuses sends waiting for the rate limit at once when the server stops', async () => {
      const { dispatcher, server } = spawnModule<string, string>(
        { handleRequest: (m) => m, handleCommand: () => undefined },
        { rateLimit: { limit: 1, intervalMs: 60_000 } },
      );
      await dispatcher.request('first');
      const waiting = [dispatcher.request('r'), dispatcher.sendCommand('c')].map(codeOf);
      server.stop();
      await expect(Promise.all(waiting)).resolves.toEqual(['SEND_FAILED', 'SEND_FAILED']);
      await expect(codeOf(dispatcher.sendCommand('after'))).resolves.toBe('SEND_FAILED');
    });

    it('takes no rate-limit slot for a refused trySendCommand', () => {
      const { dispatcher, server } = spawnModule<string, string>(
        { handleRequest: () => NEVER, handleCommand: () => NEVER },
        { capacity: 1, rateLimit: { limit: 3, intervalMs: 60_000 } },
      );
      const outcomes: string[] = [];
      for (let i = 0; i < 5; i++) {
        try {
          dispatcher.trySendCommand(`c${i}`);
          outcomes.push('ok');
        } catch (error: unknown) {
          outcomes.push((error as { code: string }).code);
        }
      }
      expect(outcomes).toEqual(['ok', 'ok', 'CHANNEL_FULL', 'CHANNEL_FULL', 'CHANNEL_FULL']);
      server.stop();
      expect(() => dispatcher.trySendCommand('closed')).toThrow(
        expect.objectContaining({ code: 'SEND_FAILED' }),
      );
    });
  });

  describe('Shutdown token errors', () => {
    it('rejects (never throws) when a token’s cancel() throws on a stopped server', async () => {
      const channel = new ModuleChannel<string, string, { cancel(): void }>();
      const server = runModuleServer({ handleRequest: (m) => m, handleCommand: () => undefined }, channel);
      server.stop();
      const dispatcher = new SparkGenericModuleDispatcher(channel);
      const bad = {
        cancel: () => {
          throw new Error('cannot cancel');
        },
      };
      let result: Promise<void> | undefined;
      expect(() => (result = dispatcher.shutdown(bad))).not.toThrow();
      await expect(result).rejects.toThrow('cannot cancel');
    });
  });

  describe('request$ and Subjects', () => {
    it('serves a handler that answers from a shared Subject', async () => {
      const prices = new Subject<number>();
      const { dispatcher } = spawnModule<string, number>({
        handleRequest: () => prices.pipe(take(1)),
        handleCommand: () => undefined,
      });
      const next = dispatcher.request('next price');
      prices.next(42);
      await expect(next).resolves.toBe(42);
    });
  });
});

describe('cancellation and errors$', () => {
  it('does not report the failure of a request its caller gave up on', async () => {
    const { dispatcher, server } = spawnModule<string, string>({
      handleRequest: (_, { signal }) =>
        new Promise<string>((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        ),
      handleCommand: () => undefined,
    });
    const errors: unknown[] = [];
    server.errors$.subscribe((e) => errors.push(e));
    const controller = new AbortController();
    const answer = dispatcher.request('x', { signal: controller.signal });
    controller.abort();
    await expect(codeOf(answer)).resolves.toBe('CANCELLED');
    await flush();
    expect(errors).toEqual([]);
    expect(server.stats()).toMatchObject({ handled: 1, failed: 0 });
  });

  it('lets a caller that reacts synchronously to a thrown handler error send again at once', async () => {
    const { dispatcher } = spawnModule<string, string>({
      handleRequest: (m) => {
        if (m === 'bad') throw new Error('bad');
        return m;
      },
      handleCommand: () => undefined,
    });
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      dispatcher.request$('bad').subscribe({
        error: () => {
          // still synchronous with the failed handler's answer
          dispatcher.request$('good').subscribe((v) => {
            seen.push(v);
            resolve();
          });
        },
      });
    });
    expect(seen).toEqual(['good']);
  });
});
