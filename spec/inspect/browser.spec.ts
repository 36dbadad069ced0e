// The inspector page in a real browser: Debian's Chromium through playwright-core (headless,
// never a downloaded browser). Once mounted inside a page (the library bundled for the browser
// by esbuild, the scenario run there), once served from Node (the scenario run here, the page
// and its Server-Sent Events feed over HTTP). The scripted run and what the page must show:
// spec/inspect/fixtures/scenario.ts. Screenshots land in reports/ for a person to look at.
import { mkdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';

import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';

import { createInspector, type InspectorSnapshot } from '../../lib/inspect/index.js';
import { ensureChromium } from '../support/chromium.js';
import { runScenario } from './fixtures/scenario.js';

const root = join(__dirname, '..', '..');
const reports = join(root, 'reports');

let browser: Browser;

beforeAll(async () => {
  const executablePath = ensureChromium();
  mkdirSync(reports, { recursive: true });
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-sync',
    ],
  });
}, 660_000);

afterAll(async () => {
  await browser?.close();
});

/** Opens a page that records its errors (a CSP violation is a console error too). */
async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  return { page, problems };
}

/** What the page shows, read from its DOM. */
interface Shown {
  cards: Record<
    string,
    {
      status: string | undefined;
      queued: number;
      handled: number;
      failed: number;
      sparkPoints: number;
      sparkMax: number;
      queueWait: { count: number; p95: string };
      handling: { count: number; p95: string };
    }
  >;
  bars: { module: string; outcome: string; kind: string; title: string }[];
  deadLetters: { module: string; reason: string; code: string; text: string }[];
  errors: { module: string; kind: string; code: string; text: string }[];
  edges: { type: string; module: string; text: string }[];
  status: string;
}

function readPage(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const number = (el: Element | null): number => Number(el?.textContent ?? NaN);
    const cards: Shown['cards'] = {};
    for (const card of Array.from(document.querySelectorAll<HTMLElement>('[data-testid^="card-"]'))) {
      const p = (field: string): { count: number; p95: string } => {
        const row = card.querySelector<HTMLElement>(`[data-field="${field}"]`);
        return {
          count: Number(row?.dataset.count),
          p95: row?.querySelector('[data-p="p95"]')?.textContent ?? '',
        };
      };
      const spark = card.querySelector('[data-testid="sparkline"]');
      cards[card.dataset.module ?? '?'] = {
        status: card.querySelector<HTMLElement>('[data-testid="badge"]')?.dataset.status,
        queued: number(card.querySelector('[data-field="queued"]')),
        handled: number(card.querySelector('[data-field="handled"]')),
        failed: number(card.querySelector('[data-field="failed"]')),
        sparkPoints: Number(spark?.getAttribute('data-points')),
        sparkMax: Number(spark?.getAttribute('data-max')),
        queueWait: p('queue-wait'),
        handling: p('handling'),
      };
    }
    const data = (el: Element, key: string): string => (el as HTMLElement).dataset[key] ?? '';
    return {
      cards,
      bars: Array.from(document.querySelectorAll('[data-testid="bar"]')).map((b) => ({
        module: data(b, 'module'),
        outcome: data(b, 'outcome'),
        kind: data(b, 'kind'),
        title: b.getAttribute('title') ?? '',
      })),
      deadLetters: Array.from(document.querySelectorAll('[data-testid="dead-letter"]')).map((r) => ({
        module: data(r, 'module'),
        reason: data(r, 'reason'),
        code: data(r, 'code'),
        text: r.textContent ?? '',
      })),
      errors: Array.from(document.querySelectorAll('[data-testid="error"]')).map((r) => ({
        module: data(r, 'module'),
        kind: data(r, 'kind'),
        code: data(r, 'code'),
        text: r.textContent ?? '',
      })),
      edges: Array.from(document.querySelectorAll('[data-testid="edge"]')).map((e) => ({
        type: e.getAttribute('data-type') ?? '',
        module: e.getAttribute('data-module') ?? '',
        text: e.textContent ?? '',
      })),
      status: document.querySelector('[data-testid="status"]')?.textContent ?? '',
    };
  });
}

/** Polls the page until `ok` holds for what it shows, or fails with the last reading. */
async function until(page: Page, ok: (shown: Shown) => boolean, ms = 10_000): Promise<Shown> {
  const deadline = Date.now() + ms;
  for (;;) {
    const shown = await readPage(page);
    if (ok(shown)) return shown;
    if (Date.now() > deadline)
      throw new Error(`the page never showed it; last: ${JSON.stringify(shown, null, 1)}`);
    await page.waitForTimeout(100);
  }
}

/** Everything the scripted run must leave on the page, mounted or served alike. */
async function expectScenarioShown(page: Page): Promise<void> {
  const shown = await until(
    page,
    (s) =>
      s.cards.orders?.handled === 8 &&
      s.cards.inventory?.handled === 1 &&
      s.deadLetters.some((d) => d.reason === 'late-reply') &&
      (s.cards.orders?.sparkPoints ?? 0) >= 3,
  );
  expect(Object.keys(shown.cards)).toEqual(['orders', 'payments', 'inventory', 'audit']);
  const { orders, payments, inventory, audit } = shown.cards;
  // The slow module queued up: its sparkline saw a queue, its requests waited longer than they ran.
  expect(orders).toMatchObject({ status: 'idle', queued: 0, handled: 8, failed: 0 });
  expect(orders?.sparkMax).toBeGreaterThan(0);
  expect(orders?.queueWait.count).toBe(8);
  expect(orders?.handling.count).toBe(8);
  expect(orders?.queueWait.p95).toMatch(/\d+(\.\d+)? (ms|s)$/);
  expect(payments).toMatchObject({ status: 'idle', handled: 5, failed: 1 });
  expect(inventory).toMatchObject({ handled: 1 });
  expect(audit?.status).toBe('stopped');

  // The timeline: a bar per message, coloured by outcome, the message and error on hover.
  const bars = (module: string, outcome?: string) =>
    shown.bars.filter((b) => b.module === module && (outcome === undefined || b.outcome === outcome));
  expect(bars('orders', 'ok')).toHaveLength(8);
  expect(bars('payments', 'ok')).toHaveLength(4);
  expect(bars('payments', 'error')).toHaveLength(1);
  expect(bars('payments', 'error')[0]?.title).toContain('Card declined for o-3');
  expect(bars('payments', 'error')[0]?.kind).toBe('command');
  expect(bars('inventory', 'timeout')).toHaveLength(1);
  expect(bars('inventory', 'timeout')[0]?.title).toMatch(/TIMEOUT/);
  expect(bars('audit', 'ok')).toHaveLength(5);

  // The lists: the failing command, the refused send to a stopped module, the late reply.
  expect(shown.errors).toEqual([
    expect.objectContaining({ module: 'payments', kind: 'command', code: 'Error' }),
  ]);
  expect(shown.errors[0]?.text).toContain('Card declined for o-3');
  expect(shown.deadLetters).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ module: 'audit', reason: 'refused', code: 'SEND_FAILED' }),
      expect.objectContaining({ module: 'inventory', reason: 'late-reply' }),
    ]),
  );

  // The topology: OrderPlaced feeds payments and audit, five events each.
  expect(shown.edges).toEqual([
    expect.objectContaining({ type: 'OrderPlaced', module: 'payments' }),
    expect.objectContaining({ type: 'OrderPlaced', module: 'audit' }),
  ]);
  for (const edge of shown.edges) expect(edge.text).toMatch(/\/s · 5$/);

  // Filtering the dead letters by reason, then by text.
  await page.getByTestId('dead-letters-reason').selectOption('refused');
  let filtered = await readPage(page);
  expect(filtered.deadLetters.map((d) => d.reason)).toEqual(['refused']);
  await page.getByTestId('dead-letters-reason').selectOption('');
  await page.getByTestId('dead-letters-text').fill('sku-1');
  filtered = await readPage(page);
  expect(filtered.deadLetters.map((d) => d.module)).toEqual(['inventory']);
  await page.getByTestId('dead-letters-text').fill('');

  // Pausing freezes the timeline; scrolling back moves it; resuming goes live again.
  await page.getByTestId('pause').click();
  expect((await readPage(page)).status).toBe('paused');
  const max = Number(await page.getByTestId('scroll').getAttribute('max'));
  expect(max).toBeGreaterThanOrEqual(0);
  await page.getByTestId('window').selectOption('1000');
  await page.getByTestId('pause').click();
  expect((await readPage(page)).status).toBe('live');
  await page.getByTestId('window').selectOption('10000');
}

/** For the screenshots: the last five seconds, so the run's bars are wide enough to see. */
async function showFiveSeconds(page: Page): Promise<void> {
  await page.getByTestId('window').selectOption('5000');
  await page.waitForTimeout(150);
}

describe('the inspector page in Chromium', () => {
  it('mounted in a page: shows the cards, the timeline, the lists and the topology of a scripted run', async () => {
    const bundle = await build({
      entryPoints: [join(__dirname, 'fixtures', 'browser-entry.ts')],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    const { page, problems } = await openPage();
    await page.setContent('<!doctype html><html><body style="margin:0"><div id="app"></div></body></html>');
    await page.addScriptTag({ content: bundle.outputFiles[0]?.text ?? '' });
    const summary = await page.evaluate(() => window.runInspectorScenario());
    expect(summary).toEqual({ placed: 8, published: 5, timeoutCode: 'TIMEOUT', refusedCode: 'SEND_FAILED' });
    await expectScenarioShown(page);
    await showFiveSeconds(page);
    await page.screenshot({ path: join(reports, 'inspector-mount.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('served from Node: the same page over HTTP, live through Server-Sent Events', async () => {
    const inspector = createInspector({ sampleMs: 100 });
    const server = await inspector.serve({ port: 0, refreshMs: 100 });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    const { page, problems } = await openPage();
    try {
      // The page is open before the run: it follows it live.
      await page.goto(server.url);
      await until(page, (s) => s.status === 'live');
      const scenario = await runScenario(inspector);
      expect(scenario.summary).toMatchObject({ timeoutCode: 'TIMEOUT', refusedCode: 'SEND_FAILED' });
      await expectScenarioShown(page);
      await showFiveSeconds(page);
      await page.screenshot({ path: join(reports, 'inspector-serve.png'), fullPage: true });
      expect(problems).toEqual([]);

      // The same data over plain HTTP.
      const index = await fetch(server.url);
      expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(index.headers.get('content-security-policy')).toMatch(/script-src 'sha256-[^']+'/);
      const snapshot = (await (await fetch(`${server.url}snapshot.json`)).json()) as InspectorSnapshot;
      expect(snapshot.modules.map((m) => [m.name, m.status, m.stats.handled])).toEqual([
        ['orders', 'idle', 8],
        ['payments', 'idle', 5],
        ['inventory', 'idle', 1],
        ['audit', 'stopped', 5],
      ]);
      expect(snapshot.timeline.filter((e) => e.module === 'inventory')).toEqual([
        expect.objectContaining({
          kind: 'request',
          outcome: 'timeout',
          message: '{"type":"Reserve","sku":"sku-1"}',
        }),
      ]);
      const feed = await fetch(`${server.url}events`);
      expect(feed.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      const reader = (feed.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      while (!text.includes('\n\nevent: snapshot\ndata: ') || !text.endsWith('\n\n')) {
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
      }
      await reader.cancel();
      const first = JSON.parse(text.split('data: ')[1]?.split('\n')[0] ?? '') as InspectorSnapshot;
      expect(first.modules).toHaveLength(4);
      expect(first.timeline.length).toBe(snapshot.timeline.length); // a new page gets everything kept

      // Loopback only: a request naming another host (DNS rebinding) is refused.
      expect(await statusOf(server.port, '/', 'evil.example')).toBe(403);
      expect(await statusOf(server.port, '/nowhere', `localhost:${server.port}`)).toBe(404);
      expect(await statusOf(server.port, '/', `[::1]:${server.port}`, 'POST')).toBe(405);
      scenario.stop();
    } finally {
      await page.close();
      await server.close();
      inspector.close();
    }
  }, 60_000);
});

function statusOf(port: number, path: string, host: string, method = 'GET'): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method, headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}
