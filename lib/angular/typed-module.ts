// Typed modules in DI: `injectModule`, `provideModule` and `ModuleService` for a module with a
// definition (a router from `createRouter<D>()`), whose dispatcher is a TypedDispatcher<D>, as
// `spawnTypedModule` is beside `spawnModule`.
import { assertInInjectionContext, type InjectionToken, type Provider, type Signal } from '@angular/core';

import {
  type MessageOf,
  type ModuleDefinition,
  type ModuleError,
  type ModuleServer,
  type ModuleServerStats,
  type ResponseOf,
  type SparkChannelCancellationToken,
  type SparkGenericModuleHandler,
  TypedDispatcher,
  type TypedRouter,
} from '../index.js';
import { injectModule, type InjectModuleOptions } from './inject-module.js';
import { moduleStandIn } from './internal/module-stand-in.js';

/**
 * A typed module owned by an Angular injector: {@link InjectedModule} with a
 * `TypedDispatcher<D>`, whose requests resolve with the response of the message's `type`.
 *
 * @example
 * const api: InjectedTypedModule<Api> = injectTypedModule(createRouter<Api>(routes));
 * const data = await api.dispatcher.request({ type: 'GetData', key: 'user123' }); // number[]
 */
export interface InjectedTypedModule<
  D extends ModuleDefinition<D>,
  C = SparkChannelCancellationToken,
  E = Error,
> {
  /** Typed by `D`: responses inferred from the message's `type`, command-only types refused. */
  readonly dispatcher: TypedDispatcher<D, C, E>;
  readonly server: ModuleServer<MessageOf<D>, E>;
  /** `server.stats()` as it changes: updated at most once per microtask; frozen once stopped. */
  readonly stats: Signal<ModuleServerStats>;
  /** The most recent handler failures (`server.errors$`), oldest first, at most `maxErrors`. */
  readonly errors: Signal<readonly ModuleError<MessageOf<D>, E>[]>;
  /** `server.isRunning`, as a signal: false once the server has stopped, for whatever reason. */
  readonly isRunning: Signal<boolean>;
}

/**
 * {@link injectModule} for a module with a definition `D`: pass a router from
 * `createRouter<D>()` and `D` is inferred; pass any other handler and name `D`. The server is
 * stopped (or drained) with the current injector, exactly as `injectModule`'s.
 *
 * @throws Angular's NG0203 outside an injection context (unless `options.injector` is given), and
 * what `injectModule` throws for a bad handler or bad options.
 *
 * @example
 * \@Component({ selector: 'app-data', template: `{{ api.stats().queued }} waiting` })
 * export class DataComponent {
 *   readonly api = injectTypedModule(createRouter<Api>(routes));
 *   load(key: string): Promise<number[]> {
 *     return this.api.dispatcher.request({ type: 'GetData', key });
 *   }
 * }
 */
export function injectTypedModule<
  D extends ModuleDefinition<D>,
  E = Error,
  C = SparkChannelCancellationToken,
>(
  handler: TypedRouter<D, E> | SparkGenericModuleHandler<MessageOf<D>, ResponseOf<D>, E>,
  options?: InjectModuleOptions,
): InjectedTypedModule<D, C, E> {
  if (options?.injector === undefined) assertInInjectionContext(injectTypedModule);
  const module = injectModule<MessageOf<D>, ResponseOf<D>, C, E>(handler, options);
  return {
    dispatcher: new TypedDispatcher<D, C, E>(module.dispatcher),
    server: module.server,
    stats: module.stats,
    errors: module.errors,
    isRunning: module.isRunning,
  };
}

/**
 * {@link provideModule} for a typed module: `factory` builds the handler (a router from
 * `createRouter<D>()`, say) in an injection context the first time `token` is injected.
 *
 * @example
 * export const API = new InjectionToken<InjectedTypedModule<Api>>('API');
 * bootstrapApplication(App, { providers: [provideTypedModule(API, () => createRouter<Api>(routes))] });
 * // anywhere below: await inject(API).dispatcher.request({ type: 'GetData', key }) // number[]
 */
export function provideTypedModule<
  D extends ModuleDefinition<D>,
  E = Error,
  C = SparkChannelCancellationToken,
>(
  token: InjectionToken<InjectedTypedModule<D, C, E>>,
  factory: () =>
    | TypedRouter<NoInfer<D>, NoInfer<E>>
    | SparkGenericModuleHandler<MessageOf<NoInfer<D>>, ResponseOf<NoInfer<D>>, NoInfer<E>>,
  options?: InjectModuleOptions,
): Provider {
  return { provide: token, useFactory: () => injectTypedModule<D, E, C>(factory(), options) };
}

/**
 * {@link ModuleService} for a typed module: the subclass passes its router to `super()` and its
 * domain methods call the protected, typed `dispatcher` with no guard.
 *
 * @example
 * \@Injectable({ providedIn: 'root' })
 * export class DataService extends TypedModuleService<Api> {
 *   constructor() {
 *     super(createRouter<Api>(routes), { capacity: 32 });
 *   }
 *   getData(key: string): Promise<number[]> {
 *     return this.dispatcher.request({ type: 'GetData', key });
 *   }
 * }
 */
export abstract class TypedModuleService<
  D extends ModuleDefinition<D>,
  E = Error,
  C = SparkChannelCancellationToken,
> {
  /** See {@link InjectedTypedModule.stats}. */
  readonly stats: Signal<ModuleServerStats>;
  /** See {@link InjectedTypedModule.errors}. */
  readonly errors: Signal<readonly ModuleError<MessageOf<D>, E>[]>;
  /** See {@link InjectedTypedModule.isRunning}. */
  readonly isRunning: Signal<boolean>;
  /** Sends to this service's module, typed by `D`. */
  protected readonly dispatcher: TypedDispatcher<D, C, E>;
  /** This service's module server. */
  protected readonly server: ModuleServer<MessageOf<D>, E>;

  protected constructor(
    handler: TypedRouter<D, E> | SparkGenericModuleHandler<MessageOf<D>, ResponseOf<D>, E>,
    options?: InjectModuleOptions,
  ) {
    // A test's provideModuleProbe(ThisService, probe) puts a probe in place of the handler's module.
    const standIn = moduleStandIn<MessageOf<D>, ResponseOf<D>, C, E>(new.target, options?.injector);
    const module =
      standIn === undefined
        ? injectTypedModule<D, E, C>(handler, options)
        : { ...standIn, dispatcher: new TypedDispatcher<D, C, E>(standIn.dispatcher) };
    this.dispatcher = module.dispatcher;
    this.server = module.server;
    this.stats = module.stats;
    this.errors = module.errors;
    this.isRunning = module.isRunning;
  }
}
