// Type-checks the TypeScript examples of a Markdown page, so the docs cannot rot.
//
// Every ```ts block is compiled as its own module, as if it were a file next to the page; a block
// whose info string is `ts continued` is appended to the block before it instead (an example
// split by prose). Imports of 'spark-channel' resolve to lib/index.ts, 'spark-channel/x' to
// lib/x/index.ts. The compiler options are
// the repo's tsconfig.json, so a `// @ts-expect-error` line in an example must fail to compile,
// exactly as in spec/types. Nothing is run.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import ts from 'typescript';

const root = resolve(__dirname, '..', '..');

export interface MarkdownExample {
  /** The line of the opening fence of the example's first block, 1-based. */
  readonly line: number;
  readonly code: string;
  /** For each line of `code`, its line in the page, 1-based. */
  readonly pageLines: readonly number[];
}

/** The ```ts examples of a Markdown text, `ts continued` blocks joined to the block before. */
export function extractExamples(markdown: string): MarkdownExample[] {
  const examples: { line: number; code: string; pageLines: number[] }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)(?:\s+(\S+))?\s*$/.exec(lines[i] ?? '');
    if (fence === null) continue;
    const end = lines.findIndex((text, j) => j > i && text.startsWith('```'));
    if (end === -1) throw new Error(`Unclosed code block at line ${i + 1}`);
    const code = lines.slice(i + 1, end).join('\n');
    const pageLines = Array.from({ length: end - i - 1 }, (_, k) => i + 2 + k);
    if (fence[1] === 'ts' || fence[1] === 'typescript') {
      const previous = examples.at(-1);
      if (fence[2] === 'continued') {
        if (previous === undefined)
          throw new Error(`A 'ts continued' block with nothing before it, line ${i + 1}`);
        previous.code += `\n${code}`;
        previous.pageLines.push(...pageLines);
      } else {
        examples.push({ line: i + 1, code, pageLines });
      }
    }
    i = end;
  }
  return examples;
}

export interface ExampleDiagnostic {
  /** Where the example starts in the page (its opening fence), 1-based. */
  readonly exampleLine: number;
  /** The line of the page the error is on, 1-based. */
  readonly line: number;
  readonly message: string;
}

/** Compiles each example of the page at `markdownPath` (relative to the repo root); returns every error. */
export function checkMarkdownExamples(markdownPath: string): {
  examples: MarkdownExample[];
  diagnostics: ExampleDiagnostic[];
} {
  const examples = extractExamples(readFileSync(join(root, markdownPath), 'utf8'));
  return { examples, diagnostics: compileExamples(examples, dirname(join(root, markdownPath))) };
}

/** Compiles `examples` as modules in `directory` (they exist only in memory). */
export function compileExamples(
  examples: readonly MarkdownExample[],
  directory: string,
): ExampleDiagnostic[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (config === undefined) throw new Error('tsconfig.json could not be read');
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    paths: {
      'spark-channel': [join(root, 'lib', 'index.ts')],
      'spark-channel/*': [join(root, 'lib', '*', 'index.ts')],
    },
  };
  const files = new Map(examples.map((example, i) => [join(directory, `__example-${i}.ts`), example]));
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const example = files.get(fileName);
    return example === undefined
      ? getSourceFile(fileName, languageVersion, onError, shouldCreate)
      : ts.createSourceFile(fileName, example.code, languageVersion, true);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => files.has(fileName) || fileExists(fileName);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => files.get(fileName)?.code ?? readFile(fileName);

  const program = ts.createProgram([...files.keys()], options, host);
  const diagnostics: ExampleDiagnostic[] = [];
  for (const [fileName, example] of files) {
    const sourceFile = program.getSourceFile(fileName);
    if (sourceFile === undefined) throw new Error(`${fileName} was not compiled`);
    for (const diagnostic of [
      ...program.getSyntacticDiagnostics(sourceFile),
      ...program.getSemanticDiagnostics(sourceFile),
    ]) {
      const { line } = sourceFile.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      diagnostics.push({
        exampleLine: example.line,
        line: example.pageLines[line] ?? example.line,
        message: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'),
      });
    }
  }
  return diagnostics;
}

/** Renders diagnostics as `page:line: message`, one a line, for a failing expectation. */
export function formatDiagnostics(markdownPath: string, diagnostics: readonly ExampleDiagnostic[]): string {
  return diagnostics
    .map(
      ({ exampleLine, line, message }) =>
        `${markdownPath}:${line} (example at line ${exampleLine}): ${message}`,
    )
    .join('\n');
}
