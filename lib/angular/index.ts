/**
 * `spark-channel/angular`: modules and event buses as Angular services. Public API only; it
 * builds on the root entry's exports and nothing else, so the root entry never needs Angular.
 *
 * @module spark-channel/angular
 */
export { type InjectEventBusOptions, injectEventBus, provideEventBus } from './event-bus.js';
export {
  type InjectedModule,
  injectModule,
  type InjectModuleOptions,
  type ModuleDestroyMode,
  ModuleService,
  provideModule,
} from './inject-module.js';
export {
  moduleResource,
  type ModuleResourceOptions,
  type ModuleResourceOptionsWithDefault,
} from './module-resource.js';
export {
  type InjectedTypedModule,
  injectTypedModule,
  provideTypedModule,
  TypedModuleService,
} from './typed-module.js';
