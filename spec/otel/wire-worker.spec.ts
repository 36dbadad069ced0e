// One trace into real worker threads: the task carries `traceparent` / `tracestate` in its
// envelope, the handler file's own `tracing` (openTelemetryWire, in the thread's own OpenTelemetry)
// reads them, and the thread's spans are children of the main thread's CLIENT / PRODUCER span.
// The thread's spans come back on a BroadcastChannel (see fixtures/traced.worker.mjs).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';

import { propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

import {
  ATTR_ERROR_TYPE,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_SPARK_CHANNEL_KIND,
  openTelemetry,
  openTelemetryWire,
} from '../../lib/otel/index.js';
import type { WireTracing } from '../../lib/wire-tracing.js';
import { spawnWorkerModule } from '../../lib/worker/index.js';
import { isChildOf, useTracing } from './tracing.js';

interface ThreadSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly parentIsRemote: boolean | undefined;
  readonly attributes: Record<string, unknown>;
  readonly status: SpanStatusCode;
}

const FILE = join(__dirname, 'fixtures', 'traced.worker.mjs');
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('one trace into real worker threads', () => {
  const tracing = useTracing();
  let channelName: string;
  let channel: BroadcastChannel;
  let threadSpans: ThreadSpan[];
  let waiting: { count: number; resolve: () => void } | undefined;

  beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterAll(() => propagation.disable());
  beforeEach(() => {
    channelName = `spark-channel-spec-spans-${randomUUID()}`;
    channel = new BroadcastChannel(channelName);
    threadSpans = [];
    channel.onmessage = (event: unknown) => {
      threadSpans.push((event as { data: ThreadSpan }).data);
      if (waiting !== undefined && threadSpans.length >= waiting.count) waiting.resolve();
    };
  });
  afterEach(() => channel.close());

  /** Resolves once the threads have reported `count` spans. */
  const threadSpansArrived = (count: number): Promise<void> =>
    new Promise((resolve) => {
      if (threadSpans.length >= count) return resolve();
      waiting = { count, resolve };
    });
  const threadSpan = (name: string): ThreadSpan => {
    const found = threadSpans.filter((span) => span.name === name);
    if (found.length !== 1) throw new Error(`Expected one thread span "${name}", got ${found.length}`);
    return found[0] as ThreadSpan;
  };

  function spawn(wire: WireTracing = openTelemetryWire({ tracer: tracing.tracer })) {
    return spawnWorkerModule<{ channel: string; value: number; fail?: boolean }, number>(FILE, {
      instrument: openTelemetry({ name: 'doubler', tracer: tracing.tracer }),
      tracing: wire,
    });
  }

  it('makes the thread serving a request a child of the CLIENT span: module → CLIENT → SERVER (thread) → handler', async () => {
    const { dispatcher, closed } = spawn();
    await expect(dispatcher.request({ channel: channelName, value: 21 })).resolves.toBe(42);
    await threadSpansArrived(3);
    await dispatcher.shutdown();
    await closed;

    const module = tracing.span('doubler request');
    const send = tracing.span('send traced.worker.mjs');
    const served = threadSpan('process traced.worker.mjs');
    const work = threadSpan('thread work');
    const afterAwait = threadSpan('after await');
    expect(isChildOf(send, module)).toBe(true);
    expect(send.kind).toBe(SpanKind.CLIENT);
    expect(send.attributes).toEqual({
      [ATTR_MESSAGING_SYSTEM]: 'spark_channel',
      [ATTR_MESSAGING_DESTINATION_NAME]: 'traced.worker.mjs',
      [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
      [ATTR_MESSAGING_OPERATION_NAME]: 'send',
      [ATTR_MESSAGING_MESSAGE_ID]: '1',
      [ATTR_SPARK_CHANNEL_KIND]: 'request',
    });
    const { traceId, spanId } = send.spanContext();
    expect([served.traceId, work.traceId, afterAwait.traceId]).toEqual([traceId, traceId, traceId]);
    expect(served.parentSpanId).toBe(spanId);
    expect(served.parentIsRemote).toBe(true);
    expect(served.kind).toBe(SpanKind.SERVER);
    expect(served.attributes).toEqual({
      [ATTR_MESSAGING_SYSTEM]: 'spark_channel',
      [ATTR_MESSAGING_DESTINATION_NAME]: 'traced.worker.mjs',
      [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
      [ATTR_MESSAGING_OPERATION_NAME]: 'process',
      [ATTR_MESSAGING_MESSAGE_ID]: '1',
      [ATTR_SPARK_CHANNEL_KIND]: 'request',
    });
    expect(work.parentSpanId).toBe(served.spanId);
    expect(afterAwait.parentSpanId).toBe(work.spanId);
  });

  it('makes the thread running a command a child of the PRODUCER span', async () => {
    const { dispatcher, closed } = spawn();
    await dispatcher.sendCommand({ channel: channelName, value: 1 });
    await threadSpansArrived(2);
    await dispatcher.shutdown();
    await closed;

    const send = tracing.span('send traced.worker.mjs');
    const served = threadSpan('process traced.worker.mjs');
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(served.kind).toBe(SpanKind.CONSUMER);
    expect(served.parentSpanId).toBe(send.spanContext().spanId);
    expect(threadSpan('thread command').parentSpanId).toBe(served.spanId);
  });

  it('ends both spans of a failed task with status ERROR and error.type', async () => {
    const { dispatcher, closed } = spawn();
    await expect(dispatcher.request({ channel: channelName, value: 1, fail: true })).rejects.toThrow(
      TypeError,
    );
    await threadSpansArrived(3);
    await dispatcher.shutdown();
    await closed;
    const send = tracing.span('send traced.worker.mjs');
    const served = threadSpan('process traced.worker.mjs');
    expect([send.status.code, served.status]).toEqual([SpanStatusCode.ERROR, SpanStatusCode.ERROR]);
    expect([send.attributes[ATTR_ERROR_TYPE], served.attributes[ATTR_ERROR_TYPE]]).toEqual([
      'TypeError',
      'TypeError',
    ]);
  });

  it.each([
    ['garbage', 'not a traceparent'],
    ['an oversized traceparent', `00-${TRACE_ID}-00f067aa0ba902b7-01${'-x'.repeat(5_000)}`],
  ])(
    'starts a new trace in the thread for %s in the envelope; the task is answered',
    async (_name, value) => {
      const hostile: WireTracing = {
        ...openTelemetryWire({ tracer: tracing.tracer }),
        send: (_operation, set) => {
          set('traceparent', value);
          set('tracestate', `a=${'b'.repeat(10_000)}`);
          return undefined;
        },
      };
      const { dispatcher, closed } = spawn(hostile);
      await expect(dispatcher.request({ channel: channelName, value: 2 })).resolves.toBe(4);
      await threadSpansArrived(3);
      await dispatcher.shutdown();
      await closed;
      const served = threadSpan('process traced.worker.mjs');
      expect(served.parentSpanId).toBeUndefined();
      expect(served.traceId).not.toBe(TRACE_ID);
      expect(threadSpan('thread work').parentSpanId).toBe(served.spanId);
    },
  );

  it('sends no trace with the task when tracing is not configured: the thread starts its own trace', async () => {
    const { dispatcher, closed } = spawnWorkerModule<{ channel: string; value: number }, number>(FILE, {});
    await expect(dispatcher.request({ channel: channelName, value: 5 })).resolves.toBe(10);
    await threadSpansArrived(3);
    await dispatcher.shutdown();
    await closed;
    expect(threadSpan('process traced.worker.mjs').parentSpanId).toBeUndefined();
    expect(tracing.spans()).toEqual([]);
  });

  it('refuses a tracing without send and sent, naming it', () => {
    expect(() => spawnWorkerModule(FILE, { tracing: {} as WireTracing })).toThrow(/`tracing`/);
  });
});
