import type { SparkChannelCancellationToken } from './cancellation-token.js';
import type { TypedRouter } from './create-router.js';
import type { SparkGenericModuleHandler } from './handler.js';
import type { MessageOf, ModuleDefinition, ResponseOf } from './module-definition.js';
import type { ModuleServer } from './module-server.js';
import { spawnModule, type SpawnModuleOptions } from './spawn-module.js';
import { TypedDispatcher } from './typed-dispatcher.js';

/**
 * What {@link spawnTypedModule} returns.
 *
 * @example
 * const { dispatcher, server }: SpawnedTypedModule<Api, SparkChannelCancellationToken, Error> =
 *   spawnTypedModule(router);
 */
export interface SpawnedTypedModule<D extends ModuleDefinition<D>, C, E> {
  /** Typed by `D`: responses inferred from the message's `type`, command-only types refused. */
  readonly dispatcher: TypedDispatcher<D, C, E>;
  readonly server: ModuleServer<MessageOf<D>, E>;
}

/**
 * {@link spawnModule} for a module with a {@link ModuleDefinition}: runs `handler` and returns a
 * {@link TypedDispatcher}. Pass a router from `createRouter<D>()` and `D` is inferred; pass any
 * other handler (a class, say) and name `D`: `spawnTypedModule<Api>(new ApiHandler())`.
 *
 * @throws TypeError / RangeError naming the bad argument or option, as spawnModule does.
 *
 * @example
 * const { dispatcher, server } = spawnTypedModule(createRouter<Api>(routes), { capacity: 32 });
 * const data = await dispatcher.request({ type: 'GetData', key: 'user123' }); // number[]
 */
export function spawnTypedModule<D extends ModuleDefinition<D>, E = Error, C = SparkChannelCancellationToken>(
  handler: TypedRouter<D, E> | SparkGenericModuleHandler<MessageOf<D>, ResponseOf<D>, E>,
  options?: SpawnModuleOptions<NoInfer<MessageOf<D>>>,
): SpawnedTypedModule<D, C, E> {
  const { dispatcher, server } = spawnModule<MessageOf<D>, ResponseOf<D>, C, E>(handler, options);
  return { dispatcher: new TypedDispatcher(dispatcher), server };
}
