// spark-channel/web-worker: a module whose handler runs in a Web Worker keeps the dispatcher
// surface and the rules of spark-channel/worker (docs/workers.md) — order, concurrency, errors
// with their codes, timeouts and aborts reaching the worker's `context.signal`, stop — and
// survives workers that fail. The Worker is an in-process stand-in whose messages cross a real
// MessageChannel (support/in-process-worker.ts); Chromium runs the real one in
// scripts/e2e-angular.mjs.
import fc from 'fast-check';
import { EmptyError, firstValueFrom } from 'rxjs';

import { isSparkChannelError, type ModuleError, SparkChannelError } from '../../lib/index.js';
import {
  serveInWorker,
  spawnWebWorkerModule,
  type WebWorkerModuleOptions,
  type WorkerScopeLike,
} from '../../lib/web-worker/index.js';
import { outcome, recordingLogger } from '../support/helpers.js';
import { InProcessWorker } from './support/in-process-worker.js';
import { kitchenSink, type Message } from './support/kitchen-sink.js';

const spawned: { closed: Promise<void>; server: { stop(): void } }[] = [];

function spawn(
  options?: WebWorkerModuleOptions,
  script: (scope: WorkerScopeLike, worker: InProcessWorker) => void = kitchenSink,
) {
  const logger = recordingLogger();
  const workers: InProcessWorker[] = [];
  const module = spawnWebWorkerModule<Message, unknown>(
    () => {
      const worker = new InProcessWorker(script);
      workers.push(worker);
      return worker;
    },
    { logger, ...options },
  );
  spawned.push(module);
  const errors: ModuleError<Message, Error>[] = [];
  module.server.errors$.subscribe((error) => errors.push(error));
  return { ...module, errors, workers, logger };
}

afterEach(async () => {
  for (const { server } of spawned) server.stop();
  await Promise.all(spawned.splice(0).map(({ closed }) => closed));
});

/** Resolves once `read()` holds, checking after each turn of the event loop (bounded). */
async function eventually<T>(read: () => T, ok: (value: T) => boolean): Promise<T> {
  for (let turn = 0; turn < 500; turn++) {
    const value = read();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`never held: ${JSON.stringify(read())}`);
}

describe('spawnWebWorkerModule: the dispatcher surface', () => {
  it('answers request, request$ and requestResult from the worker, values structured-cloned', async () => {
    const { dispatcher } = spawn();
    const value = { deep: [1, 'two', { three: 3n }], map: new Map([[1, 'one']]) };
    const echoed = await dispatcher.request({ type: 'echo', value });
    expect(echoed).toEqual(value);
    expect(echoed).not.toBe(value); // a clone, not the object
    expect(await firstValueFrom(dispatcher.request$({ type: 'echo', value: 'cold' }))).toBe('cold');
    expect(await dispatcher.requestResult({ type: 'echo', value: 7 })).toEqual({ ok: true, value: 7 });
    expect(await dispatcher.request({ type: 'observable' })).toBe('first');
  });

  it('handles every message once, in send order, one at a time by default (property)', async () => {
    const { dispatcher } = spawn();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer(), { maxLength: 30 }), async (values) => {
        const before = (await dispatcher.request({ type: 'commands' })) as unknown[];
        await Promise.all(
          values.map((value, i) =>
            i % 3 === 0
              ? dispatcher.request({ type: 'echo', value })
              : dispatcher.sendCommand({ type: 'log', value }),
          ),
        );
        const after = (await dispatcher.request({ type: 'commands' })) as unknown[];
        expect(after.slice(before.length)).toEqual(values.filter((_, i) => i % 3 !== 0));
      }),
      { numRuns: 15 },
    );
  });

  it('runs up to `concurrency` handlers at once, on different workers', async () => {
    const { dispatcher, workers } = spawn({ concurrency: 2 });
    expect(workers).toHaveLength(2); // made at once, so they load while the app starts
    // Each request waits for the other: both finish only if they run side by side.
    const ids = await Promise.all([
      dispatcher.request({ type: 'meet', channel: 'a' }),
      dispatcher.request({ type: 'meet', channel: 'a' }),
    ]);
    expect(new Set(ids).size).toBe(2);
  });

  it('shares fewer workers than `concurrency` between awaiting handlers', async () => {
    const { dispatcher, workers } = spawn({ concurrency: 2, workers: 1 });
    const [a, b] = await Promise.all([
      dispatcher.request({ type: 'meet', channel: 'b' }),
      dispatcher.request({ type: 'meet', channel: 'b' }),
    ]);
    expect(a).toBe(b);
    expect(workers).toHaveLength(1);
  });

  it('runs commands to completion, observables included, and reports their failures', async () => {
    const { dispatcher, errors, logger } = spawn();
    await dispatcher.sendCommand({ type: 'observe' });
    await dispatcher.sendCommand({ type: 'fail' });
    expect(await dispatcher.request({ type: 'commands' })).toEqual(['observed']);
    expect(errors.map(({ kind, error }) => [kind, error.message])).toEqual([
      ['command', 'command failed in the worker'],
    ]);
    expect(logger.errors).toHaveLength(1);
  });

  it('ignores messages that are not its own, on both sides', async () => {
    const { dispatcher, workers } = spawn();
    expect(await dispatcher.request({ type: 'post-garbage' })).toBe('after garbage');
    for (const junk of [
      'hi',
      null,
      { spark: 'task', id: 'x' },
      { spark: 'abort', id: 99 },
      { spark: 'nope', id: 1 },
      { spark: 'task', id: 5 },
    ]) {
      workers[0]?.scope.postMessage(junk); // the worker's end hears what the page's end posts
    }
    expect(await dispatcher.request({ type: 'echo', value: 'still here' })).toBe('still here');
  });
});

describe('spawnWebWorkerModule: errors keep their class, name, code and cause', () => {
  it('rebuilds what the handler threw', async () => {
    const { dispatcher, errors } = spawn();
    const ranged = (await outcome(dispatcher.request({ type: 'throw-code' }))) as { error: RangeError };
    expect(ranged.error).toBeInstanceOf(RangeError);
    expect(ranged.error).toMatchObject({ message: 'out of range', code: 'E_RANGE', detail: { at: 3 } });
    expect((ranged.error.cause as Error).message).toBe('root cause');
    expect(ranged.error.stack).toContain('kitchen-sink'); // the worker's stack

    const spark = (await outcome(dispatcher.request({ type: 'throw-spark' }))) as { error: unknown };
    expect(spark.error).toBeInstanceOf(SparkChannelError);
    expect(isSparkChannelError(spark.error, 'TIMEOUT')).toBe(true);

    const aggregate = (await outcome(dispatcher.request({ type: 'throw-aggregate' }))) as {
      error: AggregateError;
    };
    expect(aggregate.error).toBeInstanceOf(AggregateError);
    expect(aggregate.error.errors[0]).toBeInstanceOf(TypeError);
    expect(aggregate.error.errors[1]).toMatchObject({ name: 'AbortError', message: 'second' });

    expect(await outcome(dispatcher.request({ type: 'throw-value' }))).toEqual({
      error: { reason: 'not an error', n: 42 },
    });
    expect((await outcome(dispatcher.request({ type: 'empty' }))) as { error: unknown }).toEqual({
      error: expect.any(EmptyError),
    });
    expect(errors.map(({ kind }) => kind)).toEqual(['request', 'request', 'request', 'request', 'request']);
  });

  it('fails a message that cannot be cloned with a DataCloneError, either way, and serves on', async () => {
    const { dispatcher } = spawn();
    const sent = (await outcome(dispatcher.request({ type: 'echo', value: () => 1 }))) as {
      error: DOMException;
    };
    expect(sent.error).toMatchObject({ name: 'DataCloneError' });
    expect(sent.error.message).toMatch(/^The request could not be sent to the Web Worker: /);
    const back = (await outcome(dispatcher.request({ type: 'uncloneable' }))) as { error: DOMException };
    expect(back.error).toMatchObject({ name: 'DataCloneError' });
    expect(back.error.message).toMatch(/^The response could not be sent back from the Web Worker: /);
    expect(await dispatcher.request({ type: 'echo', value: 'fine' })).toBe('fine');
  });

  it('fails a command the handler cannot take, and a request with no handleRequest', async () => {
    const { dispatcher, errors } = spawn({}, (scope) =>
      serveInWorker<Message, unknown>({ handleCommand() {} }, { scope }),
    );
    const failed = (await outcome(dispatcher.request({ type: 'echo' }))) as { error: TypeError };
    expect(failed.error).toBeInstanceOf(TypeError);
    expect(failed.error.message).toBe(
      "The Web Worker's handler has no handleRequest, yet a request was sent to it",
    );
    await dispatcher.sendCommand({ type: 'fine' });
    expect(errors).toHaveLength(1);
  });

  it('fails every message with RECEIVE_FAILED when the handler has no method', async () => {
    const { dispatcher } = spawn({}, (scope) => serveInWorker({} as never, { scope }));
    for (let i = 0; i < 2; i++) {
      const failed = (await outcome(dispatcher.request({ type: 'echo' }))) as { error: SparkChannelError };
      expect(isSparkChannelError(failed.error, 'RECEIVE_FAILED')).toBe(true);
      expect(failed.error.message).toMatch(
        /^The Web Worker could not load its handler: Expected the handler/,
      );
      expect(failed.error.cause).toBeInstanceOf(TypeError);
    }
  });

  it('fails with RECEIVE_FAILED when the handler cannot even be read (a Proxy that throws)', async () => {
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
      },
    );
    const { dispatcher } = spawn({}, (scope) => serveInWorker(hostile, { scope }));
    const failed = (await outcome(dispatcher.request({ type: 'echo' }))) as { error: SparkChannelError };
    expect(isSparkChannelError(failed.error, 'RECEIVE_FAILED')).toBe(true);
    expect((failed.error.cause as Error).message).toBe('trap');
  });
});

describe('spawnWebWorkerModule: cancellation reaches context.signal inside the worker', () => {
  it('aborts the handler on a timeout, with the TIMEOUT reason, and frees the worker', async () => {
    const { dispatcher } = spawn();
    const timedOut = await outcome(dispatcher.request({ type: 'hang', tag: 'timeout' }, { timeoutMs: 20 }));
    expect(isSparkChannelError((timedOut as { error: unknown }).error, 'TIMEOUT')).toBe(true);
    const aborts = await dispatcher.request({ type: 'aborts' });
    expect(aborts).toEqual([
      { type: 'timeout', name: 'SparkChannelError', message: expect.any(String), code: 'TIMEOUT' },
    ]);
  });

  it("aborts it on the caller's signal, and when a request$ is unsubscribed", async () => {
    const { dispatcher } = spawn();
    const controller = new AbortController();
    const cancelled = dispatcher.request({ type: 'hang', tag: 'signal' }, { signal: controller.signal });
    setTimeout(() => controller.abort(new DOMException('the user left', 'AbortError')), 5);
    expect(isSparkChannelError(((await outcome(cancelled)) as { error: unknown }).error, 'CANCELLED')).toBe(
      true,
    );
    const subscription = dispatcher.request$({ type: 'hang', tag: 'unsubscribe' }).subscribe();
    setTimeout(() => subscription.unsubscribe(), 5);
    // Queued behind both (concurrency 1): it runs once each handler has seen its abort and settled.
    const aborts = (await dispatcher.request({ type: 'aborts' })) as { type: string; name: string }[];
    expect(aborts.map(({ type, name }) => [type, name])).toEqual([
      ['signal', 'SparkChannelError'],
      ['unsubscribe', 'SparkChannelError'],
    ]);
  });

  it('on server.stop(): running requests fail with RECEIVE_FAILED, the workers are terminated, closed resolves', async () => {
    const { dispatcher, server, workers, closed } = spawn({ concurrency: 2 });
    const running = dispatcher.request({ type: 'hang', tag: 'stop' });
    const queued = [dispatcher.request({ type: 'hang' }), dispatcher.request({ type: 'echo', value: 1 })];
    await eventually(
      () => server.stats().running,
      (n) => n === 2,
    );
    server.stop();
    for (const request of [running, ...queued]) {
      expect(
        isSparkChannelError(((await outcome(request)) as { error: unknown }).error, 'RECEIVE_FAILED'),
      ).toBe(true);
    }
    await closed;
    expect(workers.map((worker) => worker.terminated)).toEqual([true, true]);
  });

  it('lets everything sent before a Shutdown finish first', async () => {
    const { dispatcher, closed, workers } = spawn();
    const answers = [1, 2, 3].map((value) => dispatcher.request({ type: 'echo', value }));
    await dispatcher.shutdown();
    expect(await Promise.all(answers)).toEqual([1, 2, 3]);
    await closed;
    expect(workers[0]?.terminated).toBe(true);
  });
});

describe('spawnWebWorkerModule: a worker that fails', () => {
  it('fails what it was running with RECEIVE_FAILED (its error as cause) and is replaced', async () => {
    const { dispatcher, workers, errors, logger } = spawn();
    const first = workers[0];
    const crashed = (await outcome(dispatcher.request({ type: 'crash' }))) as { error: SparkChannelError };
    expect(isSparkChannelError(crashed.error, 'RECEIVE_FAILED')).toBe(true);
    expect(crashed.error.message).toBe(
      'The Web Worker running this request failed before answering: boom in a timer',
    );
    expect((crashed.error.cause as Error).message).toBe('boom in a timer');
    expect(first?.terminated).toBe(true);
    expect(first?.unclaimed).toEqual([]); // claimed: not reported to the page as uncaught
    expect(errors).toHaveLength(1);
    expect(await dispatcher.request({ type: 'echo', value: 'again' })).toBe('again');
    expect(workers).toHaveLength(2); // the replacement
    expect(logger.warnings).toEqual([]); // it failed while busy: reported through its request
  });

  it('fails only that worker’s messages; queued ones run on the others', async () => {
    const { dispatcher, workers } = spawn({ concurrency: 2 });
    const crash = dispatcher.request({ type: 'crash' });
    const later = [1, 2, 3].map((value) => dispatcher.request({ type: 'echo', value }));
    expect(isSparkChannelError(((await outcome(crash)) as { error: unknown }).error, 'RECEIVE_FAILED')).toBe(
      true,
    );
    expect(await Promise.all(later)).toEqual([1, 2, 3]);
    expect(workers.filter((worker) => worker.terminated)).toHaveLength(1);
  });

  it('logs a worker that fails while idle, and replaces it for the next message', async () => {
    const { dispatcher, workers, logger } = spawn();
    expect(await dispatcher.request({ type: 'echo', value: 1 })).toBe(1);
    workers[0]?.crash(new Error('idle crash'));
    expect(logger.warnings).toEqual([
      [
        'spark-channel/web-worker: a Web Worker failed while idle; the next message gets a new one',
        expect.any(Error),
      ],
    ]);
    expect(await dispatcher.request({ type: 'worker' })).toEqual(expect.any(Number));
    expect(workers).toHaveLength(2);
  });

  it('treats a handler that closes its own worker as a failure, not a hang', async () => {
    const { dispatcher, workers } = spawn();
    const closed = (await outcome(dispatcher.request({ type: 'close' }))) as { error: SparkChannelError };
    expect(isSparkChannelError(closed.error, 'RECEIVE_FAILED')).toBe(true);
    expect(closed.error.message).toMatch(/failed before answering: The Web Worker closed itself/);
    expect(await dispatcher.request({ type: 'echo', value: 2 })).toBe(2);
    expect(workers).toHaveLength(2);
  });

  it('fails the running messages when a message cannot be deserialized, on either side', async () => {
    const { dispatcher, workers } = spawn();
    for (const fail of [
      (w: InProcessWorker) => w.failDeserialize(),
      (w: InProcessWorker) => w.failDeserializeInWorker(),
    ]) {
      const hanging = dispatcher.request({ type: 'hang' });
      await eventually(
        () => workers.length,
        () => true,
      );
      await new Promise((resolve) => setTimeout(resolve, 5));
      fail(workers[workers.length - 1] as InProcessWorker);
      const failed = (await outcome(hanging)) as { error: SparkChannelError };
      expect(isSparkChannelError(failed.error, 'RECEIVE_FAILED')).toBe(true);
      expect(failed.error.cause).toMatchObject({
        name: 'DataCloneError',
        message: expect.stringMatching(/could not be deserialized/),
      });
    }
    expect(await dispatcher.request({ type: 'echo', value: 3 })).toBe(3);
  });

  it('fails its messages with RECEIVE_FAILED when its script does not load, each with a fresh worker', async () => {
    const { dispatcher, workers } = spawn({}, () => {
      throw new SyntaxError('Unexpected token in hash.worker.js');
    });
    for (let i = 0; i < 2; i++) {
      const failed = (await outcome(dispatcher.request({ type: 'echo' }))) as { error: SparkChannelError };
      expect(isSparkChannelError(failed.error, 'RECEIVE_FAILED')).toBe(true);
      expect(failed.error.message).toBe(
        'The Web Worker running this request could not start (its script failed to load): Unexpected token in hash.worker.js',
      );
      expect(failed.error.cause).toBeInstanceOf(SyntaxError);
    }
    expect(workers.length).toBeGreaterThanOrEqual(2);
  });

  it('fails a message with RECEIVE_FAILED when no replacement can be made', async () => {
    let made = 0;
    const { dispatcher, server } = (() => {
      const module = spawnWebWorkerModule<Message, unknown>(
        () => {
          if (++made > 1) throw new Error('CSP forbids workers now');
          return new InProcessWorker(kitchenSink);
        },
        { logger: recordingLogger() },
      );
      spawned.push(module);
      return module;
    })();
    expect(await dispatcher.request({ type: 'echo', value: 1 })).toBe(1);
    await outcome(dispatcher.request({ type: 'crash' }));
    const failed = (await outcome(dispatcher.request({ type: 'echo' }))) as { error: SparkChannelError };
    expect(isSparkChannelError(failed.error, 'RECEIVE_FAILED')).toBe(true);
    expect(failed.error.message).toBe(
      'No Web Worker could be made for this request: CSP forbids workers now',
    );
    expect(server.isRunning).toBe(true);
  });

  it('reads the worker’s answer as untrusted: a malformed envelope fails that message with RECEIVE_FAILED', async () => {
    const { dispatcher } = spawn({}, (scope) => {
      scope.addEventListener('message', ({ data }) => {
        const { id } = data as { id: number };
        scope.postMessage({ spark: 'reply', id, envelope: { ok: false, error: { error: true, name: 7 } } });
      });
      scope.start?.();
    });
    const failed = (await outcome(dispatcher.request({ type: 'echo' }))) as { error: SparkChannelError };
    expect(isSparkChannelError(failed.error, 'RECEIVE_FAILED')).toBe(true);
    expect(failed.error.message).toMatch(/malformed error/);
  });
});

describe('spawnWebWorkerModule: hostile Workers and events', () => {
  /** A module on one stand-in whose events the spec fires itself; terminate may throw. */
  function withStandIn(patch: (worker: InProcessWorker) => void) {
    const made: InProcessWorker[] = [];
    const module = spawnWebWorkerModule<Message, unknown>(
      () => {
        const worker = new InProcessWorker(kitchenSink);
        patch(worker);
        made.push(worker);
        return worker;
      },
      { logger: recordingLogger() },
    );
    spawned.push(module);
    return { ...module, made };
  }

  it.each([
    [
      'an ErrorEvent with only a message',
      { message: 'Uncaught SyntaxError' },
      'The Web Worker reported: Uncaught SyntaxError',
    ],
    ['an event with nothing', {}, 'The Web Worker reported: an error event with no message'],
    ['an error that cannot be printed', { error: Object.create(null) as object }, '[object Object]'],
    [
      'an event whose fields throw',
      Object.defineProperty({}, 'error', {
        get: () => {
          throw new Error('getter');
        },
      }),
      'getter',
    ],
    [
      'an event whose preventDefault throws',
      {
        message: 'x',
        preventDefault: () => {
          throw new Error('no');
        },
      },
      'The Web Worker reported: x',
    ],
  ])('reads %s without trusting it, and fails the message with RECEIVE_FAILED', async (_, event, cause) => {
    const { dispatcher, made } = withStandIn((worker) => {
      const terminate = worker.terminate.bind(worker);
      worker.terminate = () => {
        terminate(); // closes the ports, so nothing is left open once the spec ends
        throw new Error('terminate throws');
      };
    });
    const hanging = dispatcher.request({ type: 'hang' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    made[0]?.emit('error', event);
    const failed = (await outcome(hanging)) as { error: SparkChannelError };
    expect(isSparkChannelError(failed.error, 'RECEIVE_FAILED')).toBe(true);
    expect(failed.error.message).toContain(cause);
  });

  it('refuses a factory result whose fields cannot be read', () => {
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
      },
    );
    expect(() => spawnWebWorkerModule(() => hostile as never)).toThrow(
      /^Expected `factory` to return a Worker \(postMessage, addEventListener, terminate\)/,
    );
  });
});

describe('spawnWebWorkerModule / serveInWorker: bad arguments', () => {
  it('refuses a factory that is not a function, or returns no Worker, and bad options', () => {
    expect(() => spawnWebWorkerModule('./hash.worker' as never)).toThrow(
      new TypeError('Expected `factory` to be a function that returns a Worker, got "./hash.worker"'),
    );
    expect(() => spawnWebWorkerModule(() => ({}) as never)).toThrow(
      new TypeError(
        'Expected `factory` to return a Worker (postMessage, addEventListener, terminate), got an object ([object Object])',
      ),
    );
    expect(() => spawnWebWorkerModule(() => new InProcessWorker(kitchenSink), { workers: 0 })).toThrow(
      new RangeError('Expected `workers` to be a positive integer, got 0'),
    );
    expect(() => spawnWebWorkerModule(() => new InProcessWorker(kitchenSink), 5 as never)).toThrow(TypeError);
    expect(() => spawnWebWorkerModule(() => new InProcessWorker(kitchenSink), { capacity: -1 })).toThrow(
      RangeError,
    );
  });

  it('throws what the factory throws for the first workers, leaving nothing running', () => {
    const made: InProcessWorker[] = [];
    let calls = 0;
    expect(() =>
      spawnWebWorkerModule(
        () => {
          if (++calls === 2) throw new Error('no more workers');
          const worker = new InProcessWorker(kitchenSink);
          made.push(worker);
          return worker;
        },
        { concurrency: 2 },
      ),
    ).toThrow(new Error('no more workers'));
    expect(made.map((worker) => worker.terminated)).toEqual([true]);
  });

  it('serveInWorker refuses to run outside a worker, a scope without postMessage, and bad options', () => {
    expect(() => serveInWorker({ handleRequest: () => 1 })).toThrow(
      new TypeError(
        'serveInWorker: not inside a Web Worker; call it in the worker file, or pass `options.scope`',
      ),
    );
    expect(() => serveInWorker({ handleRequest: () => 1 }, { scope: {} as never })).toThrow(
      new TypeError(
        'Expected `options.scope` to have postMessage and addEventListener, got an object ([object Object])',
      ),
    );
    expect(() => serveInWorker({ handleRequest: () => 1 }, 'self' as never)).toThrow(TypeError);
  });

  it('serveInWorker uses the global scope inside a worker', () => {
    const posted: unknown[] = [];
    const listening: string[] = [];
    const scope = globalThis as unknown as Record<string, unknown>;
    const keys = ['WorkerGlobalScope', 'postMessage', 'addEventListener'] as const;
    const saved = keys.map((key) => [key, Object.getOwnPropertyDescriptor(scope, key)] as const);
    Object.assign(scope, {
      WorkerGlobalScope: function WorkerGlobalScope() {},
      postMessage: (message: unknown) => posted.push(message),
      addEventListener: (type: string) => listening.push(type),
    });
    try {
      serveInWorker({ handleRequest: () => 1 });
      expect(posted).toEqual([{ spark: 'ready' }]);
      expect(listening).toEqual(['message', 'messageerror']);
    } finally {
      for (const [key, descriptor] of saved) {
        if (descriptor === undefined) delete scope[key];
        else Object.defineProperty(scope, key, descriptor);
      }
    }
  });
});
