// A test probe in place of a module under Angular's TestBed: `provideModuleProbe`,
// `provideTypedModuleProbe`.
import { type AbstractType, DestroyRef, inject, InjectionToken, type Provider, signal } from '@angular/core';
import { merge, tap } from 'rxjs';

import {
  type MessageOf,
  type ModuleDefinition,
  type ModuleError,
  type ResponseOf,
  TypedDispatcher,
} from '../../index.js';
import type { TestProbe } from '../../testing/index.js';
import { type InjectedModule, ModuleService } from '../inject-module.js';
import { MODULE_STAND_INS, type ModuleStandIn } from '../internal/module-stand-in.js';
import { type InjectedTypedModule, TypedModuleService } from '../typed-module.js';

// As injectModule's default: the errors signal keeps the 50 most recent failures.
const MAX_ERRORS = 50;

/**
 * Provides `probe` (from `createProbe`, `spark-channel/testing`) in place of a module, so that the
 * service or component under test talks to the probe and the test checks what it sent, in order,
 * and answers (`expectRequest`, `expectCommand`, `replyToRequests`: see docs/testing.md).
 *
 * `target` is either the `InjectionToken` a `provideModule(...)` provides, or a `ModuleService` /
 * `TypedModuleService` subclass: that service is then built as usual (its domain methods are what
 * the test exercises), but its module is the probe, not one spawned for the handler it passes to
 * `super()` (nor the options it passes there: give `createProbe` the `capacity`, `timeoutMs` or
 * `concurrency` the test needs). Either way `stats`, `errors` and `isRunning` are signals of the
 * probe's server, and the probe is stopped when the injector that owns the module is destroyed
 * (TestBed's teardown), as a real module is; stopping it sooner in `afterEach` is harmless.
 *
 * For a token of a typed module (`provideTypedModule`), use {@link provideTypedModuleProbe}.
 *
 * @throws TypeError naming `target` when it is neither a token nor a ModuleService or
 * TypedModuleService subclass, and naming `probe` when it is not a test probe.
 *
 * @example
 * const probe = createProbe<DataMessage, DataResponse>();
 * TestBed.configureTestingModule({
 *   providers: [provideZonelessChangeDetection(), provideModuleProbe(DataService, probe)],
 * });
 * const values = TestBed.inject(DataService).getData('user123');
 * (await probe.expectRequest({ type: 'GetData', key: 'user123' })).reply({ type: 'Data', data: [1, 2] });
 * await expect(values).resolves.toEqual([1, 2]);
 */
export function provideModuleProbe<M, R, C, E>(
  target: InjectionToken<InjectedModule<M, R, C, E>>,
  probe: TestProbe<M, R, C, E>,
): Provider;
export function provideModuleProbe<M, R, C, E>(
  target: AbstractType<ModuleService<M, R, C, E>>,
  probe: TestProbe<NoInfer<M>, NoInfer<R>, NoInfer<C>, NoInfer<E>>,
): Provider;
export function provideModuleProbe<D extends ModuleDefinition<D>, E, C>(
  target: AbstractType<TypedModuleService<D, E, C>>,
  probe: TestProbe<MessageOf<NoInfer<D>>, ResponseOf<NoInfer<D>>, NoInfer<C>, NoInfer<E>>,
): Provider;
export function provideModuleProbe(
  target: InjectionToken<unknown> | AbstractType<unknown>,
  candidate: unknown,
): Provider {
  const probe = checkProbe(candidate);
  if (target instanceof InjectionToken) return { provide: target, useFactory: () => probeModule(probe) };
  const prototype: unknown = typeof target === 'function' ? target.prototype : undefined;
  if (!(prototype instanceof ModuleService || prototype instanceof TypedModuleService)) {
    throw new TypeError(
      `Expected \`target\` to be an InjectionToken or a ModuleService or TypedModuleService subclass, got ${describeTarget(target)}`,
    );
  }
  const standIn: ModuleStandIn = { service: target, create: () => probeModule(probe) };
  return { provide: MODULE_STAND_INS, multi: true, useValue: standIn };
}

/**
 * {@link provideModuleProbe} for the token of a typed module (`provideTypedModule`): the module
 * injected under `token` has a `TypedDispatcher<D>` over the probe's dispatcher.
 *
 * @throws TypeError naming `token` or `probe` when they are not a token and a test probe.
 *
 * @example
 * const probe = createProbe<MessageOf<Api>, ResponseOf<Api>>();
 * TestBed.configureTestingModule({ providers: [provideTypedModuleProbe(API, probe)] });
 * const data = TestBed.inject(API).dispatcher.request({ type: 'GetData', key: 'k' }); // Promise<number[]>
 * (await probe.expectRequest({ type: 'GetData' })).reply([1, 2, 3]);
 */
export function provideTypedModuleProbe<D extends ModuleDefinition<D>, C, E>(
  token: InjectionToken<InjectedTypedModule<D, C, E>>,
  probe: TestProbe<MessageOf<NoInfer<D>>, ResponseOf<NoInfer<D>>, NoInfer<C>, NoInfer<E>>,
): Provider {
  checkProbe(probe);
  if (!(token instanceof InjectionToken)) {
    throw new TypeError(`Expected \`token\` to be an InjectionToken, got ${describeTarget(token)}`);
  }
  return {
    provide: token,
    useFactory: (): InjectedTypedModule<D, C, E> => {
      const module = probeModule(probe);
      return { ...module, dispatcher: new TypedDispatcher<D, C, E>(module.dispatcher) };
    },
  };
}

/** The probe as an injected module: its server's signals, stopped with the current injector. */
function probeModule<M, R, C, E>(probe: TestProbe<M, R, C, E>): InjectedModule<M, R, C, E> {
  const { server } = probe;
  const stats = signal(server.stats());
  const errors = signal<readonly ModuleError<M, E>[]>([]);
  const isRunning = signal(server.isRunning);
  // One subscription for both streams; both complete when the probe stops.
  const watch = merge(
    server.stats$.pipe(tap({ next: (value) => stats.set(value), complete: () => isRunning.set(false) })),
    server.errors$.pipe(tap((error) => errors.update((list) => [...list, error].slice(-MAX_ERRORS)))),
  ).subscribe();
  inject(DestroyRef).onDestroy(() => {
    probe.stop();
    watch.unsubscribe();
  });
  return {
    dispatcher: probe.dispatcher,
    server,
    stats: stats.asReadonly(),
    errors: errors.asReadonly(),
    isRunning: isRunning.asReadonly(),
  };
}

/** `probe`, if it is a test probe (by its methods: a probe from another copy of the package counts). */
function checkProbe<M, R, C, E>(probe: unknown): TestProbe<M, R, C, E> {
  const candidate = probe as Partial<TestProbe<M, R, C, E>> | null | undefined;
  if (typeof candidate?.expectRequest === 'function' && typeof candidate.stop === 'function') {
    return candidate as TestProbe<M, R, C, E>;
  }
  throw new TypeError(
    `Expected \`probe\` to be a test probe from createProbe (spark-channel/testing), got ${describeTarget(probe)}`,
  );
}

function describeTarget(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `the function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  return typeof value;
}
