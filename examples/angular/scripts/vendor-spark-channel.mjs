#!/usr/bin/env node
// Puts spark-channel into this app's node_modules as npm would install it from the registry: packs
// the repo (which must be built: `npm run build` at its root, done here when dist/ is missing) and
// unpacks the tarball in place of the `file:../..` symlink that `npm ci` made.
//
// Why not keep the symlink: the bundler would then resolve `@angular/core` and `rxjs`, imported by
// spark-channel/angular, from the repo's own node_modules, and two copies of @angular/core break
// dependency injection (`inject()` in one copy cannot see the injection context of the other).
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const app = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(app, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

if (!existsSync(join(repo, 'dist', 'esm', 'angular', 'index.js'))) {
  console.log('vendor-spark-channel: building the library (npm run build at the repo root)…');
  execFileSync(npm, ['run', 'build'], { cwd: repo, stdio: 'inherit' });
}

const work = mkdtempSync(join(tmpdir(), 'spark-channel-vendor-'));
try {
  const tarball = execFileSync(npm, ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], {
    cwd: repo,
  })
    .toString()
    .trim()
    .split('\n')
    .pop();
  const target = join(app, 'node_modules', 'spark-channel');
  if (lstatExists(target)) {
    if (lstatSync(target).isSymbolicLink()) unlinkSync(target);
    else rmSync(target, { recursive: true, force: true });
  }
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, tarball), '-C', target, '--strip-components=1']);
  console.log(`vendor-spark-channel: unpacked ${tarball} into node_modules/spark-channel`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

function lstatExists(path) {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
