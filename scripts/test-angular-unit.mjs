#!/usr/bin/env node
// The example app's unit tests (examples/angular/src/**/*.spec.ts) under Angular's own test
// builder (@angular/build:unit-test) with Vitest on jsdom, as `ng new` sets up Angular 21: builds
// the library (the app installs it packed, see its scripts/vendor-spark-channel.mjs), installs
// the app's dependencies when missing or stale (as scripts/e2e-angular.mjs does), then runs
// `npm test` there. Vitest prints its own `Tests N passed` line; this prints `angular-unit: …`.
import { app, prepareExample, run, stepper } from './angular-example.mjs';

prepareExample('angular-unit', stepper('angular-unit'), () => {});
try {
  run('npm', ['test', '--silent'], app, { CI: 'true' });
  console.log('angular-unit: passed');
} catch (error) {
  console.error(`angular-unit: failed (${error instanceof Error ? error.message : String(error)})`);
  process.exit(1);
}
