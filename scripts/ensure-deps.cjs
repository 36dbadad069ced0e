#!/usr/bin/env node
// `npm run demo` and `npm test` must work as the first command on a fresh clone, so the
// pre-scripts install dependencies themselves when node_modules is missing or stale.
'use strict';
const { existsSync, lstatSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { execSync } = require('node:child_process');

const root = join(__dirname, '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');

// A symlinked node_modules (a git worktree sharing another checkout's) is that checkout's to
// install: `npm ci` through the link would empty it under everyone using it.
const linked =
  existsSync(join(root, 'node_modules')) && lstatSync(join(root, 'node_modules')).isSymbolicLink();
const stale =
  !linked && (!existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs));
if (stale) {
  console.log('spark-channel: installing dependencies (npm ci)…');
  execSync(existsSync(lock) ? 'npm ci --no-audit --no-fund' : 'npm install --no-audit --no-fund', {
    cwd: root,
    stdio: 'inherit',
  });
}
