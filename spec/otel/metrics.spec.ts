// openTelemetryMetrics() against the real SDK: a MeterProvider with a MetricReader the spec
// collects from, so each metric is read as an exporter would get it.
import { metrics } from '@opentelemetry/api';
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';

import { spawnModule, type SparkGenericModuleHandler } from '../../lib/index.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_SPARK_CHANNEL_ERROR_CODE,
  ATTR_SPARK_CHANNEL_KIND,
  ATTR_SPARK_CHANNEL_OUTCOME,
  METRIC_MESSAGING_CLIENT_OPERATION_DURATION,
  METRIC_MESSAGING_CLIENT_SENT_MESSAGES,
  METRIC_MESSAGING_PROCESS_DURATION,
  METRIC_SPARK_CHANNEL_IN_FLIGHT,
  METRIC_SPARK_CHANNEL_QUEUE_DEPTH,
  openTelemetryMetrics,
} from '../../lib/otel/index.js';
import { deferred } from '../support/helpers.js';

class SpecReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

type Msg = { type: string };

describe('openTelemetryMetrics', () => {
  let reader: SpecReader;
  let provider: MeterProvider;
  beforeEach(() => {
    reader = new SpecReader();
    provider = new MeterProvider({ readers: [reader] });
  });
  afterEach(() => provider.shutdown());

  async function collect(): Promise<MetricData[]> {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  }
  const pointsOf = <T>(all: MetricData[], name: string): DataPoint<T>[] =>
    (all.find((metric) => metric.descriptor.name === name)?.dataPoints ?? []) as DataPoint<T>[];
  /** The data points as `attributes → value`, for one look at all of them. */
  const byAttributes = <T>(points: DataPoint<T>[], value: (point: DataPoint<T>) => unknown) =>
    points.map((point) => ({ ...point.attributes, value: value(point) }));

  const handler: SparkGenericModuleHandler<Msg, string> = {
    handleRequest: (message) => {
      if (message.type === 'fail') throw new TypeError('bad');
      return 'ok';
    },
    handleCommand: () => undefined,
  };
  const base = { [ATTR_MESSAGING_SYSTEM]: 'spark_channel', [ATTR_MESSAGING_DESTINATION_NAME]: 'users' };
  const send = { ...base, [ATTR_MESSAGING_OPERATION_TYPE]: 'send', [ATTR_MESSAGING_OPERATION_NAME]: 'send' };
  const processed = {
    ...base,
    [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
    [ATTR_MESSAGING_OPERATION_NAME]: 'process',
  };

  it('counts sent messages and records process and operation durations, with outcome and error.type', async () => {
    const { dispatcher, server } = spawnModule<Msg, string>(handler);
    openTelemetryMetrics(server, { name: 'users', meter: provider.getMeter('spec') });
    await dispatcher.request({ type: 'GetData' });
    await dispatcher.request({ type: 'GetData' });
    await expect(dispatcher.request({ type: 'fail' })).rejects.toThrow(TypeError);
    await dispatcher.sendCommand({ type: 'Touch' });
    await dispatcher.shutdown();

    const all = await collect();
    expect(
      byAttributes(pointsOf<number>(all, METRIC_MESSAGING_CLIENT_SENT_MESSAGES), (p) => p.value),
    ).toEqual(
      expect.arrayContaining([
        { ...send, [ATTR_SPARK_CHANNEL_KIND]: 'request', value: 3 },
        { ...send, [ATTR_SPARK_CHANNEL_KIND]: 'command', value: 1 },
      ]),
    );
    expect(pointsOf(all, METRIC_MESSAGING_CLIENT_SENT_MESSAGES)).toHaveLength(2);
    const count = (p: DataPoint<Histogram>): number => p.value.count;
    expect(byAttributes(pointsOf<Histogram>(all, METRIC_MESSAGING_PROCESS_DURATION), count)).toEqual(
      expect.arrayContaining([
        { ...processed, [ATTR_SPARK_CHANNEL_KIND]: 'request', [ATTR_SPARK_CHANNEL_OUTCOME]: 'ok', value: 2 },
        {
          ...processed,
          [ATTR_SPARK_CHANNEL_KIND]: 'request',
          [ATTR_SPARK_CHANNEL_OUTCOME]: 'error',
          [ATTR_ERROR_TYPE]: 'TypeError',
          value: 1,
        },
        { ...processed, [ATTR_SPARK_CHANNEL_KIND]: 'command', [ATTR_SPARK_CHANNEL_OUTCOME]: 'ok', value: 1 },
      ]),
    );
    expect(pointsOf(all, METRIC_MESSAGING_PROCESS_DURATION)).toHaveLength(3);
    const operations = pointsOf<Histogram>(all, METRIC_MESSAGING_CLIENT_OPERATION_DURATION);
    expect(byAttributes(operations, count)).toEqual(
      expect.arrayContaining([
        { ...send, [ATTR_SPARK_CHANNEL_KIND]: 'request', [ATTR_SPARK_CHANNEL_OUTCOME]: 'ok', value: 2 },
        {
          ...send,
          [ATTR_SPARK_CHANNEL_KIND]: 'request',
          [ATTR_SPARK_CHANNEL_OUTCOME]: 'error',
          [ATTR_ERROR_TYPE]: 'TypeError',
          value: 1,
        },
      ]),
    );
    expect(operations).toHaveLength(2); // requests only
    const descriptor = all.find((m) => m.descriptor.name === METRIC_MESSAGING_PROCESS_DURATION)?.descriptor;
    expect(descriptor?.unit).toBe('s');
  });

  it('records a timed-out request with error.type TIMEOUT and its code', async () => {
    const release = deferred<string>();
    const { dispatcher, server } = spawnModule<Msg, string>({
      handleRequest: () => release.promise,
      handleCommand: () => undefined,
    });
    openTelemetryMetrics(server, { meter: provider.getMeter('spec') });
    await expect(dispatcher.request({ type: 'slow' }, { timeoutMs: 5 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    release.resolve('late');
    await dispatcher.shutdown();
    const [point] = pointsOf<Histogram>(await collect(), METRIC_MESSAGING_PROCESS_DURATION);
    expect(point?.attributes).toMatchObject({
      [ATTR_SPARK_CHANNEL_OUTCOME]: 'timeout',
      [ATTR_SPARK_CHANNEL_ERROR_CODE]: 'TIMEOUT',
      [ATTR_ERROR_TYPE]: 'TIMEOUT',
    });
    expect(point?.attributes).not.toHaveProperty(ATTR_MESSAGING_DESTINATION_NAME); // no name given
  });

  it('reports queue depth and in-flight as gauges at collection time, until the server stops', async () => {
    const release = deferred<void>();
    const { dispatcher, server } = spawnModule<Msg, string>(
      { handleRequest: () => 'ok', handleCommand: () => release.promise },
      { concurrency: 1 },
    );
    const meter = provider.getMeter('spec');
    const removed = jest.spyOn(meter, 'removeBatchObservableCallback');
    openTelemetryMetrics(server, { name: 'users', meter });
    await Promise.all([1, 2, 3].map(() => dispatcher.sendCommand({ type: 'Block' })));

    const gauge = (all: MetricData[], name: string): unknown[] =>
      byAttributes(pointsOf<number>(all, name), (p) => p.value);
    let all = await collect();
    expect(gauge(all, METRIC_SPARK_CHANNEL_QUEUE_DEPTH)).toEqual([{ ...base, value: 2 }]);
    expect(gauge(all, METRIC_SPARK_CHANNEL_IN_FLIGHT)).toEqual([{ ...base, value: 1 }]);
    release.resolve();
    await dispatcher.request({ type: 'after' }); // handled in order: the commands are done
    all = await collect();
    expect(gauge(all, METRIC_SPARK_CHANNEL_QUEUE_DEPTH)).toEqual([{ ...base, value: 0 }]);
    expect(gauge(all, METRIC_SPARK_CHANNEL_IN_FLIGHT)).toEqual([{ ...base, value: 0 }]);
    expect(removed).not.toHaveBeenCalled();
    await dispatcher.shutdown();
    // The server stopped: the next collection reports its final state, then the callback goes.
    all = await collect();
    expect(gauge(all, METRIC_SPARK_CHANNEL_QUEUE_DEPTH)).toEqual([{ ...base, value: 0 }]);
    await Promise.resolve();
    expect(removed).toHaveBeenCalledTimes(1);
    await collect();
    expect(removed).toHaveBeenCalledTimes(1);
  });

  it('counts a message refused before its channel accepted it as a failed send', async () => {
    const release = deferred<string>();
    const { dispatcher, server } = spawnModule<Msg, string>(
      { handleRequest: () => release.promise, handleCommand: () => undefined },
      { capacity: 1 },
    );
    openTelemetryMetrics(server, { name: 'users', meter: provider.getMeter('spec') });
    const running = dispatcher.request({ type: 'a' });
    const queued = dispatcher.request({ type: 'b' });
    const controller = new AbortController();
    const waiting = dispatcher.request({ type: 'c' }, { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    release.resolve('done');
    await Promise.all([running, queued]);
    await dispatcher.shutdown();
    const sent = byAttributes(
      pointsOf<number>(await collect(), METRIC_MESSAGING_CLIENT_SENT_MESSAGES),
      (p) => p.value,
    );
    expect(sent).toEqual(
      expect.arrayContaining([
        { ...send, [ATTR_SPARK_CHANNEL_KIND]: 'request', value: 2 },
        {
          ...send,
          [ATTR_SPARK_CHANNEL_KIND]: 'request',
          [ATTR_SPARK_CHANNEL_OUTCOME]: 'cancelled',
          [ATTR_SPARK_CHANNEL_ERROR_CODE]: 'CANCELLED',
          value: 1,
        },
      ]),
    );
  });

  it('stops recording on unsubscribe (idempotent), the counts up to then reported once more', async () => {
    const { dispatcher, server } = spawnModule<Msg, string>(handler);
    const meter = provider.getMeter('spec');
    const removed = jest.spyOn(meter, 'removeBatchObservableCallback');
    const recording = openTelemetryMetrics(server, { meter });
    await dispatcher.request({ type: 'GetData' });
    recording.unsubscribe();
    recording.unsubscribe();
    await dispatcher.request({ type: 'GetData' });
    const all = await collect();
    expect(pointsOf<number>(all, METRIC_MESSAGING_CLIENT_SENT_MESSAGES).map((p) => p.value)).toEqual([1]);
    expect(pointsOf<Histogram>(all, METRIC_MESSAGING_PROCESS_DURATION).map((p) => p.value.count)).toEqual([
      1,
    ]);
    await Promise.resolve();
    expect(removed).toHaveBeenCalledTimes(1);
    await dispatcher.shutdown();
    expect(removed).toHaveBeenCalledTimes(1);
  });

  it("uses the global provider's meter by default", async () => {
    metrics.setGlobalMeterProvider(provider);
    try {
      const { dispatcher, server } = spawnModule<Msg, string>(handler);
      openTelemetryMetrics(server);
      await dispatcher.request({ type: 'GetData' });
      await dispatcher.shutdown();
      const { resourceMetrics } = await reader.collect();
      expect(resourceMetrics.scopeMetrics.map((scope) => scope.scope.name)).toEqual(['spark-channel']);
    } finally {
      metrics.disable();
    }
  });

  it('refuses what it cannot use, naming it', () => {
    const { server } = spawnModule<Msg, string>(handler);
    expect(() => openTelemetryMetrics({} as never)).toThrow(/`server`/);
    expect(() => openTelemetryMetrics(null as never)).toThrow(/`server`/);
    expect(() => openTelemetryMetrics(server, 1 as never)).toThrow(/`options`/);
    expect(() => openTelemetryMetrics(server, { name: '' })).toThrow(/`name`/);
    expect(() => openTelemetryMetrics(server, { meter: {} as never })).toThrow(/`meter`/);
    server.stop();
  });
});
