import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // Angular ships ESM only (.mjs): spec/angular needs @angular/core compiled to CommonJS.
    '^.+\\.mjs$': ['ts-jest', { tsconfig: { allowJs: true, target: 'ES2022', module: 'CommonJS' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@angular/)'],
  // Sources import with `.js` specifiers (what Node ESM needs); ts-jest resolves the `.ts` files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  collectCoverageFrom: ['lib/**/*.ts'],
  coverageReporters: ['text-summary', 'json-summary', 'lcov'],
  coverageThreshold: { global: { lines: 95, branches: 95, functions: 95, statements: 95 } },
  setupFilesAfterEnv: ['<rootDir>/spec/support/setup.ts'],
  testTimeout: 30_000,
};

export default config;
