// The seam `spark-channel/angular/testing` uses to put a module in place of the one a
// ModuleService subclass would spawn: a multi provider, looked up by the subclass's constructor.
// Never exported from an entry: only provideModuleProbe registers stand-ins.
import {
  type AbstractType,
  assertInInjectionContext,
  inject,
  InjectionToken,
  type Injector,
  runInInjectionContext,
} from '@angular/core';

import type { InjectedModule } from '../inject-module.js';

/** A module to use for `service` instead of spawning its handler; `create` runs in its injection context. */
export interface ModuleStandIn {
  readonly service: AbstractType<unknown>;
  readonly create: () => InjectedModule<unknown, unknown, unknown, unknown>;
}

export const MODULE_STAND_INS = new InjectionToken<readonly ModuleStandIn[]>(
  'spark-channel module stand-ins',
);

/**
 * The stand-in registered for `service` (a ModuleService subclass, `new.target` in its constructor),
 * created in the current injection context (or `injector`'s); `undefined` when none is registered,
 * which outside tests is always.
 */
export function moduleStandIn<M, R, C, E>(
  service: AbstractType<unknown>,
  injector: Injector | undefined,
): InjectedModule<M, R, C, E> | undefined {
  if (injector !== undefined) return runInInjectionContext(injector, () => moduleStandIn(service, undefined));
  assertInInjectionContext(service);
  const standIn = inject(MODULE_STAND_INS, { optional: true })?.find((entry) => entry.service === service);
  // The provider typed the stand-in by the service's M, R, C and E (provideModuleProbe's overloads).
  return standIn?.create() as InjectedModule<M, R, C, E> | undefined;
}
