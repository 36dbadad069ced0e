import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import ts from 'typescript';

import { checkMarkdownExamples, extractExamples, formatDiagnostics } from './markdown-examples.js';

// The guides' examples compile against lib/, as the README's and composition.md's do: every ```ts
// block (its `ts continued` blocks joined) is compiled as a module next to its page. The counts
// catch a page whose examples were lost or fenced away. docs/angular.md is not here: its blocks
// quote files that are compiled and tested (spec/angular/docs.spec.ts); docs/reliability.md and
// docs/architecture.md have no TypeScript examples.
const pages = [
  ['docs/errors.md', 2],
  ['docs/flow-control.md', 1], // one program, split by prose
  ['docs/shutdown.md', 6],
  ['docs/workers.md', 3], // worker threads; a Web Worker's main thread and worker file
  ['docs/nats.md', 3], // serving and calling a module; the event bus; durable commands
  ['docs/from-rust.md', 2],
  ['docs/coming-from/nestjs-cqrs.md', 2], // theirs and ours: both compile
  ['docs/coming-from/p-queue.md', 2], // theirs and ours: both compile
  ['docs/coming-from/ngrx-effects.md', 1], // ours only: NgRx is not installed, theirs is ```js
  ['docs/coming-from/comlink.md', 1], // ours only: Comlink is not installed, theirs is ```js
  ['docs/events.md', 4], // the guide (one program, split by prose), the saga, over NATS, tracing
  ['docs/inspector.md', 3], // mount, serve, a watched bus
] as const;

describe.each(pages)('%s', (page, count) => {
  it('has examples that compile', () => {
    const { examples, diagnostics } = checkMarkdownExamples(page);
    expect(examples.length).toBeGreaterThanOrEqual(count);
    expect(formatDiagnostics(page, diagnostics)).toBe('');
  }, 120_000);

  // A block without an import or export is a script: its top-level names are global, so another
  // block of the page would compile against them instead of declaring what it uses.
  it('has examples that are modules', () => {
    const examples = extractExamples(readFileSync(join(__dirname, '..', '..', page), 'utf8'));
    const scripts = examples
      .filter(
        ({ code }) => !ts.isExternalModule(ts.createSourceFile('example.ts', code, ts.ScriptTarget.ES2022)),
      )
      .map(({ line }) => `${page}:${line}`);
    expect(scripts).toEqual([]);
  });
});
