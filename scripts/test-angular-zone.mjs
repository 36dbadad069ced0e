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
// Builds the library and the app (installing the app's dependencies when missing or stale) and
// finds Debian's chromium (installed when missing and we are root) as scripts/e2e-angular.mjs
// does, through scripts/angular-example.mjs. Prints `zone: N passed, M failed`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { URL } from 'node:url';

import {
  app,
  checker,
  launchChromium,
  prepareExample,
  requireChromium,
  run,
  serveSpa,
  stepper,
  until,
} from './angular-example.mjs';

const dist = join(app, 'dist', 'zone', 'browser');
const step = stepper('zone');

requireChromium('zone', step);

prepareExample('zone', step, () => {
  step('building the zone.js app (ng build spark-channel-zone, development: ngDevMode on)');
  run('node', ['scripts/vendor-spark-channel.mjs'], app);
  run('npx', ['ng', 'build', 'spark-channel-zone'], app);
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`no build output at ${dist}`);
});

const { server, url } = await serveSpa(dist);
step(`serving ${dist} at ${url}`);

const { check, results } = checker();
let browser;
try {
  browser = await launchChromium();
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
  results.push({ name: 'the browser session', ok: false });
  console.error(error);
} finally {
  await browser?.close();
  server.close();
}

const failed = results.filter((result) => !result.ok).length;
step('done');
console.log(`zone: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
