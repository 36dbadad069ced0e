#!/usr/bin/env node
// End-to-end test of examples/angular, the Angular app whose service wraps a spark-channel module:
// builds the library and the app (installing the app's dependencies when missing or stale),
// serves the build on 127.0.0.1, and drives it in headless Chromium (Debian's, installed with apt
// when missing and we are root) through playwright-core: the module service, a component's own
// module, and the event bus (a module publishes, a component shows the events through toSignal,
// another module subscribes, a late component gets the last event replayed), a search box over
// moduleResource (typing aborts the superseded searches), and a handler in a Web Worker
// (webWorkerChecks, at the end of this file). Asserts on what the page shows, saves
// reports/angular-e2e.png (and -busy.png, mid-queue; angular-resource*.png, the search box), prints
// `e2e: N passed, M failed` and exits non-zero on any failure.
// Skipped, with a message saying so, only where no Chromium can be installed.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  app,
  checker,
  launchChromium,
  prepareExample,
  requireChromium,
  root,
  run,
  serveSpa,
  stepper,
  until,
} from './angular-example.mjs';

const browserDist = join(app, 'dist', 'spark-channel-example', 'browser');
const screenshot = join(root, 'reports', 'angular-e2e.png');
const busyScreenshot = join(root, 'reports', 'angular-e2e-busy.png');
const step = stepper('e2e');

// 1. A browser: Debian's chromium, never a tool's own download.
requireChromium('e2e', step);

// 2. The library, as the app will import it, then the app with Angular's own builder.
prepareExample('e2e', step, () => {
  step('building the example app (ng build, @angular/build:application)');
  run('npm', ['run', 'build', '--silent'], app);
  if (!existsSync(join(browserDist, 'index.html'))) throw new Error(`no build output at ${browserDist}`);
});

// 3. Serve the build on a free loopback port; unknown paths get index.html, as a SPA host would.
const { server, url } = await serveSpa(browserDist);
step(`serving ${browserDist} at ${url}`);

// 4. Drive it.
const { check, results } = checker();
let browser;
try {
  browser = await launchChromium();
  step(`launched Chromium ${browser.version()}`);
  const page = await browser.newPage({ viewport: { width: 900, height: 720 } });
  const pageErrors = [];
  const consoleErrors = [];
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));

  const text = async (testId) => ((await page.getByTestId(testId).textContent()) ?? '').trim();
  const stats = async () => ({
    queued: Number(await text('queued')),
    running: Number(await text('running')),
    handled: Number(await text('handled')),
    failed: Number(await text('failed')),
  });
  const same = (actual, expected) => JSON.stringify(actual) === JSON.stringify(expected);

  mkdirSync(dirname(screenshot), { recursive: true });
  await page.goto(url, { waitUntil: 'load' });

  await check('the app boots: idle server, no response, no errors', async () => {
    await until(
      () => text('response'),
      (value) => value === 'no request sent yet',
    );
    await until(stats, (value) => same(value, { queued: 0, running: 0, handled: 0, failed: 0 }));
    await until(
      () => text('errors'),
      (value) => value === 'none yet',
    );
  });

  await check('a request: the button sends GetData and the page renders the response', async () => {
    await page.getByTestId('request').click();
    await until(
      () => text('response'),
      (value) => value === 'user123 → [1, 2, 3]',
    );
    await until(stats, (value) => same(value, { queued: 0, running: 0, handled: 1, failed: 0 }));
  });

  await check('a failing command shows up from the error stream, and in the stats', async () => {
    await page.getByTestId('fail').click();
    await until(
      () => text('errors'),
      (value) => value === 'command failed: Unexpected command type: UpdateData',
    );
    await until(stats, (value) => same(value, { queued: 0, running: 0, handled: 2, failed: 1 }));
  });

  let busiest;
  await check('the stats follow a queue of slow commands live, then drain to idle', async () => {
    await page.getByTestId('slow').click();
    busiest = await until(stats, (value) => value.queued >= 3 && value.running === 1, 2_000);
    await page.screenshot({ path: busyScreenshot, fullPage: true });
    await until(stats, (value) => value.queued < busiest.queued && value.running === 1, 3_000);
    await until(stats, (value) => same(value, { queued: 0, running: 0, handled: 7, failed: 1 }), 5_000);
  });

  await check('a component’s own module (injectModule) stops when the component is destroyed', async () => {
    const toggle = page.getByTestId('toggle-panel');
    await toggle.click();
    await page.getByTestId('ping').click();
    await until(
      () => text('pong'),
      (value) => value === 'pong #1',
    );
    await page.getByTestId('ping').click();
    await until(
      () => text('pong'),
      (value) => value === 'pong #2',
    );
    await toggle.click();
    await until(
      () => text('panels-stopped'),
      (value) => value === 'panel modules stopped: 1',
    );
    if ((await page.getByTestId('ping').count()) !== 0) throw new Error('the panel is still there');
    await toggle.click(); // a new panel, a new module: its count starts again
    await page.getByTestId('ping').click();
    await until(
      () => text('pong'),
      (value) => value === 'pong #1',
    );
  });

  await check(
    'an event bus: a module publishes, a component shows it (toSignal), a module subscribes',
    async () => {
      await until(
        () => page.getByTestId('feed').locator('li').allTextContents(),
        (value) => same(value, ['no events yet']),
      );
      await until(
        () => text('shipping'),
        (value) => value === 'shipping module: 0 queued, 0 shipped',
      );
      await page.getByTestId('place-orders').click();
      await until(
        () => text('receipts'),
        (value) => value === 'placed o-1, o-2, o-3',
      );
      // The shipping module ships one order at a time (150 ms each): all six events arrive.
      const feed = await until(
        () => page.getByTestId('feed').locator('li').allTextContents(),
        (value) => value.length === 6,
      );
      const placed = feed.filter((line) => line.startsWith('OrderPlaced'));
      const shipped = feed.filter((line) => line.startsWith('OrderShipped'));
      if (!same(placed, ['OrderPlaced o-1 (20 €)', 'OrderPlaced o-2 (35 €)', 'OrderPlaced o-3 (50 €)'])) {
        throw new Error(`OrderPlaced events, in publish order: ${JSON.stringify(feed)}`);
      }
      if (!same(shipped, ['OrderShipped o-1', 'OrderShipped o-2', 'OrderShipped o-3'])) {
        throw new Error(`OrderShipped events, in the shipping module's order: ${JSON.stringify(feed)}`);
      }
      for (const id of ['o-1', 'o-2', 'o-3']) {
        const at = (prefix) => feed.findIndex((line) => line.startsWith(`${prefix} ${id}`));
        if (at('OrderShipped') < at('OrderPlaced'))
          throw new Error(`${id} shipped before placed: ${JSON.stringify(feed)}`);
      }
      await until(
        () => text('shipping'),
        (value) => value === 'shipping module: 0 queued, 3 shipped',
      );
    },
  );

  await check('a component mounted late gets the last OrderPlaced replayed (replay: 1)', async () => {
    await page.getByTestId('toggle-last').click();
    await until(
      () => text('last-order'),
      (value) => value === 'o-3',
    );
    await page.getByTestId('toggle-last').click();
    // Zoneless: the view updates on the next change detection, not within the click.
    await until(
      () => page.getByTestId('last-order').count(),
      (count) => count === 0,
    );
  });

  await check(
    'the inspector panel (spark-channel/inspect) shows the three modules, then unmounts',
    async () => {
      await page.getByTestId('toggle-inspector').click();
      const panel = page.getByTestId('inspector-panel');
      const handled = (name) =>
        panel.locator(`[data-testid="card-${name}"] [data-field="handled"]`).first().textContent();
      await until(
        async () => [await handled('data'), await handled('orders'), await handled('shipping')],
        ([data, orders, shipping]) => Number(data) >= 1 && orders?.trim() === '3' && shipping?.trim() === '3',
      );
      // The bad command's failure is in the errors list, and the orders' messages on the timeline.
      await until(
        () => panel.locator('[data-testid="error"]').count(),
        (count) => count >= 1,
      );
      await until(
        () => panel.locator('[data-testid="bar"]').count(),
        (count) => count >= 6,
      );
      await panel.screenshot({ path: join(root, 'reports', 'angular-inspector.png') });
      await page.getByTestId('toggle-inspector').click();
      await until(
        () => page.getByTestId('inspector-panel').count(),
        (count) => count === 0,
      );
    },
  );

  await check(
    'a resource (moduleResource): typing supersedes searches, their handlers see context.signal abort',
    async () => {
      await until(
        () => text('search-results'),
        (value) => value === 'type to search',
      );
      // One key every 40 ms, each search takes 250 ms: every search but the last is superseded.
      await page.getByTestId('search-input').pressSequentially('angular', { delay: 40 });
      await page.screenshot({ path: join(root, 'reports', 'angular-resource-typing.png'), fullPage: true });
      const results = await until(
        () => page.getByTestId('search-results').locator('li').allTextContents(),
        (value) => same(value, ['angular', 'angular-cli', 'angular-material']),
      );
      const aborted = Number(await text('search-aborted'));
      if (!(aborted > 0)) throw new Error(`no search was aborted: ${aborted}`);
      const handled = Number(await text('search-handled'));
      // Every search that ran was aborted, but the last one (at most one per key).
      if (handled !== aborted + 1 || handled > 7) {
        throw new Error(`${handled} searches handled, ${aborted} aborted: expected aborted + 1, at most 7`);
      }
      await page.getByTestId('search-results').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(root, 'reports', 'angular-resource.png'), fullPage: true });
      step(
        `resource: ${aborted} of ${handled} searches aborted mid-way, final results ${JSON.stringify(results)}`,
      );
    },
  );

  await check('no uncaught error; the one console error is the command failure being logged', async () => {
    if (pageErrors.length > 0) throw new Error(`page errors: ${pageErrors.join(' | ')}`);
    const unexpected = consoleErrors.filter(
      (message) => !message.startsWith('spark-channel: handleCommand failed:'),
    );
    if (unexpected.length > 0 || consoleErrors.length !== 1) {
      throw new Error(`console errors: ${JSON.stringify(consoleErrors)}`);
    }
  });

  // spark-channel/web-worker, on a page of its own (its workers and console are its own).
  const hashing = await webWorkerChecks({
    browser,
    url,
    check,
    until,
    shot: (page) =>
      page.screenshot({ path: join(root, 'reports', 'angular-web-worker.png'), fullPage: true }),
  });
  step(`web worker: measured ${JSON.stringify(hashing)}`);

  // The request once more, so the screenshot shows a response, an error and settled stats.
  await page.getByTestId('request').click();
  await until(
    () => text('handled'),
    (value) => value === '8',
  );
  await page.screenshot({ path: screenshot, fullPage: true });
  step(
    `screenshot saved to ${screenshot.slice(root.length + 1)} (busiest moment seen: ${JSON.stringify(busiest)})`,
  );
} catch (error) {
  results.push({ name: 'the browser session', ok: false });
  console.error(error);
} finally {
  await browser?.close();
  server.close();
}

const failed = results.filter((result) => !result.ok).length;
step('done');
console.log(`e2e: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

/**
 * spark-channel/web-worker in Chromium, on a page of its own (so its console and its workers are
 * its own): the hash panel's handler runs in the Web Worker Angular's builder bundled from
 * hash.worker.ts. Checks that the answer is right (Node's crypto computes the same rounds), that
 * the page keeps drawing frames and handling clicks while the worker hashes, and, as the
 * control, that the same hash run on the page itself freezes it (the longest wait between two
 * animation frames, measured the same way in both runs); that a cancel reaches the handler's
 * context.signal inside the worker (the worker counts it), that a crashing worker fails its
 * request with RECEIVE_FAILED and is replaced, and that closing the panel terminates the worker.
 * `check` and `until` are the script's own helpers; `shot(page)` saves
 * reports/angular-web-worker.png mid-hash. Returns what was measured.
 */
/* global window, performance, requestAnimationFrame -- in the page, through page.evaluate */
async function webWorkerChecks({ browser, url, check, until, shot }) {
  const { createHash } = await import('node:crypto');
  const expected = (rounds) => {
    let digest = createHash('sha256').update('spark-channel').digest();
    for (let i = 1; i < rounds; i++) digest = createHash('sha256').update(digest).digest();
    return digest.toString('hex');
  };
  const page = await browser.newPage({ viewport: { width: 900, height: 720 } });
  const pageErrors = [];
  const consoleErrors = [];
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
  const text = async (testId) => ((await page.getByTestId(testId).textContent()) ?? '').trim();
  const status = () => text('hash-status');
  const stats = async () => {
    const match = /^worker (\w+): (\d+) completed, (\d+) aborted$/.exec(await text('hash-stats'));
    return match === null
      ? null
      : { worker: match[1], completed: Number(match[2]), aborted: Number(match[3]) };
  };
  /** Starts a hash of `rounds` (in the worker, or on the page with `button: 'hash-here'`). */
  const hash = async (rounds, button = 'hash') => {
    await page.getByTestId('hash-rounds').fill(String(rounds));
    await page.getByTestId(button).click();
  };
  /** The result line of a finished hash: its milliseconds, once its hex is Node's. */
  const finished = async (rounds, where) => {
    await until(status, (value) => value === 'done', 60_000);
    const result = await text('hash-result');
    const pattern = new RegExp(`^${rounds} rounds: ${expected(rounds)} \\(${where}, (\\d+) ms\\)$`);
    const match = pattern.exec(result);
    if (match === null) throw new Error(`${rounds} rounds ${where}: got ${result}`);
    return Number(match[1]);
  };
  // The longest wait between two animation frames since the last reset: a frame is drawn only
  // when the main thread is free, so this is how long the page was frozen.
  const resetGaps = () =>
    page.evaluate(() => Object.assign(window.spark_frameGaps, { max: 0, last: performance.now() }));
  const longestGap = () => page.evaluate(() => Math.round(window.spark_frameGaps.max));
  const measured = {};
  try {
    await page.goto(url, { waitUntil: 'load' });
    await page.evaluate(() => {
      const gaps = { max: 0, last: performance.now() };
      window.spark_frameGaps = gaps;
      const frame = (now) => {
        gaps.max = Math.max(gaps.max, now - gaps.last);
        gaps.last = now;
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
    let first;

    await check('web worker: the panel starts a Web Worker (built by Angular) that answers', async () => {
      await page.getByTestId('toggle-hash').click();
      first = await until(stats, (value) => value?.completed === 0 && value.aborted === 0);
      const workers = page.workers().map((worker) => worker.url());
      if (workers.length !== 1 || !/\/worker-\w+\.js$/.test(workers[0])) {
        throw new Error(`expected one worker from Angular's worker chunk, got ${JSON.stringify(workers)}`);
      }
    });

    await check('web worker: 10 000 rounds of SHA-256 in the worker equal Node crypto’s', async () => {
      await hash(10_000);
      measured.worker10kMs = await finished(10_000, 'in a Web Worker');
      await until(stats, (value) => value?.completed === 1);
    });

    await check(
      'web worker: the page keeps drawing and handling clicks while the worker hashes',
      async () => {
        await hash(500_000_000); // minutes of work: cancelled below
        await until(status, (value) => value === 'hashing…');
        const ticks = Number(await text('ticks'));
        const start = Number(await text('frames'));
        await resetGaps();
        await page.getByTestId('tick').click();
        await until(
          () => text('ticks'),
          (value) => Number(value) === ticks + 1,
          2_000,
        );
        await sleep(1_000);
        measured.framesInASecond = Number(await text('frames')) - start;
        measured.longestGapWhileWorkerHashedMs = await longestGap();
        const now = await status();
        // requestAnimationFrame runs on the main thread: a busy main thread draws no frame.
        if (now !== 'hashing…') throw new Error(`the hash should still run, status: ${now}`);
        if (measured.framesInASecond < 20) {
          throw new Error(`only ${measured.framesInASecond} frames in 1 s while the worker hashed`);
        }
        await shot(page);
      },
    );

    await check('web worker: a cancel reaches context.signal inside the worker', async () => {
      await page.getByTestId('hash-cancel').click();
      await until(status, (value) => value === 'failed: CANCELLED');
      // The worker's own count, asked for after the cancelled hash: its handler saw the abort.
      await until(
        stats,
        (value) => value?.worker === first.worker && value.completed === 1 && value.aborted === 1,
      );
    });

    await check('web worker: the control, the same hash on the page itself, freezes the page', async () => {
      // About a second of hashing, from the worker's pace (a loaded machine is slower).
      const rounds = Math.max(50_000, Math.round((10_000 * 1_000) / Math.max(1, measured.worker10kMs)));
      await page.getByTestId('hash-rounds').fill(String(rounds));
      await resetGaps();
      await page.getByTestId('hash-here').click();
      const hashMs = await finished(rounds, 'on this page');
      const gap = await longestGap();
      measured.control = { rounds, hashMs, longestGapMs: gap };
      // No frame while the page hashed (frame times are vsync-aligned: allow a fifth); while the
      // worker hashed, no wait came near it.
      if (gap < hashMs * 0.8 || gap < 4 * measured.longestGapWhileWorkerHashedMs) {
        throw new Error(
          `the page hash froze the page ${gap} ms for a ${hashMs} ms hash; the worker's run: ${measured.longestGapWhileWorkerHashedMs} ms`,
        );
      }
    });

    await check(
      'web worker: a crashing worker fails its request with RECEIVE_FAILED and is replaced',
      async () => {
        const old = page.workers()[0];
        const gone = new Promise((resolve) => old.once('close', resolve));
        await page.getByTestId('hash-crash').click();
        await until(status, (value) => value === 'failed: RECEIVE_FAILED');
        await Promise.race([
          gone,
          sleep(5_000).then(() => Promise.reject(new Error('the crashed worker was not terminated'))),
        ]);
        const replaced = await until(stats, (value) => value !== null && value.worker !== first.worker);
        if (replaced.completed !== 0 || replaced.aborted !== 0)
          throw new Error(`not a fresh worker: ${JSON.stringify(replaced)}`);
        await hash(1_000);
        await finished(1_000, 'in a Web Worker');
      },
    );

    await check('web worker: closing the panel terminates its worker; no page error', async () => {
      await page.getByTestId('toggle-hash').click();
      await until(
        () => page.workers().length,
        (count) => count === 0,
      );
      if (pageErrors.length > 0) throw new Error(`page errors: ${pageErrors.join(' | ')}`);
      const unexpected = consoleErrors.filter(
        (message) => !message.includes('the hash worker crashed on purpose'),
      );
      if (unexpected.length > 0) throw new Error(`console errors: ${JSON.stringify(consoleErrors)}`);
    });
    return measured;
  } finally {
    await page.close();
  }
}
