// What the scripts that test examples/angular share (e2e-angular.mjs, test-angular-ssr.mjs,
// test-angular-zone.mjs, test-angular-unit.mjs): the library built and the app's dependencies
// installed before a build, Debian's Chromium (installed with apt-get when missing and we are
// root), the SPA static server, and the check/until helpers their summaries count. The docs-site
// check (check-docs-site.mjs) launches its Chromium here too.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, URL } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const app = join(root, 'examples', 'angular');
export const chromiumPath = '/usr/bin/chromium';

const message = (error) => (error instanceof Error ? error.message : String(error));

/** `step(what)` logs with the script's tag and the seconds since it started. */
export function stepper(tag) {
  const started = Date.now();
  return (what) => console.log(`${tag} [${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);
}

/** Runs a command in `cwd`, its output shown, Angular's analytics prompt off. */
export function run(cmd, args, cwd, env = {}) {
  execFileSync(cmd, args, {
    cwd,
    stdio: 'inherit',
    env: { ...process.env, NG_CLI_ANALYTICS: 'false', ...env },
  });
}

/**
 * Builds the library (the app installs it packed, see its scripts/vendor-spark-channel.mjs), runs
 * `npm ci` in the app when its node_modules is missing or older than its lock, then `build()`.
 * On failure prints `<tag>: 0 passed, 1 failed` and exits 1.
 */
export function prepareExample(tag, step, build) {
  try {
    step('building the library (npm run build)');
    run('npm', ['run', 'build', '--silent'], root);
    const appLock = join(app, 'package-lock.json');
    const appMarker = join(app, 'node_modules', '.package-lock.json');
    if (!existsSync(appMarker) || statSync(appLock).mtimeMs > statSync(appMarker).mtimeMs) {
      step('installing the example app’s dependencies (npm ci in examples/angular)');
      run('npm', ['ci', '--no-audit', '--no-fund'], app);
    }
    build();
  } catch (error) {
    console.error(`${tag}: could not build the example: ${message(error)}`);
    console.log(`${tag}: 0 passed, 1 failed`);
    process.exit(1);
  }
}

/**
 * Debian's chromium (never a tool's own download), installed with apt-get when missing and we are
 * root. Without one, prints `<tag>: SKIPPED` with what to do, and exits 0.
 */
export function requireChromium(tag, step) {
  if (existsSync(chromiumPath)) return;
  if (process.getuid?.() === 0) {
    step('installing Debian chromium (apt-get)…');
    try {
      const env = { DEBIAN_FRONTEND: 'noninteractive' };
      run('apt-get', ['update', '-qq'], root, env);
      run('apt-get', ['install', '-y', '-qq', 'chromium'], root, env);
    } catch (error) {
      console.error(`${tag}: apt-get could not install chromium: ${message(error)}`);
    }
  }
  if (existsSync(chromiumPath)) return;
  console.log(
    `${tag}: SKIPPED, no Chromium at ${chromiumPath} and none could be installed ` +
      "(install Debian's `chromium` package, or run as root so this script can apt-get it)",
  );
  process.exit(0);
}

const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.ico': 'image/x-icon',
};

/** Serves `dist` on a free loopback port; unknown paths get index.html, as a SPA host would. */
export async function serveSpa(dist) {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname)).replace(
      /^([/\\])+/,
      '',
    );
    let file = join(dist, path);
    if (!file.startsWith(dist + sep) || !existsSync(file) || statSync(file).isDirectory()) {
      file = join(dist, 'index.html');
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

/** Headless Chromium through playwright-core, with the flags a sandbox-less CI box needs. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Polls `read` until `ok(value)`, or fails after `ms` with the last value seen. */
export async function until(read, ok, ms = 5_000) {
  const deadline = Date.now() + ms;
  let value;
  for (;;) {
    value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(value)}`);
    await sleep(20);
  }
}

/** `check(name, body)` runs one named check, printing ✓ or ✗; `results` holds `{ name, ok }`. */
export function checker() {
  const results = [];
  const check = async (name, body) => {
    try {
      await body();
      results.push({ name, ok: true });
      console.log(`  ✓ ${name}`);
    } catch (error) {
      results.push({ name, ok: false });
      console.log(`  ✗ ${name}\n    ${message(error)}`);
    }
  };
  return { check, results };
}
