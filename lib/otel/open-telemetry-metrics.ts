// Per message (while the module is observed): a prebuilt attribute set for an accepted message
// and an ok settlement (a cached one, looked up by key, for other outcomes) and one counter or
// histogram call per event; nothing else is allocated here (the SDK hashes the set per call). The gauges read `server.stats()` once
// per collection, not per message.
import { type Attributes, type BatchObservableCallback, type Meter, metrics } from '@opentelemetry/api';
import { checkOptions, describe } from '../internal/validate.js';
import type { MessageSettledEvent } from '../module-event.js';
import type { ModuleServer } from '../module-server-types.js';
import { isSparkChannelError } from '../spark-channel-error.js';
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
} from './attributes.js';
import { TRACER_NAME, TRACER_VERSION } from './version.js';

/**
 * Options of {@link openTelemetryMetrics}.
 *
 * @example
 * const options: OpenTelemetryMetricsOptions = { name: 'users', meter: provider.getMeter('app') };
 * openTelemetryMetrics(server, options);
 */
export interface OpenTelemetryMetricsOptions {
  /** The module's name: `messaging.destination.name` on every data point. Without it, none. */
  name?: string;
  /**
   * Where the metrics go. By default `metrics.getMeter('spark-channel', version)`: the globally
   * registered provider's meter (a no-op until one is registered).
   */
  meter?: Meter;
}

/**
 * What {@link openTelemetryMetrics} returns: a handle that stops recording (the next collection
 * reports the final counts).
 *
 * @example
 * const recording: OpenTelemetryMetrics = openTelemetryMetrics(server, { name: 'users' });
 * recording.unsubscribe(); // or let the server stop: recording ends with its events$
 */
export interface OpenTelemetryMetrics {
  /** Stops recording: the next collection reports the final counts, then the callback is removed. Idempotent. */
  unsubscribe(): void;
}

// The part of a module server the metrics read: its `events$` and its `stats()`.
type MeteredServer = Pick<ModuleServer<unknown, unknown>, 'events$' | 'stats'>;

const SECONDS = 1_000;

/**
 * Records a module server's metrics with OpenTelemetry, following the messaging semantic
 * conventions, from its `events$` (which it subscribes to: the server records its events from then
 * on) and its `stats()`:
 *
 * - `messaging.client.sent.messages` (an observable counter, `{message}`, counted here and
 *   reported per collection): each message the channel accepted, and each one refused before it
 *   was (with its outcome and code);
 * - `messaging.process.duration` (histogram, seconds): the handling time of each message whose
 *   handler ran;
 * - `messaging.client.operation.duration` (histogram, seconds): for each request, acceptance to
 *   settlement (queue wait plus handling);
 * - `spark_channel.queue.depth` and `spark_channel.in_flight` (observable gauges, `{message}`):
 *   `stats().queued` and `stats().running` at each collection.
 *
 * Every data point carries `messaging.system: spark_channel`, `messaging.operation.type` and
 * `.name` (`send` or `process`), `spark_channel.kind` and, with `name`, `messaging.destination.name`;
 * the durations add `spark_channel.outcome`, `spark_channel.error_code` for the library's errors
 * and `error.type` for a failed or timed-out message (as on spans; a cancelled one has none).
 * Message types and ids are left out on purpose: they would make a series per value.
 *
 * Recording stops when the server stops (its `events$` completes) or on `unsubscribe()`; the next
 * collection still reports the counts up to then (and empty gauges), after which the metrics'
 * callback is removed from the meter.
 *
 * @throws TypeError naming `server`, `options`, `name` or `meter` when it is not usable.
 *
 * @example
 * const { dispatcher, server } = spawnModule(new UsersHandler());
 * openTelemetryMetrics(server, { name: 'users' });
 * await dispatcher.request({ type: 'GetData', key: 'user123' }); // one sent message, one process duration
 */
export function openTelemetryMetrics(
  server: Pick<ModuleServer<unknown, unknown>, 'events$' | 'stats'>,
  options?: OpenTelemetryMetricsOptions,
): OpenTelemetryMetrics {
  const source = server as Partial<MeteredServer> | null;
  if (
    typeof source !== 'object' ||
    source === null ||
    typeof source.stats !== 'function' ||
    typeof source.events$?.subscribe !== 'function'
  ) {
    throw new TypeError(
      `Expected \`server\` to be a module server (events$ and stats()), got ${describe(server)}`,
    );
  }
  checkOptions('options', options);
  const { name, meter } = options ?? {};
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw new TypeError(`Expected \`name\` to be a non-empty string, got ${describe(name)}`);
  }
  if (meter !== undefined && typeof (meter as Partial<Meter> | null)?.createCounter !== 'function') {
    throw new TypeError(
      `Expected \`meter\` to be an OpenTelemetry Meter (createCounter()), got ${describe(meter)}`,
    );
  }
  const meters = meter ?? metrics.getMeter(TRACER_NAME, TRACER_VERSION);

  // Observable, not synchronous: a send is counted with an integer increment here and reported
  // once per collection, instead of one SDK call (which hashes the attribute set) per message.
  const sent = meters.createObservableCounter(METRIC_MESSAGING_CLIENT_SENT_MESSAGES, {
    unit: '{message}',
    description: 'Messages handed to the module: accepted by its channel, or refused before',
  });
  const processing = meters.createHistogram(METRIC_MESSAGING_PROCESS_DURATION, {
    unit: 's',
    description: 'Time a handler took on a message',
  });
  const operation = meters.createHistogram(METRIC_MESSAGING_CLIENT_OPERATION_DURATION, {
    unit: 's',
    description: 'Time from a request accepted by the channel to its settlement',
  });
  const depth = meters.createObservableGauge(METRIC_SPARK_CHANNEL_QUEUE_DEPTH, {
    unit: '{message}',
    description: 'Messages accepted by the channel and not yet started',
  });
  const inFlight = meters.createObservableGauge(METRIC_SPARK_CHANNEL_IN_FLIGHT, {
    unit: '{message}',
    description: 'Handlers running now',
  });

  const base: Attributes = { [ATTR_MESSAGING_SYSTEM]: 'spark_channel' };
  if (name !== undefined) base[ATTR_MESSAGING_DESTINATION_NAME] = name;
  const gauges: Attributes = { ...base };
  const cache = new Map<string, Attributes>();
  const attributesOf = (
    phase: 'send' | 'process',
    kind: 'request' | 'command',
    outcome: string | undefined,
    code: string | undefined,
    errorType: string | undefined,
  ): Attributes => {
    const key = `${phase}|${kind}|${outcome ?? ''}|${code ?? ''}|${errorType ?? ''}`;
    let cached = cache.get(key);
    if (cached === undefined) {
      cached = {
        ...base,
        [ATTR_MESSAGING_OPERATION_TYPE]: phase,
        [ATTR_MESSAGING_OPERATION_NAME]: phase,
        [ATTR_SPARK_CHANNEL_KIND]: kind,
      };
      if (outcome !== undefined) cached[ATTR_SPARK_CHANNEL_OUTCOME] = outcome;
      if (code !== undefined) cached[ATTR_SPARK_CHANNEL_ERROR_CODE] = code;
      if (errorType !== undefined) cached[ATTR_ERROR_TYPE] = errorType;
      cache.set(key, cached);
    }
    return cached;
  };

  // The sets of the common case, built once: an accepted message, one that settled ok.
  const accepted = {
    request: attributesOf('send', 'request', undefined, undefined, undefined),
    command: attributesOf('send', 'command', undefined, undefined, undefined),
  };
  const processedOk = {
    request: attributesOf('process', 'request', 'ok', undefined, undefined),
    command: attributesOf('process', 'command', 'ok', undefined, undefined),
  };
  const answeredOk = attributesOf('send', 'request', 'ok', undefined, undefined);

  const settled = (event: MessageSettledEvent<unknown>): void => {
    const { kind, outcome, error, queuedMs, handlingMs } = event;
    const ok = outcome === 'ok';
    const code = !ok && isSparkChannelError(error) ? error.code : undefined;
    const failed = outcome === 'error' || outcome === 'timeout';
    const errorType = failed ? (code ?? (error instanceof Error ? error.name : '_OTHER')) : undefined;
    if (queuedMs === undefined && handlingMs === undefined) {
      // Never accepted (refused or given up on while waiting for room): a send that failed.
      count(attributesOf('send', kind, outcome, code, errorType));
      return;
    }
    if (handlingMs !== undefined) {
      processing.record(
        handlingMs / SECONDS,
        ok ? processedOk[kind] : attributesOf('process', kind, outcome, code, errorType),
      );
    }
    if (kind === 'request' && queuedMs !== undefined) {
      operation.record(
        (queuedMs + (handlingMs ?? 0)) / SECONDS,
        ok ? answeredOk : attributesOf('send', kind, outcome, code, errorType),
      );
    }
  };

  const sentCounts = new Map<Attributes, number>();
  const count = (attributes: Attributes): void => {
    sentCounts.set(attributes, (sentCounts.get(attributes) ?? 0) + 1);
  };
  const instruments = [sent, depth, inFlight];
  let open = true;
  let removed = false;
  const observe: BatchObservableCallback = (result) => {
    for (const [attributes, total] of sentCounts) result.observe(sent, total, attributes);
    // A stopped server reports its final state once more (its sends up to the stop, an empty
    // queue), then the callback goes: nothing counted before the stop is lost.
    const { queued, running } = open ? server.stats() : { queued: 0, running: 0 };
    result.observe(depth, queued, gauges);
    result.observe(inFlight, running, gauges);
    if (!open) queueMicrotask(remove);
  };
  const remove = (): void => {
    if (removed) return;
    removed = true;
    meters.removeBatchObservableCallback(observe, instruments);
  };
  meters.addBatchObservableCallback(observe, instruments);
  const stop = (): void => {
    open = false;
  };
  const subscription = server.events$.subscribe({
    next: (event) => {
      if (event.type === 'accepted') count(accepted[event.kind]);
      else if (event.type === 'settled') settled(event);
    },
    complete: stop,
    error: stop,
  });
  return Object.freeze({
    unsubscribe: () => {
      subscription.unsubscribe();
      stop();
    },
  });
}
