// docs/testing.md: every ```ts block compiles against lib/ AND runs. The page's blocks are test
// code, so each example (its `ts continued` blocks joined, as the other docs specs do) is
// transpiled and evaluated here, inside a describe block of its own: the tests it declares become
// tests of this file. The failure messages pasted in the page are checked against real ones.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import * as rxjs from 'rxjs';
import * as rxjsTesting from 'rxjs/testing';
import ts from 'typescript';

import * as sparkChannel from '../../lib/index.js';
import * as sparkChannelTesting from '../../lib/testing/index.js';
import { createProbe, ProbeAssertionError } from '../../lib/testing/index.js';
import { outcome } from '../support/helpers.js';
import {
  compileExamples,
  extractExamples,
  formatDiagnostics,
  type MarkdownExample,
} from './markdown-examples.js';

const root = resolve(__dirname, '..', '..');
const page = 'docs/testing.md';
const markdown = readFileSync(join(root, page), 'utf8');
const examples = extractExamples(markdown);

/** What the page's imports resolve to when run (markdown-examples.ts maps them for the compiler). */
const entryPoints = {
  'spark-channel': sparkChannel,
  'spark-channel/testing': sparkChannelTesting,
  rxjs,
  'rxjs/testing': rxjsTesting,
} as const;

/** Runs an example as a CommonJS module whose `test` calls register here; returns how many it registered. */
function run(example: MarkdownExample): number {
  const { outputText } = ts.transpileModule(example.code, {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
    fileName: `${page}:${example.line}.ts`,
  });
  const load = (name: string): unknown => {
    if (name in entryPoints) return entryPoints[name as keyof typeof entryPoints];
    throw new Error(`${page} imports '${name}': map it in spec/docs/testing.spec.ts`);
  };
  let registered = 0;
  const counted = (name: string, fn: jest.ProvidesCallback, timeout?: number): void => {
    registered++;
    test(name, fn, timeout);
  };
  const module = new Function(
    'exports',
    'require',
    'jest',
    'describe',
    'test',
    'it',
    'expect',
    'beforeEach',
    'afterEach',
    outputText,
  ) as (...args: unknown[]) => void;
  module({}, load, jest, describe, counted, counted, expect, beforeEach, afterEach);
  return registered;
}

/** The ```text blocks of the section under `heading`. */
function textBlocks(heading: string): string[] {
  const section = markdown.split(/^## /m).find((part) => part.startsWith(`${heading}\n`)) ?? '';
  return [...section.matchAll(/^```text\n([\s\S]*?)\n```$/gm)].map((match) => match[1] as string);
}

describe(page, () => {
  it('has examples that compile', () => {
    expect(examples.length).toBeGreaterThanOrEqual(1);
    expect(formatDiagnostics(page, compileExamples(examples, dirname(join(root, page))))).toBe('');
  }, 120_000);

  describe('runs its examples', () => {
    afterEach(() => jest.useRealTimers()); // should an example fail before restoring them
    const counts = examples.map((example) => {
      let count = 0;
      describe(`example at line ${example.line}`, () => {
        count = run(example);
      });
      return count;
    });
    it('every example declares tests, and they all ran above', () => {
      expect(counts.every((count) => count > 0)).toBe(true);
      expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(8);
    });
  });

  describe('pastes real failure messages', () => {
    type UserMsg = { type: 'GetUser'; id: string } | { type: 'UserSeen'; id: string };
    type UserResp = { type: 'User'; id: string; name: string };
    const [mismatch, nothing] = textBlocks('What a failure prints');

    async function failure(promise: Promise<unknown>): Promise<string> {
      const result = await outcome(promise);
      const error = 'error' in result ? result.error : undefined;
      expect(error).toBeInstanceOf(ProbeAssertionError);
      return `${(error as Error).name}: ${(error as Error).message}`; // as jest prints it
    }

    it('a request that does not match', async () => {
      const probe = createProbe<UserMsg, UserResp>();
      void probe.dispatcher.request({ type: 'GetUser', id: '8' }).catch(() => undefined);
      expect(await failure(probe.expectRequest({ type: 'GetUser', id: '7' }))).toBe(mismatch);
      probe.stop();
    });

    it('a command held back by an unanswered request', async () => {
      jest.useFakeTimers();
      const probe = createProbe<UserMsg, UserResp>();
      void probe.dispatcher.request({ type: 'GetUser', id: '7' }).catch(() => undefined);
      void probe.dispatcher.sendCommand({ type: 'UserSeen', id: '7' });
      await probe.expectRequest();
      const failing = failure(probe.expectCommand({ type: 'UserSeen' }));
      await jest.advanceTimersByTimeAsync(1_000);
      expect(await failing).toBe(nothing);
      probe.stop();
    });
  });
});
