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
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { app, checker, prepareExample, run, stepper } from './angular-example.mjs';

const serverEntry = join(app, 'dist', 'ssr', 'server', 'server.mjs');
const step = stepper('ssr');

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
  prepareExample('ssr', step, () => {
    step('building the server bundle (ng build --configuration production,ssr)');
    run('npm', ['run', 'build', '--silent', '--', '--configuration', 'production,ssr'], app);
    if (!existsSync(serverEntry)) throw new Error(`no server bundle at ${serverEntry}`);
  });
}

async function render() {
  const { check, results } = checker();
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
  const failed = results.filter((result) => !result.ok).length;
  step('done');
  console.log(`ssr: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}
