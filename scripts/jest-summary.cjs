#!/usr/bin/env node
// Prints `jest: N passed, M failed` from jest's --json report, for CI, which reads no jest
// summary of its own. A missing report (jest never ran) counts as a failure.
'use strict';
const { existsSync, readFileSync } = require('node:fs');

const file = process.argv[2] ?? 'reports/jest.json';
if (!existsSync(file)) {
  console.log('jest: 0 passed, 1 failed');
  console.error(`(no jest report at ${file}: jest did not run)`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const failed = report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
console.log(`jest: ${report.numPassedTests} passed, ${failed} failed`);
process.exit(failed > 0 || report.success === false ? 1 : 0);
