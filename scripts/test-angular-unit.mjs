#!/usr/bin/env node
// The example app's unit tests (examples/angular/src/**/*.spec.ts) under Angular's own test
// builder (@angular/build:unit-test) with Vitest on jsdom, as `ng new` sets up Angular 21: builds
// the library (the app installs it packed, see its scripts/vendor-spark-channel.mjs), installs
// the app's dependencies when missing or stale (as scripts/e2e-angular.mjs does), then runs
// `npm test` there. Vitest prints its own `Tests N passed` line; this prints `angular-unit: …`.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const app = join(root, 'examples', 'angular');
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, {
    cwd,
    stdio: 'inherit',
    env: { ...process.env, NG_CLI_ANALYTICS: 'false', CI: 'true' },
  });

try {
  run('npm', ['run', 'build', '--silent'], root);
  const appLock = join(app, 'package-lock.json');
  const appMarker = join(app, 'node_modules', '.package-lock.json');
  if (!existsSync(appMarker) || statSync(appLock).mtimeMs > statSync(appMarker).mtimeMs) {
    run('npm', ['ci', '--no-audit', '--no-fund'], app);
  }
  run('npm', ['test', '--silent'], app);
  console.log('angular-unit: passed');
} catch (error) {
  console.error(`angular-unit: failed (${error instanceof Error ? error.message : String(error)})`);
  process.exit(1);
}
