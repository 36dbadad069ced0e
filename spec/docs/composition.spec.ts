import {
  checkMarkdownExamples,
  compileExamples,
  extractExamples,
  formatDiagnostics,
} from './markdown-examples.js';

// docs/composition.md: every ```ts block compiles (and every @ts-expect-error in it fails to).
// The compiler is slow to start, hence the generous timeout.
describe('docs/composition.md', () => {
  it('has examples that compile', () => {
    const { examples, diagnostics } = checkMarkdownExamples('docs/composition.md');
    expect(examples.length).toBeGreaterThanOrEqual(8);
    expect(formatDiagnostics('docs/composition.md', diagnostics)).toBe('');
  }, 120_000);
});

describe('the Markdown example checker', () => {
  it('joins `ts continued` blocks to the block before, and maps errors to page lines', () => {
    const page = [
      '# Title', // 1
      '```ts', // 2
      "import { spawnModule } from 'spark-channel';", // 3
      '```', // 4
      'Some prose.', // 5
      '```ts continued', // 6
      "const n: number = 'not a number';", // 7
      'void spawnModule;', // 8
      '```', // 9
      '```sh', // 10
      'npm test', // 11
      '```', // 12
      '```ts', // 13
      '// @ts-expect-error this line compiles, so the directive is unused', // 14
      'const ok = 1;', // 15
      '```', // 16
    ].join('\n');
    const examples = extractExamples(page);
    expect(examples.map(({ line, pageLines }) => ({ line, pageLines }))).toEqual([
      { line: 2, pageLines: [3, 7, 8] },
      { line: 13, pageLines: [14, 15] },
    ]);
    const diagnostics = compileExamples(examples, __dirname);
    expect(diagnostics.map(({ line }) => line)).toEqual([7, 14]);
    expect(diagnostics[0]?.message).toMatch(/not assignable to type 'number'/);
    expect(diagnostics[1]?.message).toMatch(/Unused '@ts-expect-error' directive/);
  }, 120_000);

  it('refuses pages it cannot read', () => {
    expect(() => extractExamples('```ts\nconst a = 1;\n')).toThrow(/Unclosed code block at line 1/);
    expect(() => extractExamples('```ts continued\n```')).toThrow(/nothing before it, line 1/);
  });
});
