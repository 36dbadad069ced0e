// docs/angular.md quotes code that is built or tested elsewhere (examples/angular, spec/angular,
// jest.config.ts). Each code block names its file in a `<!-- source: path -->` comment; this spec
// fails when a block drifts from that file, so the guide cannot rot.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const guide = 'docs/angular.md';

interface Quote {
  readonly source: string | undefined;
  readonly language: string;
  readonly lines: string[];
  readonly at: number;
}

/** The fenced code blocks of a markdown file, each with the `source:` comment just above it. */
function quotes(markdown: string): Quote[] {
  const lines = markdown.split('\n');
  const found: Quote[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)/.exec(lines[i] ?? '');
    if (open === null) continue;
    const end = lines.indexOf('```', i + 1);
    let above = i - 1;
    while (above >= 0 && lines[above]?.trim() === '') above--;
    const source = /^<!-- source: (\S+) -->$/.exec(lines[above] ?? '')?.[1];
    found.push({ source, language: open[1] ?? '', lines: lines.slice(i + 1, end), at: i + 1 });
    i = end;
  }
  return found;
}

/** The quote's parts, split at elisions (`// …`, `<!-- … -->`), as trimmed non-empty lines. */
function parts(lines: readonly string[]): string[][] {
  const out: string[][] = [[]];
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '// …' || trimmed === '<!-- … -->') out.push([]);
    else if (trimmed !== '') out[out.length - 1]?.push(trimmed);
  }
  return out.filter((part) => part.length > 0);
}

/** Where `part` occurs as consecutive lines of `haystack`, at or after `from`; -1 if nowhere. */
function indexOfLines(haystack: readonly string[], part: readonly string[], from: number): number {
  for (let i = from; i + part.length <= haystack.length; i++) {
    if (part.every((line, j) => haystack[i + j] === line)) return i;
  }
  return -1;
}

describe(guide, () => {
  const all = quotes(readFileSync(join(root, guide), 'utf8'));
  const code = all.filter((quote) => quote.language !== 'sh');

  it('has code to check', () => {
    expect(code.length).toBeGreaterThanOrEqual(8);
  });

  it.each(code.map((quote) => [`line ${quote.at} (${quote.source ?? 'no source'})`, quote] as const))(
    'quotes its source file verbatim: %s',
    (_, quote) => {
      expect(quote.source).toBeDefined();
      const file = join(root, quote.source ?? '');
      expect(existsSync(file)).toBe(true);
      const source = readFileSync(file, 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '');
      let from = 0;
      for (const part of parts(quote.lines)) {
        const at = indexOfLines(source, part, from);
        if (at < 0) throw new Error(`not in ${quote.source} (in this order):\n${part.join('\n')}`);
        from = at + part.length;
      }
    },
  );
});
