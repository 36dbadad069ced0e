import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { defer, of } from 'rxjs';

import {
  type HandlerContext,
  ModuleChannel,
  type ModuleServer,
  type ModuleServerOptions,
  runModuleServer,
  spawnModule,
  spawnTypedModule,
  createRouter,
  SparkChannelError,
  SparkGenericModuleDispatcher,
  type SparkGenericModuleHandler,
} from '../../lib/index.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_SPARK_CHANNEL_ERROR_CODE,
  ATTR_SPARK_CHANNEL_HANDLING_MS,
  ATTR_SPARK_CHANNEL_KIND,
  ATTR_SPARK_CHANNEL_MESSAGE_ID,
  ATTR_SPARK_CHANNEL_MESSAGE_TYPE,
  ATTR_SPARK_CHANNEL_MODULE,
  ATTR_SPARK_CHANNEL_OUTCOME,
  ATTR_SPARK_CHANNEL_QUEUED_MS,
  openTelemetry,
} from '../../lib/otel/index.js';
import { codeOf, deferred, flush } from '../support/helpers.js';
import { isChildOf, sameSpan, useTracing } from './tracing.js';

type Msg = { type: 'GetData'; key: string } | { type: 'LogEvent'; event: string };

/**
 * A channel, a server with `options` and a dispatcher: what spawnModule builds, without its
 * option plumbing, so these specs test the tracing alone (the wiring is tested at the end).
 */
function spawn<M, R>(
  handler: SparkGenericModuleHandler<M, R>,
  { capacity, ...options }: ModuleServerOptions<M> & { capacity?: number } = {},
): { dispatcher: SparkGenericModuleDispatcher<M, R>; server: ModuleServer<M, Error> } {
  const channel = new ModuleChannel<M, R>(capacity);
  return {
    server: runModuleServer(handler, channel, options),
    dispatcher: new SparkGenericModuleDispatcher(channel),
  };
}

const tracing = useTracing();
const { tracer } = tracing;

/** A handler whose every message is answered by `fn`. */
function handler<R>(
  fn: (message: Msg, context: HandlerContext) => R | Promise<R>,
): SparkGenericModuleHandler<Msg, R> {
  return {
    handleRequest: fn,
    handleCommand: async (message, context) => void (await fn(message, context)),
  };
}

/** A handler that waits for its signal and rejects with its reason (a well-behaved slow handler). */
const untilAborted = (_: unknown, { signal }: HandlerContext): Promise<never> =>
  new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));

const getData = (key = 'user123'): Msg => ({ type: 'GetData', key });

describe('openTelemetry()', () => {
  describe('spans', () => {
    it('names a request span after the module, the kind and the message type, with its attributes', async () => {
      const { dispatcher } = spawn(
        handler(() => 42),
        { instrument: openTelemetry({ name: 'users', tracer }) },
      );

      await expect(dispatcher.request(getData())).resolves.toBe(42);

      const span = tracing.span('users request GetData');
      expect(span.kind).toBe(SpanKind.INTERNAL);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.instrumentationScope.name).toBe('spec');
      expect(span.attributes).toEqual({
        [ATTR_SPARK_CHANNEL_KIND]: 'request',
        [ATTR_SPARK_CHANNEL_MODULE]: 'users',
        [ATTR_SPARK_CHANNEL_MESSAGE_ID]: 1,
        [ATTR_SPARK_CHANNEL_MESSAGE_TYPE]: 'GetData',
        [ATTR_SPARK_CHANNEL_OUTCOME]: 'ok',
        [ATTR_SPARK_CHANNEL_QUEUED_MS]: expect.any(Number),
        [ATTR_SPARK_CHANNEL_HANDLING_MS]: expect.any(Number),
      });
      expect(span.events.map((event) => event.name)).toEqual(['started']);
    });

    it('traces commands as well, numbered in send order', async () => {
      const { dispatcher } = spawn(
        handler(() => undefined),
        { instrument: openTelemetry({ name: 'users', tracer }) },
      );

      await dispatcher.sendCommand({ type: 'LogEvent', event: 'login' });
      await dispatcher.request(getData());
      await dispatcher.shutdown();

      expect(
        tracing.spans().map((span) => [span.name, span.attributes[ATTR_SPARK_CHANNEL_MESSAGE_ID]]),
      ).toEqual([
        ['users command LogEvent', 1],
        ['users request GetData', 2],
      ]);
      expect(tracing.span('users command LogEvent').attributes[ATTR_SPARK_CHANNEL_KIND]).toBe('command');
    });

    it('leaves the type out of the name when the message has no string `type`', async () => {
      const { dispatcher } = spawn<unknown, unknown>(
        { handleRequest: (x) => x, handleCommand: () => undefined },
        { instrument: openTelemetry({ name: 'echo', tracer }) },
      );

      await dispatcher.request(7);
      await dispatcher.request({ type: 3 });
      await dispatcher.request(null);

      expect(tracing.spans().map((span) => span.name)).toEqual([
        'echo request',
        'echo request',
        'echo request',
      ]);
      expect(tracing.spans()[0]?.attributes).not.toHaveProperty(ATTR_SPARK_CHANNEL_MESSAGE_TYPE);
    });

    it('names spans after the library, with no module attribute, when no name is given', async () => {
      const { dispatcher } = spawn(
        handler(() => 1),
        { instrument: openTelemetry({ tracer }) },
      );

      await dispatcher.request(getData());

      const span = tracing.span('spark-channel request GetData');
      expect(span.attributes).not.toHaveProperty(ATTR_SPARK_CHANNEL_MODULE);
    });

    it('takes the span name and extra attributes from the options; the library attributes win', async () => {
      const { dispatcher } = spawn(
        handler(() => 1),
        {
          instrument: openTelemetry<Msg>({
            name: 'users',
            tracer,
            spanName: (message, kind) => `users.${kind}.${message.type}`,
            attributes: (message, kind) => ({
              'app.key': message.type === 'GetData' ? message.key : '',
              'app.kind': kind,
              [ATTR_SPARK_CHANNEL_MODULE]: 'not the module',
            }),
          }),
        },
      );

      await dispatcher.request(getData('user7'));

      const span = tracing.span('users.request.GetData');
      expect(span.attributes).toMatchObject({
        'app.key': 'user7',
        'app.kind': 'request',
        [ATTR_SPARK_CHANNEL_MODULE]: 'users',
      });
    });

    it('uses the global provider’s tracer, scope spark-channel with the package version, by default', async () => {
      trace.setGlobalTracerProvider(tracing.provider);
      try {
        const { dispatcher } = spawn(
          handler(() => 1),
          { instrument: openTelemetry({ name: 'users' }) },
        );
        await dispatcher.request(getData());
      } finally {
        trace.disable();
      }

      const { instrumentationScope } = tracing.span('users request GetData');
      expect(instrumentationScope).toMatchObject({ name: 'spark-channel', version: expect.any(String) });
    });

    it('records nothing, and costs the handler nothing, when the tracer does not sample', async () => {
      const seen: unknown[] = [];
      const { dispatcher } = spawn(
        handler(() => {
          seen.push(trace.getActiveSpan()?.isRecording());
          throw new Error('boom');
        }),
        { instrument: openTelemetry({ name: 'users', tracer: trace.getTracer('no provider registered') }) },
      );

      await expect(dispatcher.request(getData())).rejects.toThrow('boom');

      expect(seen).toEqual([false]);
      expect(tracing.spans()).toEqual([]);
    });
  });

  describe('context', () => {
    it('parents a request span to the caller’s active span', async () => {
      const { dispatcher } = spawn(
        handler(() => 1),
        { instrument: openTelemetry({ name: 'users', tracer }) },
      );

      const caller = await tracer.startActiveSpan('caller', async (span) => {
        await dispatcher.request(getData());
        span.end();
        return span;
      });

      expect(isChildOf(tracing.span('users request GetData'), caller)).toBe(true);
    });

    it('parents a command span to the caller’s active span, even when it ends after the caller', async () => {
      const handled = deferred();
      const release = deferred();
      const { dispatcher } = spawn(
        handler(async () => {
          handled.resolve();
          await release.promise;
        }),
        { instrument: openTelemetry({ name: 'users', tracer }) },
      );

      const caller = tracer.startActiveSpan('caller', (span) => {
        void dispatcher.sendCommand({ type: 'LogEvent', event: 'login' });
        span.end();
        return span;
      });
      await handled.promise;
      release.resolve();
      await dispatcher.shutdown();

      expect(isChildOf(tracing.span('users command LogEvent'), caller)).toBe(true);
    });

    it('makes the message span the active span in the handler, across awaits', async () => {
      const active: (string | undefined)[] = [];
      const spanId = (): string | undefined => trace.getActiveSpan()?.spanContext().spanId;
      const { dispatcher } = spawn(
        handler(async () => {
          active.push(spanId());
          await flush();
          active.push(spanId());
          await new Promise((resolve) => setTimeout(resolve, 0));
          active.push(spanId());
        }),
        { instrument: openTelemetry({ name: 'users', tracer }) },
      );

      await tracer.startActiveSpan('caller', async (span) => {
        await dispatcher.request(getData());
        span.end();
      });

      const { spanId: id } = tracing.span('users request GetData').spanContext();
      expect(active).toEqual([id, id, id]);
    });

    it('parents the spans a handler starts to the message span', async () => {
      const { dispatcher } = spawn(
        handler(async () => {
          await tracer.startActiveSpan('db.query', async (span) => {
            await flush();
            tracer.startSpan('db.row').end(); // grandchild
            span.end();
          });
          tracer.startSpan('after the query').end();
        }),
        { instrument: openTelemetry({ name: 'users', tracer }) },
      );

      await dispatcher.request(getData());

      const message = tracing.span('users request GetData');
      const query = tracing.span('db.query');
      expect(isChildOf(query, message)).toBe(true);
      expect(isChildOf(tracing.span('db.row'), query)).toBe(true);
      expect(isChildOf(tracing.span('after the query'), message)).toBe(true);
    });

    it('does not leak the message span to the caller', async () => {
      const { dispatcher } = spawn(
        handler(() => 1),
        { instrument: openTelemetry({ name: 'users', tracer }) },
      );

      await tracer.startActiveSpan('caller', async (span) => {
        await dispatcher.request(getData());
        expect(sameSpan(trace.getActiveSpan(), span)).toBe(true);
        span.end();
      });
      expect(trace.getActiveSpan()).toBeUndefined();
    });

    it('keeps each message’s span active in its own handler when they run side by side', async () => {
      const gates = [deferred(), deferred()];
      const seen = new Map<string, string | undefined>();
      const { dispatcher } = spawn(
        handler(async (message) => {
          const key = message.type === 'GetData' ? message.key : '';
          await gates[Number(key)]?.promise;
          seen.set(key, trace.getActiveSpan()?.spanContext().spanId);
        }),
        { concurrency: 2, instrument: openTelemetry({ name: 'users', tracer }) },
      );

      const callers = ['0', '1'].map((key) =>
        tracer.startActiveSpan(`caller ${key}`, async (span) => {
          await dispatcher.request(getData(key));
          span.end();
          return span;
        }),
      );
      gates[1]?.resolve(); // the second finishes first
      await flush();
      gates[0]?.resolve();
      const [first, second] = await Promise.all(callers);

      const spans = tracing.spans().filter((span) => span.name === 'users request GetData');
      expect(spans).toHaveLength(2);
      for (const [key, caller] of [
        ['0', first],
        ['1', second],
      ] as const) {
        const span = spans.find((s) => isChildOf(s, caller!));
        expect(span?.spanContext().spanId).toBe(seen.get(key));
      }
    });

    it('makes a request from module A’s handler to module B a child of A’s span', async () => {
      const b = spawn(
        handler(() => 'from B'),
        { instrument: openTelemetry({ name: 'b', tracer }) },
      );
      const a = spawn(
        handler(async () => `A got ${await b.dispatcher.request(getData())}`),
        { instrument: openTelemetry({ name: 'a', tracer }) },
      );

      const caller = await tracer.startActiveSpan('caller', async (span) => {
        await expect(a.dispatcher.request(getData())).resolves.toBe('A got from B');
        span.end();
        return span;
      });

      const spanA = tracing.span('a request GetData');
      const spanB = tracing.span('b request GetData');
      expect(isChildOf(spanA, caller)).toBe(true);
      expect(isChildOf(spanB, spanA)).toBe(true);
    });

    it('starts the span at the send: a request that waited for room includes its wait', async () => {
      const release = deferred();
      const { dispatcher } = spawn(
        handler(async (message) => {
          if (message.type === 'LogEvent') await release.promise;
          return message.type;
        }),
        { capacity: 1, instrument: openTelemetry({ name: 'users', tracer }) },
      );

      const caller = tracer.startActiveSpan('caller', (span) => {
        void dispatcher.sendCommand({ type: 'LogEvent', event: 'slow' }); // running
        void dispatcher.sendCommand({ type: 'LogEvent', event: 'queued' }); // takes the one slot
        const waiting = dispatcher.request(getData()); // waits for room
        span.end();
        return { span, waiting };
      });
      await flush();
      release.resolve();
      await expect(caller.waiting).resolves.toBe('GetData');

      const span = tracing.span('users request GetData');
      expect(isChildOf(span, caller.span)).toBe(true);
      const started = span.events.find((event) => event.name === 'started');
      expect(toMs(started!.time)).toBeGreaterThanOrEqual(toMs(span.startTime));
      expect(span.attributes[ATTR_SPARK_CHANNEL_QUEUED_MS]).toEqual(expect.any(Number));
    });

    // The work of a cold observable runs when the server subscribes to it: inside `run` too.
    it('enters the message span where an observable handler is subscribed', async () => {
      const active: (string | undefined)[] = [];
      const { dispatcher } = spawn<Msg, string>(
        {
          handleRequest: () =>
            defer(() => {
              active.push(trace.getActiveSpan()?.spanContext().spanId);
              return of('done');
            }),
          handleCommand: () => undefined,
        },
        { instrument: openTelemetry({ name: 'users', tracer }) },
      );

      await expect(dispatcher.request(getData())).resolves.toBe('done');

      expect(active).toEqual([tracing.span('users request GetData').spanContext().spanId]);
    });
  });

  describe('outcomes', () => {
    it('ends a failed request with status ERROR, its exception and its error type', async () => {
      const { dispatcher } = spawn(
        handler(() => {
          throw new TypeError('no such key');
        }),
        { instrument: openTelemetry({ name: 'users', tracer }) },
      );

      await expect(dispatcher.request(getData())).rejects.toThrow('no such key');

      const span = tracing.span('users request GetData');
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no such key' });
      expect(span.attributes).toMatchObject({
        [ATTR_SPARK_CHANNEL_OUTCOME]: 'error',
        [ATTR_ERROR_TYPE]: 'TypeError',
      });
      expect(span.attributes).not.toHaveProperty(ATTR_SPARK_CHANNEL_ERROR_CODE);
      const exception = span.events.find((event) => event.name === 'exception');
      expect(exception?.attributes).toMatchObject({
        'exception.type': 'TypeError',
        'exception.message': 'no such key',
      });
    });

    it('ends a failed command with status ERROR, also when it throws a string or a plain object', async () => {
      const thrown: unknown[] = ['disk full', { reason: 'disk full' }, new RangeError('too big')];
      const { dispatcher } = spawn(
        handler(() => {
          throw thrown.shift();
        }),
        { instrument: openTelemetry({ name: 'users', tracer }), logger: { error: () => undefined } },
      );

      for (let i = 0; i < 3; i++) await dispatcher.sendCommand({ type: 'LogEvent', event: String(i) });
      await dispatcher.shutdown();

      const [text, object, error] = tracing.spans();
      expect(text?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'disk full' });
      expect(text?.attributes[ATTR_ERROR_TYPE]).toBe('_OTHER');
      expect(text?.events.map((event) => event.name)).toEqual(['started', 'exception']);
      expect(object?.status).toEqual({
        code: SpanStatusCode.ERROR,
        message: 'an object ([object Object]) was thrown',
      });
      expect(object?.events.map((event) => event.name)).toEqual(['started']);
      expect(error?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'too big' });
      expect(error?.attributes).toMatchObject({
        [ATTR_SPARK_CHANNEL_KIND]: 'command',
        [ATTR_SPARK_CHANNEL_OUTCOME]: 'error',
        [ATTR_ERROR_TYPE]: 'RangeError',
      });
    });

    it('ends a timed-out request with status ERROR and code TIMEOUT', async () => {
      const { dispatcher } = spawn(
        { handleRequest: untilAborted, handleCommand: () => undefined },
        { instrument: openTelemetry({ name: 'users', tracer }) },
      );

      expect(await codeOf(dispatcher.request(getData(), { timeoutMs: 1 }))).toBe('TIMEOUT');
      await dispatcher.shutdown();

      const span = tracing.span('users request GetData');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        [ATTR_SPARK_CHANNEL_OUTCOME]: 'timeout',
        [ATTR_SPARK_CHANNEL_ERROR_CODE]: 'TIMEOUT',
        [ATTR_ERROR_TYPE]: 'TIMEOUT',
      });
      expect(span.events.map((event) => event.name)).toEqual(['started', 'exception']);
    });

    it('ends a request that timed out in the queue, never started, without a started event', async () => {
      const release = deferred();
      const { dispatcher } = spawn(
        handler(async (message) => {
          if (message.type === 'LogEvent') await release.promise;
        }),
        { instrument: openTelemetry({ name: 'users', tracer }) },
      );

      void dispatcher.sendCommand({ type: 'LogEvent', event: 'slow' });
      expect(await codeOf(dispatcher.request(getData(), { timeoutMs: 1 }))).toBe('TIMEOUT');
      release.resolve();
      await dispatcher.shutdown();

      const span = tracing.span('users request GetData');
      expect(span.attributes).toMatchObject({
        [ATTR_SPARK_CHANNEL_OUTCOME]: 'timeout',
        [ATTR_SPARK_CHANNEL_ERROR_CODE]: 'TIMEOUT',
      });
      expect(span.attributes).not.toHaveProperty(ATTR_SPARK_CHANNEL_HANDLING_MS);
      expect(span.events.map((event) => event.name)).toEqual(['exception']);
    });

    it('ends a cancelled request with code CANCELLED and status UNSET: the caller’s choice, not a failure', async () => {
      const { dispatcher } = spawn(
        { handleRequest: untilAborted, handleCommand: () => undefined },
        { instrument: openTelemetry({ name: 'users', tracer }) },
      );

      const controller = new AbortController();
      const request = dispatcher.request(getData(), { signal: controller.signal });
      await flush();
      controller.abort();
      expect(await codeOf(request)).toBe('CANCELLED');
      await dispatcher.shutdown();

      const span = tracing.span('users request GetData');
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes).toMatchObject({
        [ATTR_SPARK_CHANNEL_OUTCOME]: 'cancelled',
        [ATTR_SPARK_CHANNEL_ERROR_CODE]: 'CANCELLED',
      });
      expect(span.attributes).not.toHaveProperty(ATTR_ERROR_TYPE);
      expect(span.events.map((event) => event.name)).toEqual(['started']);
    });

    it('ends running and queued requests with RECEIVE_FAILED when the server is stopped', async () => {
      const { dispatcher, server } = spawn(
        { handleRequest: untilAborted, handleCommand: () => undefined },
        { instrument: openTelemetry({ name: 'users', tracer }) },
      );

      const running = dispatcher.request(getData('running'));
      const queued = dispatcher.request(getData('queued'));
      await flush();
      server.stop();

      expect([await codeOf(running), await codeOf(queued)]).toEqual(['RECEIVE_FAILED', 'RECEIVE_FAILED']);
      const spans = tracing.spans();
      expect(spans).toHaveLength(2);
      for (const span of spans) {
        expect(span.status.code).toBe(SpanStatusCode.ERROR);
        expect(span.attributes).toMatchObject({
          [ATTR_SPARK_CHANNEL_OUTCOME]: 'error',
          [ATTR_SPARK_CHANNEL_ERROR_CODE]: 'RECEIVE_FAILED',
        });
      }
      expect(spans.map((span) => span.events.map((event) => event.name))).toEqual(
        expect.arrayContaining([['started', 'exception'], ['exception']]),
      );
    });

    it('records the code of a SparkChannelError a handler fails with', async () => {
      const { dispatcher } = spawn(
        handler(() => {
          throw new SparkChannelError('RATE_LIMITED', 'upstream busy');
        }),
        { instrument: openTelemetry({ name: 'users', tracer }) },
      );

      expect(await codeOf(dispatcher.request(getData()))).toBe('RATE_LIMITED');

      expect(tracing.span('users request GetData').attributes).toMatchObject({
        [ATTR_SPARK_CHANNEL_ERROR_CODE]: 'RATE_LIMITED',
        [ATTR_ERROR_TYPE]: 'RATE_LIMITED',
      });
    });

    it('gives a message sent before the server started one span too, in a trace of its own', async () => {
      const channel = new ModuleChannel<Msg, string>();
      const early = new SparkGenericModuleDispatcher(channel).request(getData('early'));

      runModuleServer(
        handler(() => 'ok'),
        channel,
        { instrument: openTelemetry({ name: 'users', tracer }) },
      );

      await expect(early).resolves.toBe('ok');
      const span = tracing.span('users request GetData');
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.attributes).toMatchObject({
        [ATTR_SPARK_CHANNEL_OUTCOME]: 'ok',
        [ATTR_SPARK_CHANNEL_MESSAGE_ID]: 1,
      });
    });

    // The instrumentation contract: such a message has no `sent`, so its span is no child of
    // whatever was active where the server happened to start it.
    it('does not parent a message sent before the server started to the span that started the server', async () => {
      const channel = new ModuleChannel<Msg, string>();
      const early = new SparkGenericModuleDispatcher(channel).request(getData('early'));

      tracer.startActiveSpan('bootstrap', (span) => {
        runModuleServer(
          handler(() => 'ok'),
          channel,
          { instrument: openTelemetry({ name: 'users', tracer }) },
        );
        span.end();
      });

      await expect(early).resolves.toBe('ok');
      expect(tracing.span('users request GetData').parentSpanContext).toBeUndefined();
    });
  });

  describe('wiring', () => {
    it('is passed through spawnModule', async () => {
      const { dispatcher } = spawnModule(
        handler(() => 1),
        { capacity: 4, instrument: openTelemetry({ name: 'users', tracer }) },
      );

      await dispatcher.request(getData());

      expect(tracing.spans().map((span) => span.name)).toEqual(['users request GetData']);
    });

    it('is passed through spawnTypedModule', async () => {
      const router = createRouter<{ Ping: { request: { n: number }; response: number } }>({
        Ping: { request: ({ n }) => n + 1 },
      });
      const { dispatcher } = spawnTypedModule(router, {
        instrument: openTelemetry({ name: 'ping', tracer }),
      });

      await expect(dispatcher.request({ type: 'Ping', n: 1 })).resolves.toBe(2);

      expect(tracing.spans().map((span) => span.name)).toEqual(['ping request Ping']);
    });
  });
});

function toMs([seconds, nanos]: [number, number]): number {
  return seconds * 1e3 + nanos / 1e6;
}
