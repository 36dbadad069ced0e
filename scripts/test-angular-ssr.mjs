#!/usr/bin/env node
// Server-side rendering of examples/angular with @angular/ssr: builds the library and the app's
// server bundle (`ng build --configuration production,ssr`: AngularNodeAppEngine behind express,
// as `ng add @angular/ssr` sets it up), installing the app's dependencies when missing or stale,
// then, in a child process run with --expose-gc, serves it on a free loopback port and checks:
//   - one render: the HTML is rendered on the server and holds the answer of the report module,
//     which answers after a timer: the render waited for it (the module's pending task);
//   - 1,000 renders in this one process (10 at a time), every page with its own answer, and the
//     heap after full collections at render 100 and at render 1,000 within a generous bound: the
//     modules each render creates stop with the render's application and nothing accumulates.
// Prints the heap figures, `ssr: N passed, M failed`, and exits non-zero on any failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const app = join(root, 'examples', 'angular');
const serverEntry = join(app, 'dist', 'ssr', 'server', 'server.mjs');
const started = Date.now();
const step = (what) => console.log(`ssr [${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);

/** The answer the report module gives on the server, as the page shows it. */
const REPORT = 'user123 → [1, 2, 3], answered on the server';
const RENDERS = 1_000;
const MEASURE_AT = 100;
const CONCURRENCY = 10;
/** Heap growth allowed from render 100 to render 1,000: about 11 kB a render, far below one app. */
const HEAP_BOUND_BYTES = 10 * 1024 * 1024;

if (process.argv.includes('--render')) {
  await render();
} else {
  build();
  // The measurements need gc(): a child of our own, so the build's memory is not in the figures.
  const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--render'], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}

function build() {
  const run = (cmd, args, cwd) =>
    execFileSync(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, NG_CLI_ANALYTICS: 'false' } });
  try {
    step('building the library (npm run build)');
    run('npm', ['run', 'build', '--silent'], root);
    const appLock = join(app, 'package-lock.json');
    const appMarker = join(app, 'node_modules', '.package-lock.json');
    if (!existsSync(appMarker) || statSync(appLock).mtimeMs > statSync(appMarker).mtimeMs) {
      step('installing the example app’s dependencies (npm ci in examples/angular)');
      run('npm', ['ci', '--no-audit', '--no-fund'], app);
    }
    step('building the server bundle (ng build --configuration production,ssr)');
    run('npm', ['run', 'build', '--silent', '--', '--configuration', 'production,ssr'], app);
    if (!existsSync(serverEntry)) throw new Error(`no server bundle at ${serverEntry}`);
  } catch (error) {
    console.error(
      `ssr: could not build the example: ${error instanceof Error ? error.message : String(error)}`,
    );
    console.log('ssr: 0 passed, 1 failed');
    process.exit(1);
  }
}

async function render() {
  const results = [];
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
  const heap = async () => {
    for (let i = 0; i < 4; i++) {
      globalThis.gc();
      await nextTurn();
    }
    return process.memoryUsage().heapUsed;
  };
  const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

  // The server.ts of the example exports its express app; it listens by itself only when run.
  const { app: server } = await import(pathToFileURL(serverEntry).href);
  const listener = await new Promise((resolve) => {
    const http = server.listen(0, '127.0.0.1', () => resolve(http));
  });
  const url = `http://127.0.0.1:${listener.address().port}/`;
  step(`serving the server bundle at ${url}`);
  const page = async () => {
    const response = await globalThis.fetch(url);
    const html = await response.text();
    if (response.status !== 200) throw new Error(`GET / answered ${response.status}: ${html.slice(0, 200)}`);
    return html;
  };
  const reportOf = (html) => /<output data-testid="report"[^>]*>([^<]*)<\/output>/.exec(html)?.[1];

  try {
    await check(
      'a render on the server holds the report module’s answer (the render waited for it)',
      async () => {
        const html = await page();
        if (!/<app-root[^>]*ng-server-context="ssr"/.test(html)) {
          throw new Error(`not rendered on the server (no ng-server-context="ssr"): ${html.slice(0, 300)}`);
        }
        if (!/spark-channel <small[^>]*>on Angular/.test(html))
          throw new Error('the app’s view is not in the HTML');
        const report = reportOf(html);
        if (report !== REPORT)
          throw new Error(`report in the HTML: ${JSON.stringify(report)}, expected ${REPORT}`);
      },
    );

    let figures;
    await check(`${RENDERS} renders in one process: each holds its answer, the heap stays flat`, async () => {
      let done = 0;
      let atMeasure = 0;
      const wrong = [];
      while (done < RENDERS) {
        const pages = await Promise.all(Array.from({ length: CONCURRENCY }, () => page()));
        for (const html of pages) if (reportOf(html) !== REPORT) wrong.push(reportOf(html));
        done += pages.length;
        if (done === MEASURE_AT) atMeasure = await heap();
      }
      const atEnd = await heap();
      figures = { atMeasure, atEnd, growth: atEnd - atMeasure };
      step(
        `heap after gc: ${mb(atMeasure)} at render ${MEASURE_AT}, ${mb(atEnd)} at render ${RENDERS} ` +
          `(growth ${mb(figures.growth)}, ${(figures.growth / (RENDERS - MEASURE_AT) / 1024).toFixed(2)} kB a render; bound ${mb(HEAP_BOUND_BYTES)})`,
      );
      if (wrong.length > 0)
        throw new Error(`${wrong.length} renders without the answer, e.g. ${JSON.stringify(wrong[0])}`);
      if (figures.growth > HEAP_BOUND_BYTES) throw new Error(`the heap grew by ${mb(figures.growth)}`);
    });
  } finally {
    listener.close();
  }
  const failed = results.filter((ok) => !ok).length;
  step('done');
  console.log(`ssr: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}
