#!/usr/bin/env node
// Checks the API reference site as a reader meets it: builds it (`npm run docs`, where any
// TypeDoc warning fails the build), serves docs/api/ on 127.0.0.1, and drives it in headless
// Chromium (Debian's /usr/bin/chromium, through playwright-core; never a downloaded browser):
// the index lists every entry and the guides; the search finds each main name and links to its
// page; following the `spawnTypedModule` result shows its signature. Saves screenshots under
// reports/docs-site/, prints `docs-site: N passed, M failed` and exits non-zero on any failure.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

import { chromiumPath, launchChromium } from './angular-example.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const site = join(root, 'docs', 'api');
const shots = join(root, 'reports', 'docs-site');

const entries = [
  'spark-channel',
  'spark-channel/angular',
  'spark-channel/worker',
  'spark-channel/nats',
  'spark-channel/testing',
  'spark-channel/otel',
  'spark-channel/inspect',
];
// Each main name and the page its search result must link to.
const names = [
  ['spawnTypedModule', 'functions/spark-channel.spawnTypedModule.html'],
  ['createRouter', 'functions/spark-channel.createRouter.html'],
  ['runModuleServer', 'functions/spark-channel.runModuleServer.html'],
  ['SparkGenericModuleDispatcher', 'classes/spark-channel.SparkGenericModuleDispatcher.html'],
  ['createEventBus', 'functions/spark-channel.createEventBus.html'],
  ['SparkChannelError', 'classes/spark-channel.SparkChannelError.html'],
];
const guides = [
  'Composition',
  'Recipes',
  'Errors',
  'Shutdown and stop',
  'spark-channel in Angular',
  'Coming from the Rust crate',
];

let passed = 0;
let failed = 0;
const check = async (what, body) => {
  try {
    await body();
    passed++;
    console.log(`  ok   ${what}`);
  } catch (error) {
    failed++;
    console.log(
      `  FAIL ${what}\n       ${String(error?.message ?? error)
        .split('\n')
        .join('\n       ')}`,
    );
  }
};
const expect = (condition, message) => {
  if (!condition) throw new Error(message);
};

if (!existsSync(chromiumPath)) {
  console.error(`docs-site: no Chromium at ${chromiumPath} (install Debian's \`chromium\` package)`);
  process.exit(1);
}

// 1. The site, from scratch: a page left over from an earlier build proves nothing.
rmSync(site, { recursive: true, force: true });
try {
  execFileSync(join(root, 'node_modules', '.bin', 'typedoc'), [], { cwd: root, stdio: 'inherit' });
} catch {
  console.log('docs-site: 0 passed, 1 failed (TypeDoc failed: see its warnings above)');
  process.exit(1);
}

// 2. Served over HTTP as a host would (search and navigation load their data with script tags).
const types = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};
const server = createServer((request, response) => {
  const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
  const file = join(site, path.endsWith('/') ? join(path, 'index.html') : path);
  if (!file.startsWith(site + sep) || !existsSync(file)) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  response.end(readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}/`;

mkdirSync(shots, { recursive: true });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));

  await page.goto(base, { waitUntil: 'load' });
  await page.screenshot({ path: join(shots, 'index.png'), fullPage: false });

  await check('the index lists every entry', async () => {
    const text = await page.locator('body').innerText();
    const missing = entries.filter((entry) => !text.includes(entry));
    expect(missing.length === 0, `missing from the index: ${missing.join(', ')}`);
  });

  await check('the navigation links the guides', async () => {
    // Filled in by a script from navigation.js; textContent, as a folded entry has no innerText.
    await page.waitForSelector('#tsd-nav-container a', { state: 'attached', timeout: 10_000 });
    const links = await page
      .locator('#tsd-nav-container a')
      .evaluateAll((as) => as.map((a) => a.textContent ?? ''));
    const missing = guides.filter((guide) => !links.some((text) => text.trim() === guide));
    expect(missing.length === 0, `guides missing from the navigation: ${missing.join(', ')}`);
  });

  // From a fresh index each time, typed key by key as a reader does. The results are redrawn
  // after a debounce, so it waits for a result named like the query before reading them.
  const search = async (name) => {
    await page.goto(base, { waitUntil: 'load' });
    await page.click('#tsd-search-trigger');
    await page.locator('#tsd-search-input').pressSequentially(name);
    const results = page.locator('#tsd-search-results li a');
    await results
      .filter({ hasText: new RegExp(`(^|\\.)${name}$`) })
      .first()
      .waitFor({ timeout: 10_000 });
    return results;
  };

  for (const [name, target] of names) {
    await check(`searching "${name}" finds ${target}`, async () => {
      const results = await search(name);
      const hrefs = await results.evaluateAll((links) => links.map((a) => a.href));
      expect(
        hrefs[0] !== undefined && new URL(hrefs[0]).pathname === `/${target}`,
        `first result links to ${hrefs[0]}; all: ${hrefs.slice(0, 5).join(', ')}`,
      );
      if (name === 'spawnTypedModule') await page.screenshot({ path: join(shots, 'search.png') });
    });
  }

  await check('following the spawnTypedModule result shows its signature', async () => {
    const results = await search('spawnTypedModule');
    await Promise.all([page.waitForURL(`${base}${names[0][1]}`), results.first().click()]);
    const signature = await page.locator('.tsd-signature').first().innerText();
    expect(
      /spawnTypedModule\s*</.test(signature) && /\):\s*SpawnedTypedModule</.test(signature),
      `the page's first signature reads: ${signature}`,
    );
    const title = await page.locator('h1').innerText();
    expect(title.includes('spawnTypedModule'), `the page's title is ${title}`);
    await page.screenshot({ path: join(shots, 'spawnTypedModule.png'), fullPage: false });
  });

  await check('the pages ran without a script error', async () => {
    expect(errors.length === 0, errors.join('\n'));
  });
} finally {
  await browser.close();
  server.close();
}

console.log(`docs-site: screenshots in ${join('reports', 'docs-site')}/`);
console.log(`docs-site: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
