/** @jest-environment jsdom */
// moduleResource under Angular's TestBed with zoneless change detection: a request as a resource
// that reloads when its params signal changes, aborts the request it supersedes (a queued one never
// starts, a running one sees context.signal abort), and shows our errors with their codes. The
// type-level checks compile only if the types hold (`npm run typecheck`, and ts-jest).
import '../support/angular-testbed';

import {
  ApplicationRef,
  Injector,
  provideZonelessChangeDetection,
  type ResourceRef,
  runInInjectionContext,
  signal,
} from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { expectTypeOf } from 'expect-type';

import { moduleResource } from '../../lib/angular/index.js';
import {
  createRouter,
  type HandlerContext,
  isSparkChannelError,
  spawnModule,
  spawnTypedModule,
  SparkChannelError,
} from '../../lib/index.js';

type Api = {
  Search: { request: { query: string }; response: string[] };
  Count: { request: object; response: number };
  Hold: { command: object };
  Log: { command: { event: string } };
};

/** A promise and the function that resolves it. */
function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((done, fail) => ((resolve = done), (reject = fail)));
  return { promise, resolve, reject };
}

/**
 * A search module whose answers the test releases: `started` lists the queries whose handler ran,
 * `aborted` those whose context.signal aborted while they ran (the handler then gives up, as a
 * well-behaved one does, freeing the module for the next message); `Hold` keeps the module busy until
 * `release()`, so that requests sent meanwhile wait in its mailbox.
 */
function searchModule() {
  const started: string[] = [];
  const aborted: string[] = [];
  const answers = new Map<string, ReturnType<typeof deferred<string[]>>>();
  const answer = (query: string) => {
    let entry = answers.get(query);
    if (entry === undefined) answers.set(query, (entry = deferred<string[]>()));
    return entry;
  };
  let hold = deferred();
  const router = createRouter<Api>({
    Search: {
      request: ({ query }, { signal }: HandlerContext) => {
        started.push(query);
        const onAbort = (): void => {
          aborted.push(query);
          answer(query).reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        return answer(query).promise;
      },
    },
    Count: { request: () => started.length },
    Hold: { command: () => hold.promise },
    Log: { command: () => undefined },
  });
  const module = spawnTypedModule(router);
  return {
    ...module,
    started,
    aborted,
    reply: (query: string, results: string[]) => answer(query).resolve(results),
    release: () => {
      hold.resolve();
      hold = deferred();
    },
  };
}

/** Runs change detection (the resource's effect starts a load), then lets promises settle. */
async function flush(): Promise<void> {
  TestBed.tick();
  for (let i = 0; i < 10; i++) await Promise.resolve();
  TestBed.tick();
}

/** Waits until every load in flight has settled (a resource holds a PendingTask while it loads). */
async function stable(): Promise<void> {
  TestBed.tick();
  await TestBed.inject(ApplicationRef).whenStable();
}

beforeEach(() => {
  TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection()] });
});

describe('moduleResource', () => {
  it('loads the response of the params message, typed by the definition, and reloads when params change', async () => {
    const search = searchModule();
    const query = signal('an');
    const results = TestBed.runInInjectionContext(() =>
      moduleResource(search.dispatcher, () => ({ type: 'Search', query: query() })),
    );
    expectTypeOf(results).toEqualTypeOf<ResourceRef<string[] | undefined>>();
    expect(results.status()).toBe('loading');

    await flush();
    expect(search.started).toEqual(['an']);
    expect(results.isLoading()).toBe(true);
    search.reply('an', ['angular', 'ant']);
    await stable();
    expect(results.value()).toEqual(['angular', 'ant']);
    expect(results.status()).toBe('resolved');
    expect(results.isLoading()).toBe(false);

    query.set('rx');
    await flush();
    expect(results.isLoading()).toBe(true);
    search.reply('rx', ['rxjs']);
    await stable();
    expect(results.value()).toEqual(['rxjs']);
    expect(search.started).toEqual(['an', 'rx']);
    expect(search.aborted).toEqual([]); // each answered before the next: nothing superseded
    search.server.stop();
  });

  it('is idle while params give undefined: nothing is sent until they give a message', async () => {
    const search = searchModule();
    const query = signal<string | undefined>(undefined);
    const results = TestBed.runInInjectionContext(() =>
      moduleResource(search.dispatcher, () => {
        const q = query();
        return q === undefined ? undefined : { type: 'Search', query: q };
      }),
    );
    await flush();
    expect(results.status()).toBe('idle');
    expect(results.value()).toBeUndefined();
    expect(search.server.stats()).toMatchObject({ queued: 0, running: 0, handled: 0 });

    query.set('ng');
    await flush();
    search.reply('ng', ['ng']);
    await stable();
    expect(results.value()).toEqual(['ng']);

    query.set(undefined); // back to idle: the value goes, nothing more is sent
    await flush();
    expect(results.status()).toBe('idle');
    expect(results.value()).toBeUndefined();
    expect(search.server.stats().handled).toBe(1);
    search.server.stop();
  });

  it('aborts the running request it supersedes: the handler sees context.signal abort', async () => {
    const search = searchModule();
    const query = signal('a');
    const results = TestBed.runInInjectionContext(() =>
      moduleResource(search.dispatcher, () => ({ type: 'Search', query: query() })),
    );
    await flush();
    expect(search.started).toEqual(['a']);

    query.set('ab'); // 'a' is still running
    await flush();
    expect(search.aborted).toEqual(['a']);
    expect(search.started).toEqual(['a', 'ab']);
    search.reply('a', ['late']); // an answer to the superseded request never shows
    search.reply('ab', ['abc']);
    await stable();
    expect(results.value()).toEqual(['abc']);
    expect(search.aborted).toEqual(['a']);
    search.server.stop();
  });

  it('withdraws a superseded request still queued: its handler never starts', async () => {
    const search = searchModule();
    await search.dispatcher.sendCommand({ type: 'Hold' }); // the module is busy until release()
    const query = signal('a');
    const results = TestBed.runInInjectionContext(() =>
      moduleResource(search.dispatcher, () => ({ type: 'Search', query: query() })),
    );
    await flush();
    expect(search.server.stats()).toMatchObject({ queued: 1, running: 1 }); // 'a' waits behind Hold
    for (const next of ['ab', 'abc']) {
      query.set(next);
      await flush();
    }
    expect(search.server.stats()).toMatchObject({ queued: 1, running: 1 }); // only 'abc' waits now

    search.release();
    await flush();
    expect(search.started).toEqual(['abc']); // 'a' and 'ab' never started
    search.reply('abc', ['abcd']);
    await stable();
    expect(results.value()).toEqual(['abcd']);
    expect(search.aborted).toEqual([]);
    search.server.stop();
  });

  it('aborts the request in flight when its injector is destroyed', async () => {
    const search = searchModule();
    TestBed.runInInjectionContext(() =>
      moduleResource(search.dispatcher, () => ({ type: 'Search', query: 'x' })),
    );
    await flush();
    expect(search.started).toEqual(['x']);
    TestBed.resetTestingModule(); // destroys the test's root injector, and the resource with it
    expect(search.aborted).toEqual(['x']);
    search.server.stop();
  });

  it('shows a handler error unchanged, and our error codes intact', async () => {
    const fail = new Error('no such index');
    const { dispatcher, server } = spawnModule<string, string>({
      handleRequest: (message) => {
        if (message === 'fail') throw fail;
        if (message === 'odd') return 'not a number';
        return new Promise<string>(() => undefined); // never answers
      },
      handleCommand: () => undefined,
    });
    const message = signal('fail');
    const results = TestBed.runInInjectionContext(() =>
      moduleResource(dispatcher, () => message(), {
        guard: (response: string): response is 'ok' => response === 'ok',
      }),
    );
    expectTypeOf(results).toEqualTypeOf<ResourceRef<'ok' | undefined>>();
    await stable();
    expect(results.status()).toBe('error');
    expect(results.error()).toBe(fail);
    expect(() => results.value()).toThrow(/error state/); // Angular's rule: read error() first
    expect(results.hasValue()).toBe(false);

    message.set('odd'); // answered, but the guard refuses the answer
    await stable();
    expect(results.error()).toBeInstanceOf(SparkChannelError);
    expect(isSparkChannelError(results.error(), 'INVALID_RESPONSE_TYPE')).toBe(true);

    message.set('hang');
    await flush();
    server.stop(); // the request in flight rejects with RECEIVE_FAILED
    await stable();
    expect(isSparkChannelError(results.error(), 'RECEIVE_FAILED')).toBe(true);
  });

  it('rejects with TIMEOUT past timeoutMs (fake timers)', async () => {
    jest.useFakeTimers();
    try {
      const { dispatcher, server } = spawnModule<string, string>({
        handleRequest: () => new Promise<string>(() => undefined),
        handleCommand: () => undefined,
      });
      const results = TestBed.runInInjectionContext(() =>
        moduleResource(dispatcher, () => 'slow', { timeoutMs: 500 }),
      );
      await flush();
      await jest.advanceTimersByTimeAsync(499);
      TestBed.tick();
      expect(results.status()).toBe('loading');
      await jest.advanceTimersByTimeAsync(1);
      await flush();
      expect(isSparkChannelError(results.error(), 'TIMEOUT')).toBe(true);
      server.stop();
    } finally {
      jest.useRealTimers();
    }
  });

  it('shows defaultValue until answered, typed without undefined', async () => {
    const search = searchModule();
    const results = TestBed.runInInjectionContext(() =>
      moduleResource(search.dispatcher, () => ({ type: 'Search', query: 'q' }), { defaultValue: [] }),
    );
    expectTypeOf(results).toEqualTypeOf<ResourceRef<string[]>>();
    expect(results.value()).toEqual([]);
    await flush();
    search.reply('q', ['quux']);
    await stable();
    expect(results.value()).toEqual(['quux']);
    search.server.stop();
  });

  it('takes an injector outside an injection context; NG0203 without one', async () => {
    const search = searchModule();
    const injector = TestBed.inject(Injector);
    const count = moduleResource(search.dispatcher, () => ({ type: 'Count' }), { injector });
    expectTypeOf(count.value()).toEqualTypeOf<number | undefined>();
    await stable();
    expect(count.value()).toBe(0);
    expect(() => moduleResource(search.dispatcher, () => ({ type: 'Count' }))).toThrow(/NG0203/);
    expect(
      runInInjectionContext(injector, () => moduleResource(search.dispatcher, () => undefined)),
    ).toBeDefined();
    search.server.stop();
  });

  it('refuses bad arguments with errors that name them', () => {
    const search = searchModule();
    TestBed.runInInjectionContext(() => {
      expect(() => moduleResource({} as never, () => undefined)).toThrow(
        new TypeError(
          'Expected `dispatcher` to be a SparkGenericModuleDispatcher or a TypedDispatcher, got an object ([object Object])',
        ),
      );
      expect(() => moduleResource(search.dispatcher, 'Search' as never)).toThrow(
        new TypeError('Expected `params` to be a function returning the message, got string Search'),
      );
      for (const timeoutMs of [0, -1, Number.NaN, '5' as never]) {
        expect(() => moduleResource(search.dispatcher, () => undefined, { timeoutMs })).toThrow(RangeError);
      }
      expect(() => moduleResource(search.dispatcher, () => undefined, { timeoutMs: -1 })).toThrow(
        /`timeoutMs`/,
      );
      expect(() => moduleResource(null as never, () => undefined)).toThrow(/got null/);
      expect(() =>
        moduleResource(search.dispatcher, (() => 1) as never, { timeoutMs: Infinity }),
      ).not.toThrow();
      expect(() => moduleResource(search.dispatcher, undefined as never)).toThrow(/got undefined undefined/);
      expect(() => moduleResource(search.dispatcher, {} as never)).toThrow(/got an object/);
      expect(() => moduleResource(search.dispatcher, 'x' as never)).toThrow(TypeError);
      expect(() => moduleResource(search.dispatcher, Symbol('q') as never)).toThrow(/got Symbol\(q\)/);
      expect(() => moduleResource((() => 1) as never, () => undefined)).toThrow(/got a function/);
    });
    search.server.stop();
  });

  it('types: the response follows the message type; command types and wrong fields do not compile', () => {
    const search = searchModule();
    TestBed.runInInjectionContext(() => {
      const q = signal('x');
      const either = moduleResource(search.dispatcher, () =>
        q() === '' ? { type: 'Count' as const } : { type: 'Search' as const, query: q() },
      );
      expectTypeOf(either.value()).toEqualTypeOf<string[] | number | undefined>();
      // @ts-expect-error Log is a command type: a resource only sends requests
      moduleResource(search.dispatcher, () => ({ type: 'Log', event: 'x' }));
      // @ts-expect-error Search needs a `query`
      moduleResource(search.dispatcher, () => ({ type: 'Search' }));
      // @ts-expect-error `query` is a string
      moduleResource(search.dispatcher, () => ({ type: 'Search', query: 1 }));
      // @ts-expect-error a defaultValue must be a response of the message's type
      moduleResource(search.dispatcher, () => ({ type: 'Search', query: 'x' }), { defaultValue: 0 });
      const { dispatcher, server } = spawnModule<string, string | number>({
        handleRequest: (m) => m,
        handleCommand: () => undefined,
      });
      expectTypeOf(moduleResource(dispatcher, () => 'x').value()).toEqualTypeOf<
        string | number | undefined
      >();
      // @ts-expect-error the message must be the module's M
      moduleResource(dispatcher, () => 1);
      // @ts-expect-error a guard must narrow the response type, not replace it
      moduleResource(dispatcher, () => 'x', { guard: (r: unknown): r is Date => r instanceof Date });
      server.stop();
    });
    search.server.stop();
  });
});
