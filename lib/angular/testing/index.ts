/**
 * `spark-channel/angular/testing`: test probes in place of modules under Angular's `TestBed`.
 * An entry of its own, beside `spark-channel/testing` (which never imports Angular) and named as
 * Angular's own `@angular/core/testing` is. Public API only.
 *
 * @module spark-channel/angular/testing
 */
export { provideModuleProbe, provideTypedModuleProbe } from './provide-module-probe.js';
