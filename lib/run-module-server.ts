import type { SparkGenericModuleHandler } from './handler.js';
import { ConcurrentServer } from './internal/server/concurrent-server.js';
import { readArguments } from './internal/server/read-arguments.js';
import type { ModuleChannel } from './module-channel.js';
import { ModuleServerLoop } from './module-server.js';
import type { ModuleServer, ModuleServerOptions } from './module-server-types.js';

/**
 * Runs a module server: receives messages from `channel` and hands them to `handler`, one at a
 * time and in order (or up to `concurrency` at once, started in order). A port of the Rust
 * crate's `run_module_server`, as an RxJS stream: `Subject → concatMap(handle) → takeUntil(stop)`.
 *
 * No handler failure stops it: a failed request rejects its caller, a failed command goes to
 * `errors$` and the logger, and the next message is handled.
 *
 * @throws TypeError naming `handler`, `channel` or `options` when they are not usable.
 * @throws RangeError naming `concurrency` when it is not a positive integer.
 *
 * @example
 * const channel = new ModuleChannel<MyMessage, MyResponse>(32);
 * const server = runModuleServer(new MyHandler(), channel);
 * server.errors$.subscribe(({ kind, error }) => console.warn(kind, 'failed:', error));
 */
export function runModuleServer<M, R, C, E>(
  handler: SparkGenericModuleHandler<NoInfer<M>, NoInfer<R>, NoInfer<E>>,
  channel: ModuleChannel<M, R, C, E>,
  options?: ModuleServerOptions<NoInfer<M>>,
): ModuleServer<M, E> {
  const args = readArguments(handler, channel, options);
  const Loop = args.concurrency === 1 && args.key === undefined ? ModuleServerLoop : ConcurrentServer;
  return new Loop<M, R, E>(handler, channel, args).start();
}
