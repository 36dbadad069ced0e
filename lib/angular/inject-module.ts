// A module owned by an Angular injector: `injectModule`, `provideModule`, `ModuleService`.
import {
  assertInInjectionContext,
  DestroyRef,
  inject,
  type InjectionToken,
  type Injector,
  PendingTasks,
  type Provider,
  runInInjectionContext,
  type Signal,
  signal,
} from '@angular/core';
import { merge, tap } from 'rxjs';

import {
  type ModuleError,
  type ModuleServerStats,
  type SparkChannelCancellationToken,
  type SparkGenericModuleHandler,
  spawnModule,
  type SpawnedModule,
  type SpawnModuleOptions,
} from '../index.js';
import { moduleStandIn } from './internal/module-stand-in.js';
import { holdWhileBusy } from './pending-tasks.js';

/**
 * What happens to a module's server when the injector that owns it is destroyed: `'stop'` at
 * once, or a drain of at most `drainMs` ms.
 *
 * @example
 * const mode: ModuleDestroyMode = { drainMs: 2_000 };
 * provideModule(TODOS, () => new TodoHandler(), { onDestroy: mode });
 */
export type ModuleDestroyMode = 'stop' | { readonly drainMs: number };

/**
 * Options of {@link injectModule}, {@link provideModule} and {@link ModuleService}: those of
 * `spawnModule`, and what the Angular side adds.
 *
 * @example
 * const options: InjectModuleOptions = { capacity: 32, timeoutMs: 5_000, onDestroy: { drainMs: 1_000 }, maxErrors: 10 };
 */
export interface InjectModuleOptions extends SpawnModuleOptions {
  /**
   * On destroy of the owning injector (or component): `'stop'` (the default) stops the server
   * at once, so unanswered requests reject with `RECEIVE_FAILED`; `{ drainMs }` lets everything
   * already sent finish, for at most `drainMs` ms (see `ModuleServer.drain`).
   */
  onDestroy?: ModuleDestroyMode;
  /** How many recent handler failures the `errors` signal keeps, oldest dropped first; 50 by default. */
  maxErrors?: number;
  /** The injector to run in when called outside an injection context. */
  injector?: Injector;
  /**
   * Whether the module holds one of Angular's `PendingTasks` while it has work (true by
   * default): from the moment a message is sent to an idle module until nothing sent to it is
   * queued or running, so `ApplicationRef.whenStable()` — what a server render awaits — waits
   * for its answers. `false` for a module that is meant to stay busy (a long poll, say), which
   * would otherwise keep the app from ever becoming stable.
   */
  pendingTasks?: boolean;
}

/**
 * A module owned by an Angular injector: the dispatcher to send with, the server, and the
 * server's counters and failures as signals.
 *
 * @example
 * const todos = injectModule(new TodoHandler());
 * const list = await todos.dispatcher.request({ type: 'list' });
 * const busy = computed(() => todos.stats().queued + todos.stats().running > 0);
 */
export interface InjectedModule<M, R, C = SparkChannelCancellationToken, E = Error> extends SpawnedModule<
  M,
  R,
  C,
  E
> {
  /** `server.stats()` as it changes: updated at most once per microtask; frozen once stopped. */
  readonly stats: Signal<ModuleServerStats>;
  /** The most recent handler failures (`server.errors$`), oldest first, at most `maxErrors`. */
  readonly errors: Signal<readonly ModuleError<M, E>[]>;
  /** `server.isRunning`, as a signal: false once the server has stopped, for whatever reason. */
  readonly isRunning: Signal<boolean>;
}

/**
 * Spawns a module for `handler` and ties it to the current injection context: its server is
 * stopped (or drained, see `onDestroy`) when that injector, component or directive is destroyed,
 * and its stats and errors are exposed as signals. While the module has work (a message sent to
 * it is queued or running) it holds one of Angular's `PendingTasks`, so the application is not
 * stable and a server render waits for its answers (see `pendingTasks`).
 *
 * Must run in an injection context (a constructor, a field initializer, a provider factory,
 * `runInInjectionContext`) unless `options.injector` is given. Throws what `spawnModule` throws
 * for a bad handler or bad options, a RangeError naming `onDestroy` or `maxErrors` when
 * `drainMs` is not a positive number or `maxErrors` not a positive integer, and a TypeError
 * naming `pendingTasks` when it is not a boolean.
 *
 * @example
 * \@Component({ selector: 'app-search', template: `{{ search.stats().queued }} waiting` })
 * export class SearchComponent {
 *   readonly search = injectModule(new SearchHandler(), { capacity: 16 });
 * }
 */
export function injectModule<M, R, C = SparkChannelCancellationToken, E = Error>(
  handler: SparkGenericModuleHandler<M, R, E>,
  options?: InjectModuleOptions,
): InjectedModule<M, R, C, E> {
  if (options?.injector !== undefined) {
    const { injector, ...rest } = options;
    return runInInjectionContext(injector, () => injectModule<M, R, C, E>(handler, rest));
  }
  assertInInjectionContext(injectModule);
  const { onDestroy = 'stop', maxErrors = 50, pendingTasks = true, ...spawnOptions } = options ?? {};
  const drainMs = drainDeadline(onDestroy);
  if (!Number.isInteger(maxErrors) || maxErrors <= 0) {
    throw new RangeError(`Expected \`maxErrors\` to be a positive integer, got ${String(maxErrors)}`);
  }
  if (typeof pendingTasks !== 'boolean') {
    throw new TypeError(`Expected \`pendingTasks\` to be a boolean, got ${typeof pendingTasks}`);
  }
  const destroyRef = inject(DestroyRef);
  // Optional: an injector with no application above it (a bare `Injector.create`) has none.
  const tasks = pendingTasks ? inject(PendingTasks, { optional: true }) : null;
  const hold = tasks === null ? undefined : holdWhileBusy<M>(tasks, spawnOptions.instrument);
  const { dispatcher, server } = spawnModule<M, R, C, E>(
    handler,
    hold === undefined ? spawnOptions : { ...spawnOptions, instrument: hold.instrument },
  );
  // A stop settles every message, so the count is at zero by then; this keeps a task from
  // outliving its server whatever happened.
  if (hold !== undefined) void server.stopped.then(hold.release);

  const stats = signal(server.stats());
  const errors = signal<readonly ModuleError<M, E>[]>([]);
  const isRunning = signal(server.isRunning);
  // One subscription for both streams; both complete when the server stops.
  const watch = merge(
    server.stats$.pipe(tap({ next: (value) => stats.set(value), complete: () => isRunning.set(false) })),
    server.errors$.pipe(tap((error) => errors.update((list) => [...list, error].slice(-maxErrors)))),
  ).subscribe();

  destroyRef.onDestroy(() => {
    if (drainMs === undefined) {
      server.stop();
      watch.unsubscribe(); // already complete: stop() completed both streams
    } else {
      // drain() settles by itself, at the latest at the deadline; its report has no reader here.
      // The streams stay watched until they complete with the stop, so `isRunning()` and
      // `stats()` end true to the server whenever the drain ends.
      void server.drain(drainMs);
    }
  });

  return {
    dispatcher,
    server,
    stats: stats.asReadonly(),
    errors: errors.asReadonly(),
    isRunning: isRunning.asReadonly(),
  };
}

/**
 * Provides a module under `token`: the handler is built by `factory`, in an injection context
 * (so it may `inject()` what it needs), the first time `token` is injected, and the server is
 * stopped (or drained) when the providing injector is destroyed. Works in `bootstrapApplication`,
 * route and component `providers`.
 *
 * @example
 * export const TODOS = new InjectionToken<InjectedModule<TodoMessage, TodoResponse>>('TODOS');
 * bootstrapApplication(App, {
 *   providers: [provideModule(TODOS, () => new TodoHandler(inject(HttpClient)), { timeoutMs: 5_000 })],
 * });
 * // anywhere below: const todos = inject(TODOS);
 */
export function provideModule<M, R, C = SparkChannelCancellationToken, E = Error>(
  token: InjectionToken<InjectedModule<M, R, C, E>>,
  factory: () => SparkGenericModuleHandler<NoInfer<M>, NoInfer<R>, NoInfer<E>>,
  options?: InjectModuleOptions,
): Provider {
  return { provide: token, useFactory: () => injectModule<M, R, C, E>(factory(), options) };
}

/**
 * A base class for an injectable service that owns a module: the subclass passes its handler to
 * `super()` and exposes domain methods over the protected `dispatcher`; `stats`, `errors` and
 * `isRunning` are public signals for templates. The server stops (or drains) when the service's
 * injector is destroyed. The subclass must be created by Angular's injector (the constructor
 * calls {@link injectModule}).
 *
 * @example
 * \@Injectable({ providedIn: 'root' })
 * export class TodoService extends ModuleService<TodoMessage, TodoResponse> {
 *   constructor() {
 *     super(new TodoHandler(), { capacity: 32 });
 *   }
 *   list(): Promise<TodoResponse> {
 *     return this.dispatcher.request({ type: 'list' });
 *   }
 * }
 */
export abstract class ModuleService<M, R, C = SparkChannelCancellationToken, E = Error> {
  /** See {@link InjectedModule.stats}. */
  readonly stats: Signal<ModuleServerStats>;
  /** See {@link InjectedModule.errors}. */
  readonly errors: Signal<readonly ModuleError<M, E>[]>;
  /** See {@link InjectedModule.isRunning}. */
  readonly isRunning: Signal<boolean>;
  /** Sends to this service's module. */
  protected readonly dispatcher: InjectedModule<M, R, C, E>['dispatcher'];
  /** This service's module server. */
  protected readonly server: InjectedModule<M, R, C, E>['server'];

  protected constructor(handler: SparkGenericModuleHandler<M, R, E>, options?: InjectModuleOptions) {
    // A test's provideModuleProbe(ThisService, probe) puts a probe in place of the handler's module.
    const module =
      moduleStandIn<M, R, C, E>(new.target, options?.injector) ?? injectModule<M, R, C, E>(handler, options);
    this.dispatcher = module.dispatcher;
    this.server = module.server;
    this.stats = module.stats;
    this.errors = module.errors;
    this.isRunning = module.isRunning;
  }
}

/** `undefined` for `'stop'`, else the checked drain deadline. */
function drainDeadline(mode: ModuleDestroyMode): number | undefined {
  if (mode === 'stop') return undefined;
  const drainMs: unknown = (mode as { drainMs?: unknown } | null)?.drainMs;
  if (typeof drainMs === 'number' && drainMs > 0) return drainMs;
  throw new RangeError(
    `Expected \`onDestroy\` to be 'stop' or { drainMs: a positive number }, got drainMs ${String(drainMs)}`,
  );
}
