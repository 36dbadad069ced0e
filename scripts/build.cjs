#!/usr/bin/env node
// Builds the two formats the `exports` map promises: ESM in dist/esm, CommonJS in dist/cjs, each
// with its own .d.ts and a package.json stating its module type, so each .d.ts is read in its
// own format (what @arethetypeswrong/cli checks).
'use strict';
const { rmSync, mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const root = join(__dirname, '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
rmSync(join(root, 'dist'), { recursive: true, force: true });

const builds = [
  { dir: 'esm', type: 'module', args: ['--module', 'ES2022', '--moduleResolution', 'Bundler'] },
  { dir: 'cjs', type: 'commonjs', args: ['--module', 'CommonJS', '--moduleResolution', 'Node10'] },
];
for (const { dir, type, args } of builds) {
  const outDir = join(root, 'dist', dir);
  execFileSync(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir, ...args],
    {
      stdio: 'inherit',
    },
  );
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type }, null, 2) + '\n');
}
console.log('built dist/esm and dist/cjs');
