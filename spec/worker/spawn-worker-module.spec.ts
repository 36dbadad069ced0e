// spark-channel/worker: a module whose handler runs in worker threads keeps the dispatcher surface
// of API.md — order, concurrency, errors, timeouts and aborts, stop and shutdown — and survives
// threads that die. The handler files are plain JavaScript in spec/worker/fixtures.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BroadcastChannel } from 'node:worker_threads';

import fc from 'fast-check';
import { EmptyError, firstValueFrom, take, toArray } from 'rxjs';

import {
  isSparkChannelError,
  type ModuleError,
  SparkChannelCancellationToken,
  SparkChannelError,
} from '../../lib/index.js';
import { spawnWorkerModule, type WorkerModuleOptions } from '../../lib/worker/index.js';
import { removeThreadFiles } from '../../lib/worker/thread-source.js';
import { deferred, outcome, recordingLogger } from '../support/helpers.js';

type Message = { type: string; [field: string]: unknown };

const fixture = (name: string): string => join(__dirname, 'fixtures', name);
const KITCHEN_SINK = fixture('kitchen-sink.worker.mjs');

const spawned: { closed: Promise<void>; server: { stop(): void } }[] = [];

function spawn(options?: WorkerModuleOptions, file: string | URL = KITCHEN_SINK) {
  const module = spawnWorkerModule<Message, unknown>(file, { logger: recordingLogger(), ...options });
  spawned.push(module);
  const errors: ModuleError<Message, Error>[] = [];
  module.server.errors$.subscribe((error) => errors.push(error));
  return { ...module, errors };
}

// jest's sandboxed `process` never emits 'exit': remove this file's bootstrap directory here.
afterAll(removeThreadFiles);

afterEach(async () => {
  for (const { server } of spawned) server.stop();
  await Promise.all(spawned.splice(0).map(({ closed }) => closed));
});

/** A gate request's BroadcastChannel, seen from the test: resolves `ready`, then `open()` lets it answer. */
function gateChannel(name: string): { ready: Promise<void>; open(): void } {
  const channel = new BroadcastChannel(name);
  const ready = deferred();
  channel.onmessage = (event) => {
    if ((event as { data?: unknown }).data === 'ready') ready.resolve();
  };
  return {
    ready: ready.promise,
    open: () => {
      channel.postMessage('open');
      channel.close();
    },
  };
}

describe('spawnWorkerModule: the dispatcher surface', () => {
  it('answers request, request$ and requestResult from a worker thread', async () => {
    const { dispatcher } = spawn();
    const threadId = await dispatcher.request({ type: 'thread' });
    expect(threadId).toEqual(expect.any(Number));
    expect(threadId).not.toBe(0); // not the main thread
    expect(await dispatcher.request({ type: 'echo', value: { deep: [1, 'two', new Date(0)] } })).toEqual({
      deep: [1, 'two', new Date(0)],
    });
    expect(await firstValueFrom(dispatcher.request$({ type: 'echo', value: 'cold' }))).toBe('cold');
    expect(await dispatcher.requestResult({ type: 'echo', value: 7 })).toEqual({ ok: true, value: 7 });
    const failed = await dispatcher.requestResult({ type: 'type-error' });
    expect(failed.ok).toBe(false);
  });

  it('handles every message once, in send order, one at a time by default (property)', async () => {
    const { dispatcher } = spawn();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer(), { maxLength: 30 }), async (values) => {
        const answers = await Promise.all([
          ...values.map((value, i) =>
            i % 3 === 0
              ? dispatcher.request({ type: 'echo', value }).then(() => undefined)
              : dispatcher.sendCommand({ type: 'log', value }),
          ),
        ]);
        expect(answers).toHaveLength(values.length);
        expect(await dispatcher.request({ type: 'commands' })).toEqual(values.filter((_, i) => i % 3 !== 0));
      }),
      { numRuns: 15 },
    );
  });

  it('runs up to `concurrency` handlers at once, on different threads', async () => {
    const { dispatcher } = spawn({ concurrency: 2 });
    const channel = `meet-${randomUUID()}`;
    // Each request waits for the other: they can only both finish if they run side by side.
    const threads = await Promise.all([
      dispatcher.request({ type: 'meet', channel }),
      dispatcher.request({ type: 'meet', channel }),
    ]);
    expect(new Set(threads).size).toBe(2);
  });

  it('shares fewer threads than `concurrency` between awaiting handlers', async () => {
    const { dispatcher } = spawn({ concurrency: 2, threads: 1 });
    const channel = `meet-${randomUUID()}`;
    const [a, b] = await Promise.all([
      dispatcher.request({ type: 'meet', channel }),
      dispatcher.request({ type: 'meet', channel }),
    ]);
    expect(a).toBe(b);
  });

  it('passes key and timeout options through to the module', async () => {
    const { dispatcher, server } = spawn({ concurrency: 2, key: (m: Message) => m.type, timeoutMs: 10_000 });
    expect(await dispatcher.request({ type: 'echo', value: 1 })).toBe(1);
    expect(server.stats()).toMatchObject({ handled: 1, failed: 0 });
  });

  it('takes the first value of an observable response, and fails an empty one with EmptyError', async () => {
    const { dispatcher } = spawn();
    expect(await dispatcher.request({ type: 'observable' })).toBe('first');
    expect(await dispatcher.request({ type: 'async-observable' })).toBe('later');
    await expect(dispatcher.request({ type: 'empty-observable' })).rejects.toBeInstanceOf(EmptyError);
    await expect(dispatcher.request({ type: 'failing-observable' })).rejects.toThrow('observable failed');
  });

  it('runs a command observable to completion before the next message', async () => {
    const { dispatcher } = spawn();
    await dispatcher.sendCommand({ type: 'observable', value: 1 });
    await dispatcher.sendCommand({ type: 'log', value: 2 });
    expect(await dispatcher.request({ type: 'commands' })).toEqual(['observable 1', 2]);
  });

  it('loads named exports and CommonJS handler files', async () => {
    const named = spawn(undefined, fixture('named.worker.mjs'));
    await named.dispatcher.sendCommand('a' as never);
    expect(await named.dispatcher.request('b' as never)).toEqual(['a', 'b']);

    const cjs = spawn(undefined, pathToFileURL(fixture('requests-only.worker.cjs')));
    expect(await cjs.dispatcher.request(21 as never)).toBe(42);
    await cjs.dispatcher.sendCommand(1 as never);
    await cjs.dispatcher.shutdown();
    expect(cjs.errors).toEqual([
      { kind: 'command', message: 1, error: expect.objectContaining({ name: 'TypeError' }) },
    ]);
    expect(cjs.errors[0]?.error.message).toMatch(/exports no handleCommand/);
  });
});

describe('spawnWorkerModule: errors cross the thread boundary', () => {
  it('keeps name, message, code, own properties, stack and cause, and reports to errors$', async () => {
    const { dispatcher, errors } = spawn();
    const error = (await outcome(dispatcher.request({ type: 'fail', message: 'bad email' }))) as {
      error: Error & { code?: string; details?: unknown };
    };
    expect(error.error).toBeInstanceOf(Error);
    expect(error.error).toMatchObject({ name: 'ValidationError', message: 'bad email', code: 'E_INVALID' });
    expect(error.error.details).toEqual({ field: 'email' });
    expect(error.error.stack).toMatch(/kitchen-sink\.worker\.mjs/);
    expect(error.error.cause).toBeInstanceOf(RangeError);
    expect((error.error.cause as Error).message).toBe('the cause');
    expect(errors).toEqual([
      { kind: 'request', message: { type: 'fail', message: 'bad email' }, error: error.error },
    ]);
  });

  it('rebuilds built-in errors, SparkChannelErrors and aggregates as their classes', async () => {
    const { dispatcher } = spawn();
    await expect(dispatcher.request({ type: 'type-error' })).rejects.toBeInstanceOf(TypeError);
    const spark = await outcome(dispatcher.request({ type: 'spark-error' }));
    expect(isSparkChannelError((spark as { error: unknown }).error, 'TIMEOUT')).toBe(true);
    const aggregate = (await outcome(dispatcher.request({ type: 'aggregate' }))) as {
      error: Error & { errors: unknown[] };
    };
    expect(aggregate.error.name).toBe('AggregateError');
    expect(aggregate.error.errors).toEqual([expect.objectContaining({ message: 'one' }), 'two']);
  });

  it('rebuilds AggregateError as one, with its errors (nested aggregates too)', async () => {
    const { dispatcher } = spawn();
    const aggregate = (await outcome(dispatcher.request({ type: 'aggregate' }))) as { error: unknown };
    expect(aggregate.error).toBeInstanceOf(AggregateError);
    expect(aggregate.error).toMatchObject({ name: 'AggregateError', message: 'many' });
    expect((aggregate.error as AggregateError).errors).toEqual([expect.any(Error), 'two']);
    expect(((aggregate.error as AggregateError).errors[0] as Error).message).toBe('one');

    const nested = (await outcome(dispatcher.request({ type: 'nested-aggregate' }))) as {
      error: AggregateError;
    };
    expect(nested.error).toBeInstanceOf(AggregateError);
    const inner = nested.error.errors[0] as AggregateError;
    expect(inner).toBeInstanceOf(AggregateError);
    expect(inner.message).toBe('inner');
    expect(inner.errors[0]).toBeInstanceOf(TypeError);
  });

  it('rebuilds DOMException as one, with its name, message, code and stack', async () => {
    const { dispatcher } = spawn();
    const nested = (await outcome(dispatcher.request({ type: 'nested-aggregate' }))) as { error: Error };
    expect(nested.error.cause).toBeInstanceOf(DOMException);
    expect(nested.error.cause).toMatchObject({ name: 'AbortError', message: 'the cause', code: 20 });

    for (const [name, code] of [
      ['AbortError', 20],
      ['DataCloneError', 25],
      ['TimeoutError', 23],
      ['NotACommonName', 0],
    ] as const) {
      const thrown = (await outcome(
        dispatcher.request({ type: 'dom-exception', name, message: `a ${name}` }),
      )) as {
        error: DOMException;
      };
      expect(thrown.error).toBeInstanceOf(DOMException);
      expect(thrown.error).toMatchObject({ name, message: `a ${name}`, code });
      expect(thrown.error.stack).toMatch(/kitchen-sink\.worker\.mjs/);
    }
  });

  it('passes thrown non-Error values through, and describes ones that cannot be cloned', async () => {
    const { dispatcher } = spawn();
    await expect(dispatcher.request({ type: 'throw-value', value: { reason: 42 } })).rejects.toEqual({
      reason: 42,
    });
    await expect(dispatcher.request({ type: 'throw-uncloneable' })).rejects.toMatch(/a function/);
    const prop = (await outcome(dispatcher.request({ type: 'uncloneable-prop' }))) as {
      error: Error & { callback: unknown };
    };
    expect(prop.error.message).toBe('has a function');
    expect(typeof prop.error.callback).toBe('string');
  });

  it('fails a message or response that cannot be cloned with DataCloneError, and the thread lives on', async () => {
    const { dispatcher } = spawn();
    const thread = await dispatcher.request({ type: 'thread' });
    await expect(dispatcher.request({ type: 'uncloneable' })).rejects.toMatchObject({
      name: 'DataCloneError',
    });
    await expect(dispatcher.request({ type: 'echo', value: () => 1 })).rejects.toMatchObject({
      name: 'DataCloneError',
    });
    expect(await dispatcher.request({ type: 'thread' })).toBe(thread);
  });

  it('sends command failures to errors$ and the logger, never to the sender', async () => {
    const logger = recordingLogger();
    const { dispatcher, errors } = spawn({ logger });
    await dispatcher.sendCommand({ type: 'fail', value: 9 });
    await dispatcher.shutdown();
    expect(errors).toEqual([
      { kind: 'command', message: { type: 'fail', value: 9 }, error: expect.any(Error) },
    ]);
    expect(errors[0]?.error.message).toBe('command 9 failed');
    expect(logger.errors.length).toBe(1);
  });

  it('fails every message with RECEIVE_FAILED when the handler file cannot be loaded', async () => {
    const broken = spawn(undefined, fixture('broken.worker.mjs'));
    const failure = (await outcome(broken.dispatcher.request({ type: 'echo' }))) as {
      error: SparkChannelError;
    };
    expect(failure.error.code).toBe('RECEIVE_FAILED');
    expect(failure.error.message).toMatch(/could not load its handler file .*broken\.worker\.mjs/);
    expect((failure.error.cause as Error).message).toBe('this handler file is broken');

    const empty = spawn(undefined, fixture('empty.worker.mjs'));
    const none = (await outcome(empty.dispatcher.request({ type: 'echo' }))) as { error: SparkChannelError };
    expect(none.error.code).toBe('RECEIVE_FAILED');
    expect(none.error.cause).toBeInstanceOf(TypeError);
  });
});

describe('spawnWorkerModule: cancellation reaches context.signal inside the worker', () => {
  it('aborts the running handler when the request times out', async () => {
    const { dispatcher } = spawn();
    await dispatcher.request({ type: 'thread' }); // the thread is up: the handler will be running
    await expect(dispatcher.request({ type: 'wait-for-abort' }, { timeoutMs: 20 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    expect(await dispatcher.request({ type: 'aborts' })).toEqual([
      { name: 'SparkChannelError', code: 'TIMEOUT', message: 'Request timed out after 20 ms' },
    ]);
  });

  it('aborts it when the caller aborts its signal, or unsubscribes from request$', async () => {
    const { dispatcher } = spawn();
    const first = `running-${randomUUID()}`;
    const started = gateChannel(first);
    const controller = new AbortController();
    const aborted = dispatcher.request(
      { type: 'wait-for-abort', channel: first },
      { signal: controller.signal },
    );
    await started.ready;
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'CANCELLED' });

    const second = `running-${randomUUID()}`;
    const startedToo = gateChannel(second);
    const subscription = dispatcher.request$({ type: 'wait-for-abort', channel: second }).subscribe();
    await startedToo.ready;
    subscription.unsubscribe();
    expect(await dispatcher.request({ type: 'aborts' })).toEqual([
      expect.objectContaining({ code: 'CANCELLED', message: 'Request cancelled by its signal' }),
      expect.objectContaining({ code: 'CANCELLED', message: expect.stringMatching(/unsubscribed/) }),
    ]);
    started.open();
    startedToo.open();
  });

  it('never starts a request whose signal aborted while it was queued', async () => {
    const { dispatcher } = spawn();
    const name = `gate-${randomUUID()}`;
    const gate = gateChannel(name);
    const running = dispatcher.request({ type: 'gate', channel: name });
    await gate.ready;
    const controller = new AbortController();
    const queued = dispatcher.request({ type: 'wait-for-abort' }, { signal: controller.signal });
    controller.abort();
    await expect(queued).rejects.toMatchObject({ code: 'CANCELLED' });
    gate.open();
    await running;
    expect(await dispatcher.request({ type: 'aborts' })).toEqual([]); // it never ran
  });
});

describe('spawnWorkerModule: stop, shutdown and dying threads', () => {
  it('shuts down in band: everything sent before is handled, then the threads exit', async () => {
    const { dispatcher, server, closed } = spawn();
    const sent = [1, 2, 3].map((value) => dispatcher.sendCommand({ type: 'log', value }));
    const answer = dispatcher.request({ type: 'commands' });
    const token = new SparkChannelCancellationToken();
    await dispatcher.shutdown(token);
    await Promise.all(sent);
    expect(await answer).toEqual([1, 2, 3]);
    expect(token.isCancelled).toBe(true);
    expect(server.isRunning).toBe(false);
    await closed;
    await expect(dispatcher.request({ type: 'echo' })).rejects.toMatchObject({ code: 'SEND_FAILED' });
  });

  it('stop() rejects running and queued requests with RECEIVE_FAILED and ends the threads', async () => {
    const { dispatcher, server, closed } = spawn();
    const name = `gate-${randomUUID()}`;
    const gate = gateChannel(name);
    const running = dispatcher.request({ type: 'gate', channel: name });
    const queued = dispatcher.request({ type: 'echo', value: 1 });
    await gate.ready;
    server.stop();
    await expect(running).rejects.toMatchObject({ code: 'RECEIVE_FAILED' });
    await expect(queued).rejects.toMatchObject({ code: 'RECEIVE_FAILED' });
    await closed;
    gate.open();
  });

  it('a thread that exits fails only the request it held; the module keeps serving on a new thread', async () => {
    const { dispatcher, errors } = spawn({ concurrency: 2 });
    const name = `gate-${randomUUID()}`;
    const gate = gateChannel(name);
    const held = dispatcher.request({ type: 'gate', channel: name }); // busy on one thread
    await gate.ready;
    const crashed = (await outcome(dispatcher.request({ type: 'exit' }))) as { error: SparkChannelError };
    expect(crashed.error).toBeInstanceOf(SparkChannelError);
    expect(crashed.error.code).toBe('RECEIVE_FAILED');
    expect(crashed.error.message).toMatch(/died before answering/);
    expect((crashed.error.cause as Error).message).toBe('worker exited with code: 3');
    expect(errors.map(({ kind, error }) => [kind, (error as SparkChannelError).code])).toEqual([
      ['request', 'RECEIVE_FAILED'],
    ]);

    gate.open();
    const survivor = await held; // the other thread's request was untouched
    const fresh = await Promise.all([
      dispatcher.request({ type: 'thread' }),
      dispatcher.request({ type: 'thread' }),
    ]);
    expect(fresh).toContain(survivor);
    expect(fresh.every((id) => typeof id === 'number')).toBe(true);
  });

  it('an uncaught exception in a thread fails its request with RECEIVE_FAILED and the thread is replaced', async () => {
    const { dispatcher } = spawn();
    const before = await dispatcher.request({ type: 'thread' });
    const crashed = (await outcome(dispatcher.request({ type: 'uncaught' }))) as { error: SparkChannelError };
    expect(crashed.error.code).toBe('RECEIVE_FAILED');
    expect((crashed.error.cause as Error).message).toBe('boom in a timer');
    const after = await dispatcher.request({ type: 'thread' });
    expect(after).not.toBe(before);
  });

  it('logs a thread that dies while idle, and serves on', async () => {
    const logger = recordingLogger();
    const warned = deferred();
    const { dispatcher } = spawn({
      logger: { ...logger, warn: (...args: unknown[]) => (logger.warn?.(...args), warned.resolve()) },
    });
    expect(await dispatcher.request({ type: 'throw-later' })).toBe('ok');
    await warned.promise;
    expect(logger.warnings[0]?.[0]).toMatch(/died while idle/);
    expect(await dispatcher.request({ type: 'echo', value: 'still here' })).toBe('still here');
  });

  it('completes errors$ when the server stops', async () => {
    const { server, closed } = spawn();
    const all = firstValueFrom(server.errors$.pipe(take(1), toArray()));
    server.stop();
    expect(await all).toEqual([]);
    await closed;
  });
});

describe('spawnWorkerModule: bad arguments', () => {
  it('refuses a file that is not an absolute path or file: URL of an existing file', () => {
    expect(() => spawnWorkerModule('relative/handler.mjs')).toThrow(TypeError);
    expect(() => spawnWorkerModule(fixture('missing.worker.mjs'))).toThrow(/existing handler file/);
    expect(() => spawnWorkerModule(new URL('https://example.com/handler.mjs'))).toThrow(/https:/);
    expect(() => spawnWorkerModule(42 as never)).toThrow(/got 42/);
    expect(() => spawnWorkerModule(pathToFileURL(fixture('missing.mjs')).href)).toThrow(TypeError);
  });

  it('refuses bad options with errors naming them, before any thread starts', () => {
    expect(() => spawnWorkerModule(KITCHEN_SINK, { threads: 0 })).toThrow(/`threads`/);
    expect(() => spawnWorkerModule(KITCHEN_SINK, { concurrency: 1.5 })).toThrow(/`concurrency`/);
    expect(() => spawnWorkerModule(KITCHEN_SINK, { execArgv: [1] as never })).toThrow(/`execArgv`/);
    expect(() => spawnWorkerModule(KITCHEN_SINK, { resourceLimits: 5 as never })).toThrow(/`resourceLimits`/);
    expect(() => spawnWorkerModule(KITCHEN_SINK, { timeoutMs: -1 })).toThrow(/`timeoutMs`/);
    expect(() => spawnWorkerModule(KITCHEN_SINK, 'fast' as never)).toThrow(/`options`/);
  });

  it('works with no options at all, logging to console', async () => {
    const module = spawnWorkerModule<number, number>(fixture('requests-only.worker.cjs'));
    spawned.push(module);
    expect(await module.dispatcher.request(2)).toBe(4);
    await module.dispatcher.sendCommand(1);
    await module.dispatcher.shutdown();
    expect(console.error).toHaveBeenCalled(); // the command failure, on the default logger
  });

  it('logs a thread that dies while idle with error() when the logger has no warn()', async () => {
    const logged = deferred<unknown[]>();
    const { dispatcher } = spawn({ logger: { error: (...args: unknown[]) => logged.resolve(args) } });
    expect(await dispatcher.request({ type: 'throw-later' })).toBe('ok');
    expect((await logged.promise)[0]).toMatch(/died while idle/);
  });

  it('accepts execArgv and resourceLimits for the threads', async () => {
    const { dispatcher } = spawn({ execArgv: [], resourceLimits: { maxOldGenerationSizeMb: 64 } });
    expect(await dispatcher.request({ type: 'echo', value: 'limited' })).toBe('limited');
  });
});
