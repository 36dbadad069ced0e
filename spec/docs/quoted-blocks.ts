// Code blocks of a Markdown page that quote a file of the repository: each block names its file
// in a `<!-- source: path -->` comment just above it, and its lines (trimmed, blank ones
// skipped) must appear in that file as consecutive lines, part after part, where a `// …` line
// in the block marks an elision. A quote therefore fails as soon as its file drifts. The same
// rule as spec/angular/docs.spec.ts, as a helper other pages can use.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');

export interface QuotedBlock {
  /** The file it quotes, relative to the repository root; `undefined` when none is named. */
  readonly source: string | undefined;
  readonly language: string;
  readonly lines: readonly string[];
  /** The line of its opening fence, 1-based. */
  readonly line: number;
}

/** The fenced code blocks of the page at `page` (relative to the repository root). */
export function quotedBlocks(page: string): QuotedBlock[] {
  const lines = readFileSync(join(root, page), 'utf8').split('\n');
  const found: QuotedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)/.exec(lines[i] ?? '');
    if (open === null) continue;
    const end = lines.indexOf('```', i + 1);
    if (end === -1) throw new Error(`${page}:${i + 1}: unclosed code block`);
    let above = i - 1;
    while (above >= 0 && lines[above]?.trim() === '') above--;
    const source = /^<!-- source: (\S+) -->$/.exec(lines[above] ?? '')?.[1];
    found.push({ source, language: open[1] ?? '', lines: lines.slice(i + 1, end), line: i + 1 });
    i = end;
  }
  return found;
}

/** What is wrong with `block` as a quote of its source file; `undefined` when it is exact. */
export function quoteProblem(block: QuotedBlock): string | undefined {
  if (block.source === undefined) return 'names no <!-- source: path --> file';
  const file = join(root, block.source);
  if (!existsSync(file)) return `quotes ${block.source}, which does not exist`;
  const haystack = readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const parts: string[][] = [[]];
  for (const line of block.lines) {
    const trimmed = line.trim();
    if (trimmed === '// …') parts.push([]);
    else if (trimmed !== '') parts[parts.length - 1]?.push(trimmed);
  }
  let from = 0;
  for (const part of parts.filter((p) => p.length > 0)) {
    let at = -1;
    for (let i = from; i + part.length <= haystack.length && at === -1; i++) {
      if (part.every((line, j) => haystack[i + j] === line)) at = i;
    }
    if (at === -1) return `is not in ${block.source} (in order) from: ${part[0]}`;
    from = at + part.length;
  }
  return undefined;
}
