// The API reference site's configuration (typedoc.config.mjs) against the repository: every
// guide under docs/ is a page of the site and is linked from its landing page, and every package
// entry is documented. (scripts/check-docs-site.mjs builds the site and reads it in Chromium.)
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');
const config = readFileSync(join(root, 'typedoc.config.mjs'), 'utf8');
const landing = 'docs/api-site.md';

/** The string literals of the config's array `name: [ … ]`. */
function listed(name: string): string[] {
  const body = new RegExp(`${name}: \\[([^\\]]*)\\]`).exec(config)?.[1] ?? '';
  return [...body.matchAll(/'([^']+)'/g)].map((match) => match[1] ?? '');
}

function markdownUnder(directory: string): string[] {
  return readdirSync(join(root, directory), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() && join(directory, entry.name) === join('docs', 'api')
      ? [] // the built site (gitignored), with its own copies of the guides
      : entry.isDirectory()
        ? markdownUnder(join(directory, entry.name))
        : entry.name.endsWith('.md')
          ? [relative(root, join(root, directory, entry.name))]
          : [],
  );
}

describe('the API reference site (typedoc.config.mjs)', () => {
  it('has every guide under docs/ as a page', () => {
    const guides = markdownUnder('docs').filter((page) => page !== landing);
    expect([...listed('projectDocuments')].sort()).toEqual(guides.sort());
  });

  it('links every page from its landing page', () => {
    const text = readFileSync(join(root, landing), 'utf8');
    const unlinked = listed('projectDocuments').filter(
      (page) => !text.includes(`](${relative(join(root, 'docs'), join(root, page))})`),
    );
    expect(unlinked).toEqual([]);
  });

  it('documents every entry of package.json `exports`', () => {
    const { exports } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    const entries = Object.keys(exports)
      .filter((key) => key !== './package.json')
      .map((key) => (key === '.' ? 'lib/index.ts' : `lib/${key.slice(2)}/index.ts`));
    expect(listed('entryPoints').sort()).toEqual(entries.sort());
  });
});
