import type { SparkChannelCancellationToken } from './cancellation-token.js';
import { type DispatcherOptions, SparkGenericModuleDispatcher } from './dispatcher.js';
import type { SparkGenericModuleHandler } from './handler.js';
import { checkOptions, readable } from './internal/validate.js';
import { ModuleChannel } from './module-channel.js';
import type { ModuleServer, ModuleServerOptions } from './module-server-types.js';
import { runModuleServer } from './run-module-server.js';

/**
 * Options of {@link spawnModule}: the server's, the dispatcher's, and the channel's `capacity`.
 *
 * @example
 * const options: SpawnModuleOptions<CacheMessage> = { capacity: 64, concurrency: 4, timeoutMs: 1_000 };
 * const { dispatcher } = spawnModule(new CacheHandler(), options);
 */
export type SpawnModuleOptions<M = never> = ModuleServerOptions<M> &
  DispatcherOptions & { capacity?: number };

/**
 * What {@link spawnModule} returns.
 *
 * @example
 * const { dispatcher, server }: SpawnedModule<CacheMessage, CacheResponse, SparkChannelCancellationToken, Error> =
 *   spawnModule(new CacheHandler());
 * server.errors$.subscribe(({ kind, error }) => log.error(`${kind} failed`, error));
 * await dispatcher.shutdown(); // server.stopped has resolved
 */
export interface SpawnedModule<M, R, C, E> {
  readonly dispatcher: SparkGenericModuleDispatcher<M, R, C, E>;
  readonly server: ModuleServer<M, E>;
}

/**
 * Creates a channel, runs a server for `handler` on it and returns a dispatcher for it: the
 * one-call version of the Rust crate's `mpsc::channel` + `tokio::spawn(run_module_server(…))`.
 *
 * @throws TypeError / RangeError naming the bad argument or option.
 *
 * @example
 * const { dispatcher, server } = spawnModule(new MyHandler(), { capacity: 32, timeoutMs: 1_000 });
 * const data = await dispatcher.request({ type: 'GetData', key: 'user123' });
 */
export function spawnModule<M, R, C = SparkChannelCancellationToken, E = Error>(
  handler: SparkGenericModuleHandler<M, R, E>,
  options?: SpawnModuleOptions<NoInfer<M>>,
): SpawnedModule<M, R, C, E> {
  checkOptions('options', options);
  // Read once (a getter or Proxy trap that throws becomes a TypeError naming `options`).
  const { capacity, logger, token, signal, concurrency, key, timeoutMs, rateLimit, scheduler, instrument } =
    readable('options', () => {
      const o = options ?? {};
      return {
        capacity: o.capacity,
        logger: o.logger,
        token: o.token,
        signal: o.signal,
        concurrency: o.concurrency,
        key: o.key,
        timeoutMs: o.timeoutMs,
        rateLimit: o.rateLimit,
        scheduler: o.scheduler,
        instrument: o.instrument,
      };
    });
  const channel = new ModuleChannel<M, R, C, E>(capacity);
  // The dispatcher is checked before the server starts, so bad options leave nothing running.
  const dispatcher = new SparkGenericModuleDispatcher(
    channel,
    definedOnly({ timeoutMs, rateLimit, scheduler }),
  );
  const server = runModuleServer(
    handler,
    channel,
    definedOnly({ logger, token, signal, concurrency, key, scheduler, instrument }),
  );
  return { dispatcher, server };
}

/** `exactOptionalPropertyTypes`: pass on only the options that were given. */
function definedOnly<T extends object>(options: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}
