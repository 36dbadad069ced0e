#!/usr/bin/env node
// The zone.js twin of the example (examples/angular/projects/zone, `provideZoneChangeDetection`
// with zone.js in the build's polyfills), built in development mode (ngDevMode on, so every
// change detection is followed by the check that throws NG0100) and driven in headless Chromium:
//   - a request sent from ngOnInit, mid change detection, to a synchronous handler: its answer
//     appears in a plain field (only zone.js's change detection can show it), the `stats` signal
//     follows, and no NG0100 is logged;
//   - a click's request: the answer arrives inside the Angular zone and the view shows it;
//   - `ApplicationRef.whenStable()` resolves once the module is idle;
//   - the NG0100 check can fail: `?provoke-ng0100` binds the server's live count (no signal),
//     which the same request changes mid-check, and Angular logs NG0100 for it.
// Builds the library and the app (installing the app's dependencies when missing or stale), like
// scripts/e2e-angular.mjs, whose Chromium it uses. Prints `zone: N passed, M failed`.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, URL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const app = join(root, 'examples', 'angular');
const dist = join(app, 'dist', 'zone', 'browser');
const chromiumPath = '/usr/bin/chromium';
const started = Date.now();
const step = (what) => console.log(`zone [${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, NG_CLI_ANALYTICS: 'false' } });

if (!existsSync(chromiumPath)) {
  // scripts/e2e-angular.mjs installs Debian's chromium when it can; without one, say so.
  console.log(
    `zone: SKIPPED, no Chromium at ${chromiumPath} (run npm run test:e2e as root, or apt-get install chromium)`,
  );
  process.exit(0);
}

try {
  step('building the library (npm run build)');
  run('npm', ['run', 'build', '--silent'], root);
  const appLock = join(app, 'package-lock.json');
  const appMarker = join(app, 'node_modules', '.package-lock.json');
  if (!existsSync(appMarker) || statSync(appLock).mtimeMs > statSync(appMarker).mtimeMs) {
    step('installing the example app’s dependencies (npm ci in examples/angular)');
    run('npm', ['ci', '--no-audit', '--no-fund'], app);
  }
  step('building the zone.js app (ng build spark-channel-zone, development: ngDevMode on)');
  run('node', ['scripts/vendor-spark-channel.mjs'], app);
  run('npx', ['ng', 'build', 'spark-channel-zone'], app);
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`no build output at ${dist}`);
} catch (error) {
  console.error(`zone: could not build the app: ${error instanceof Error ? error.message : String(error)}`);
  console.log('zone: 0 passed, 1 failed');
  process.exit(1);
}

const types = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
};
const server = createServer((request, response) => {
  const path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname)).replace(
    /^([/\\])+/,
    '',
  );
  let file = join(dist, path);
  if (!file.startsWith(dist + sep) || !existsSync(file) || statSync(file).isDirectory()) {
    file = join(dist, 'index.html');
  }
  response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  response.end(readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;
step(`serving ${dist} at ${url}`);

const { chromium } = await import('playwright-core');
const results = [];
let browser;
try {
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-sync',
    ],
  });
  const check = async (name, body) => {
    try {
      await body();
      results.push(true);
      console.log(`  ✓ ${name}`);
    } catch (error) {
      results.push(false);
      console.log(`  ✗ ${name}\n    ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  /** Polls `read` until `ok(value)`, or fails after `ms` with the last value seen. */
  const until = async (read, ok, ms = 5_000) => {
    const deadline = Date.now() + ms;
    let value;
    for (;;) {
      value = await read();
      if (ok(value)) return value;
      if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(value)}`);
      await sleep(20);
    }
  };
  /** A fresh page at `path`, with its console errors and uncaught errors collected. */
  const open = async (path) => {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    await page.goto(new URL(path, url).href, { waitUntil: 'load' });
    const text = async (testId) => ((await page.getByTestId(testId).textContent()) ?? '').trim();
    return { page, errors, text };
  };

  const { page, errors, text } = await open('/');
  await check('the app runs with zone.js, in dev mode (the NG0100 check is on)', async () => {
    await until(
      () => text('mode'),
      (value) => value === 'zone.js loaded, ngDevMode on',
    );
  });

  await check(
    'a request sent in ngOnInit mid-check: its answer shows in a plain field, stats follow',
    async () => {
      await until(
        () => text('eager'),
        (value) => value === 'on init → [1, 2, 3]',
      );
      await until(
        () => text('handled'),
        (value) => value === '1',
      );
    },
  );

  await check('a click’s request: the answer arrives in the Angular zone and the view shows it', async () => {
    await page.getByTestId('request').click();
    await until(
      () => text('response'),
      (value) => value === 'user123 → [1, 2, 3]',
    );
    await until(
      () => text('in-zone'),
      (value) => value === 'answer handled in the Angular zone: true',
    );
    await until(
      () => text('handled'),
      (value) => value === '2',
    );
  });

  await check('ApplicationRef.whenStable() resolves once the module is idle', async () => {
    await page.getByTestId('stable').click();
    const stability = await until(
      () => text('stability'),
      (value) => value.startsWith('stable after'),
    );
    step(`the zone app: ${stability}`);
  });

  await check('no NG0100, no uncaught error, no console error', async () => {
    if (errors.length > 0) throw new Error(`errors: ${JSON.stringify(errors)}`);
  });

  await check('the check can fail: a binding of the live count (no signal) trips NG0100', async () => {
    const provoked = await open('/?provoke-ng0100');
    await until(
      () => provoked.text('eager'),
      (value) => value === 'on init → [1, 2, 3]',
    );
    await until(
      () => provoked.errors,
      (value) => value.some((message) => message.includes('NG0100')),
    );
    await provoked.page.close();
  });
} catch (error) {
  results.push(false);
  console.error(error);
} finally {
  await browser?.close();
  server.close();
}

const failed = results.filter((ok) => !ok).length;
step('done');
console.log(`zone: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
