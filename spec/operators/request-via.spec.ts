import fc from 'fast-check';
import { EMPTY, from, lastValueFrom, map, Observable, of, Subject, switchMap, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import {
  createRouter,
  type HandlerContext,
  requestVia,
  type RequestStrategy,
  spawnModule,
  spawnTypedModule,
} from '../../lib/index.js';
import { flush, recordingLogger } from '../support/helpers.js';

/** Runs fast-check's scheduled tasks one by one (and lets their callbacks run) until `result` settles. */
async function drive<T>(s: fc.Scheduler, result: Promise<T>): Promise<T> {
  let settled = false;
  result.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    if (s.count() > 0) await s.waitOne();
    else await flush();
  }
  return result;
}

const scheduler = (): TestScheduler =>
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/**
 * A module whose request handler answers `message.toUpperCase()` after `delay` frames (a cold
 * observable, so it runs in virtual time), recording when each handler started and when its
 * `context.signal` aborted.
 */
function upperModule(
  cold: (marbles: string, values?: Record<string, string>) => Observable<string>,
  now: () => number,
  options: { delay?: string; concurrency?: number } = {},
) {
  const started: Record<string, number> = {};
  const aborted: Record<string, number> = {};
  const { dispatcher, server } = spawnModule<string, string>(
    {
      handleRequest: (message: string, context: HandlerContext) => {
        started[message] = now();
        context.signal.addEventListener('abort', () => (aborted[message] = now()));
        if (message === 'boom') throw new Error('boom');
        return cold(options.delay ?? '--(x|)', { x: message.toUpperCase() });
      },
      handleCommand: () => EMPTY,
    },
    { concurrency: options.concurrency ?? 1, logger: recordingLogger() },
  );
  return { dispatcher, server, started, aborted };
}

describe('requestVia', () => {
  describe('strategies (virtual time)', () => {
    it("'concat' (the default) sends one request at a time, in order", () => {
      const s = scheduler();
      s.run(({ cold, hot, expectObservable, flush }) => {
        const { dispatcher, started } = upperModule(cold, () => s.now());
        const source = hot('-ab-----|');
        expectObservable(source.pipe(requestVia(dispatcher))).toBe('---A-B--|', { A: 'A', B: 'B' });
        flush();
        // b waited for a's answer before it was even sent.
        expect(started).toEqual({ a: 1, b: 3 });
      });
    });

    it("'merge' sends as values come, up to `concurrency`, answering as responses arrive", () => {
      const s = scheduler();
      s.run(({ cold, hot, expectObservable, flush }) => {
        const { dispatcher, started } = upperModule(cold, () => s.now(), {
          concurrency: 4,
          delay: '---(x|)',
        });
        const source = hot('-abc------|');
        expectObservable(source.pipe(requestVia(dispatcher, { strategy: 'merge', concurrency: 2 }))).toBe(
          '----AB-C--|',
          { A: 'A', B: 'B', C: 'C' },
        );
        flush();
        // c waited for a free slot: a's answer at frame 4.
        expect(started).toEqual({ a: 1, b: 2, c: 4 });
      });
    });

    it("'merge' without a concurrency sends every value at once", () => {
      const s = scheduler();
      s.run(({ cold, hot, expectObservable, flush }) => {
        const { dispatcher, started } = upperModule(cold, () => s.now(), { concurrency: 4 });
        expectObservable(hot('-abc-----|').pipe(requestVia(dispatcher, { strategy: 'merge' }))).toBe(
          '---ABC---|',
          { A: 'A', B: 'B', C: 'C' },
        );
        flush();
        expect(started).toEqual({ a: 1, b: 2, c: 3 });
      });
    });

    it("'switch' aborts the running request a newer value supersedes: its handler sees context.signal", () => {
      const s = scheduler();
      s.run(({ cold, hot, expectObservable, flush }) => {
        const { dispatcher, started, aborted } = upperModule(cold, () => s.now(), { delay: '---(x|)' });
        const source = hot('-a-b--------|');
        expectObservable(source.pipe(requestVia(dispatcher, { strategy: 'switch' }))).toBe('------B-----|', {
          B: 'B',
        });
        flush();
        // a was running when b came: its signal aborted at once, and the server unsubscribed from
        // its observable, so the slot was free for b at once, at frame 3.
        expect(started).toEqual({ a: 1, b: 3 });
        expect(aborted).toEqual({ a: 3 });
      });
    });

    it("'switch' withdraws a queued request a newer value supersedes: it never starts", () => {
      const s = scheduler();
      s.run(({ cold, hot, expectObservable, flush }) => {
        const { dispatcher, started, aborted } = upperModule(cold, () => s.now(), { delay: '-----(x|)' });
        // Someone else's request keeps the module busy until frame 5.
        expectObservable(dispatcher.request$('busy')).toBe('-----(x|)', { x: 'BUSY' });
        const source = hot('-ab----------|');
        expectObservable(source.pipe(requestVia(dispatcher, { strategy: 'switch' }))).toBe('----------B--|', {
          B: 'B',
        });
        flush();
        expect(started).toEqual({ busy: 0, b: 5 });
        expect(aborted).toEqual({});
      });
    });

    it("'exhaust' drops values that arrive while a request is in flight: they are never sent", () => {
      const s = scheduler();
      s.run(({ cold, hot, expectObservable, flush }) => {
        const { dispatcher, started } = upperModule(cold, () => s.now());
        expectObservable(hot('-ab--c-----|').pipe(requestVia(dispatcher, { strategy: 'exhaust' }))).toBe(
          '---A---C---|',
          { A: 'A', C: 'C' },
        );
        flush();
        expect(started).toEqual({ a: 1, c: 5 });
      });
    });
  });

  describe('cancellation (virtual time)', () => {
    it('unsubscribing from the pipeline aborts the running request and withdraws the queued ones', () => {
      const s = scheduler();
      s.run(({ cold, hot, expectObservable, flush }) => {
        const { dispatcher, started, aborted } = upperModule(cold, () => s.now(), { delay: '----(x|)' });
        const source = hot('-abc--');
        expectObservable(source.pipe(requestVia(dispatcher, { strategy: 'merge' })), '^--!').toBe('---');
        flush();
        // a was running: its signal aborted at frame 3. b and c were queued behind it: once a's
        // handler returned (frame 5), the module had nothing left to start.
        expect(started).toEqual({ a: 1 });
        expect(aborted).toEqual({ a: 3 });
      });
    });

    it('aborts requests in flight with the pipeline signal (CANCELLED errors the pipeline)', () => {
      const s = scheduler();
      s.run(({ cold, hot, expectObservable, flush }) => {
        const { dispatcher, aborted } = upperModule(cold, () => s.now(), { delay: '----(x|)' });
        const controller = new AbortController();
        s.schedule(() => controller.abort(), 2);
        expectObservable(hot('-a--').pipe(requestVia(dispatcher, { signal: controller.signal }))).toBe(
          '--#',
          undefined,
          expect.objectContaining({ code: 'CANCELLED' }),
        );
        flush();
        expect(aborted).toEqual({ a: 2 });
      });
    });

    it('times each request out after timeoutMs (TIMEOUT errors the pipeline)', () => {
      const s = scheduler();
      s.run(({ cold, hot, expectObservable }) => {
        const { dispatcher } = upperModule(cold, () => s.now(), { delay: '-----(x|)' });
        expectObservable(hot('-a--').pipe(requestVia(dispatcher, { timeoutMs: 3 }))).toBe(
          '----#',
          undefined,
          expect.objectContaining({ code: 'TIMEOUT' }),
        );
      });
    });
  });

  describe('failures', () => {
    it("errors the pipeline with the handler's own error; the module goes on", () => {
      const s = scheduler();
      s.run(({ cold, hot, expectObservable }) => {
        const { dispatcher } = upperModule(cold, () => s.now());
        const source = hot('-a--x-c-|', { a: 'a', x: 'boom', c: 'c' });
        expectObservable(source.pipe(requestVia(dispatcher))).toBe('---A#', { A: 'A' }, new Error('boom'));
        expectObservable(cold('-----x|').pipe(switchMap(() => dispatcher.request$('after')))).toBe(
          '-------(x|)',
          { x: 'AFTER' },
        );
      });
    });

    it("with onHandlerError: 'skip', drops a value whose handler failed and goes on (the failure is on errors$)", () => {
      const s = scheduler();
      s.run(({ cold, hot, expectObservable }) => {
        const { dispatcher, server } = upperModule(cold, () => s.now());
        const source = hot('-a--x-c---|', { a: 'a', x: 'boom', c: 'c' });
        expectObservable(source.pipe(requestVia(dispatcher, { onHandlerError: 'skip' }))).toBe(
          '---A----C-|',
          {
            A: 'A',
            C: 'C',
          },
        );
        expectObservable(server.errors$.pipe(map(({ kind, message }) => `${kind} ${message}`))).toBe(
          '----e',
          {
            e: 'request boom',
          },
        );
      });
    });

    it("with onHandlerError: 'skip', still errors the pipeline with the library's own failures", () => {
      const s = scheduler();
      s.run(({ cold, hot, expectObservable }) => {
        const { dispatcher } = upperModule(cold, () => s.now(), { delay: '-----(x|)' });
        expectObservable(
          hot('-a--').pipe(requestVia(dispatcher, { onHandlerError: 'skip', timeoutMs: 2 })),
        ).toBe('---#', undefined, expect.objectContaining({ code: 'TIMEOUT' }));
      });
    });

    it('errors the pipeline with INVALID_RESPONSE_TYPE when the guard refuses a response', async () => {
      const { dispatcher } = spawnModule<string, string | number>({
        handleRequest: (m) => (m === 'n' ? 1 : m),
        handleCommand: () => undefined,
      });
      const isText = (r: string | number): r is string => typeof r === 'string';
      const out = lastValueFrom(from(['a', 'n']).pipe(requestVia(dispatcher, { guard: isText }), toArray()));
      await expect(out).rejects.toMatchObject({ code: 'INVALID_RESPONSE_TYPE' });
      await expect(
        lastValueFrom(from(['a', 'b']).pipe(requestVia(dispatcher, { guard: isText }), toArray())),
      ).resolves.toEqual(['a', 'b']);
      await dispatcher.shutdown();
    });

    it('errors the pipeline with SEND_FAILED once the module has stopped', async () => {
      const { dispatcher, server } = spawnModule<string, string>({
        handleRequest: (m) => m,
        handleCommand: () => undefined,
      });
      server.stop();
      await expect(lastValueFrom(of('a').pipe(requestVia(dispatcher)))).rejects.toMatchObject({
        code: 'SEND_FAILED',
      });
    });
  });

  describe('options', () => {
    const { dispatcher } = spawnModule<string, string>({
      handleRequest: (m) => m,
      handleCommand: () => undefined,
    });
    afterAll(() => dispatcher.shutdown());

    it.each([
      [
        { strategy: 'latest' },
        RangeError,
        /`strategy` to be 'concat', 'merge', 'switch' or 'exhaust', got "latest"/,
      ],
      [{ strategy: 'toString' }, RangeError, /`strategy`/],
      [{ strategy: 3 }, RangeError, /`strategy`/],
      [{ concurrency: 2 }, RangeError, /`concurrency` only with strategy 'merge', got strategy 'concat'/],
      [{ strategy: 'switch', concurrency: 2 }, RangeError, /got strategy 'switch'/],
      [
        { strategy: 'merge', concurrency: 0 },
        RangeError,
        /`concurrency` to be a positive integer or Infinity/,
      ],
      [{ strategy: 'merge', concurrency: 1.5 }, RangeError, /`concurrency`/],
      [{ timeoutMs: 0 }, RangeError, /`timeoutMs`/],
      [{ signal: 'abort' }, TypeError, /`signal` to be an AbortSignal/],
      [{ guard: 'string' }, TypeError, /`guard` to be a type predicate or a class/],
      [{ onHandlerError: 'ignore' }, RangeError, /`onHandlerError` to be 'error' or 'skip', got "ignore"/],
    ])('throws at once for %p', (options, type, message) => {
      expect(() => requestVia(dispatcher, options as never)).toThrow(type);
      expect(() => requestVia(dispatcher, options as never)).toThrow(message);
    });

    it('throws a TypeError for options that are not an object, or no dispatcher', () => {
      expect(() => requestVia(dispatcher, 'switch' as never)).toThrow(/`options`/);
      expect(() => requestVia({} as never)).toThrow(
        /Expected `dispatcher` to be a SparkGenericModuleDispatcher or a TypedDispatcher, got an object/,
      );
    });

    it('accepts Infinity for concurrency and timeoutMs', async () => {
      const op = requestVia(dispatcher, { strategy: 'merge', concurrency: Infinity, timeoutMs: Infinity });
      await expect(lastValueFrom(from(['a', 'b']).pipe(op, toArray()))).resolves.toEqual(['a', 'b']);
    });
  });

  it('takes a TypedDispatcher: the response type follows the message type', async () => {
    type Api = {
      GetData: { request: { key: string }; response: number[] };
      Count: { request: object; response: number };
    };
    const { dispatcher } = spawnTypedModule(
      createRouter<Api>({ GetData: { request: ({ key }) => [key.length] }, Count: { request: () => 2 } }),
    );
    const keys$ = from(['a', 'bb']).pipe(map((key) => ({ type: 'GetData' as const, key })));
    await expect(lastValueFrom(keys$.pipe(requestVia(dispatcher), toArray()))).resolves.toEqual([[1], [2]]);
    await dispatcher.shutdown();
  });

  describe('ordering (properties)', () => {
    it("'concat' answers every value once, in source order, whatever the handlers' timing", () =>
      fc.assert(
        fc.asyncProperty(fc.array(fc.integer()), fc.scheduler(), async (xs, s) => {
          const { dispatcher } = spawnModule<number, number>({
            handleRequest: (x) => s.schedule(Promise.resolve(x * 2)),
            handleCommand: () => undefined,
          });
          const out = lastValueFrom(from(xs).pipe(requestVia(dispatcher), toArray()));
          expect(await drive(s, out)).toEqual(xs.map((x) => x * 2));
          await dispatcher.shutdown();
        }),
      ));

    it.each<[RequestStrategy, number]>([
      ['merge', 1],
      ['merge', 3],
      ['concat', 1],
    ])("'%s' (concurrency %p) on a concurrent module answers every value exactly once", (strategy, n) =>
      fc.assert(
        fc.asyncProperty(fc.array(fc.integer(), { maxLength: 20 }), fc.scheduler(), async (xs, s) => {
          const { dispatcher } = spawnModule<number, number>(
            { handleRequest: (x) => s.schedule(Promise.resolve(x)), handleCommand: () => undefined },
            { concurrency: 4 },
          );
          const options = strategy === 'merge' ? { strategy, concurrency: n } : { strategy };
          const out = lastValueFrom(from(xs).pipe(requestVia(dispatcher, options), toArray()));
          const answers = await drive(s, out);
          expect([...answers].sort((a, b) => a - b)).toEqual([...xs].sort((a, b) => a - b));
          await dispatcher.shutdown();
        }),
      ),
    );

    it("'switch' answers exactly the values nothing superseded, and never starts one superseded while queued", () =>
      fc.assert(
        fc.asyncProperty(fc.array(fc.boolean(), { maxLength: 20 }), async (waitAfter) => {
          // waitAfter[i]: whether the source lets value i be answered before sending the next one.
          const started: number[] = [];
          const { dispatcher } = spawnModule<number, number>({
            handleRequest: (x) => {
              started.push(x);
              return Promise.resolve(x);
            },
            handleCommand: () => undefined,
          });
          const source = new Subject<number>();
          const done = lastValueFrom(source.pipe(requestVia(dispatcher, { strategy: 'switch' }), toArray()));
          for (const [i, wait] of waitAfter.entries()) {
            source.next(i);
            if (wait) await flush();
          }
          source.complete();
          const last = waitAfter.length - 1;
          const answered = waitAfter.flatMap((wait, i) => (wait || i === last ? [i] : []));
          expect(await done).toEqual(answered);
          // A superseded value started only if the module was idle when it was sent (the first
          // value, or one sent after a wait): it was running, and was aborted. Any other was
          // withdrawn while queued behind that one, and never started.
          const idleWhenSent = (i: number): boolean => i === 0 || waitAfter[i - 1] === true;
          expect(started.filter((i) => !answered.includes(i)).every(idleWhenSent)).toBe(true);
          expect(started).toEqual([...started].sort((a, b) => a - b));
          await dispatcher.shutdown();
        }),
      ));
  });
});
