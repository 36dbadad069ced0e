// docs/recipes.md quotes examples/recipes/, whose files are type-checked and run by
// spec/recipes/: every code block must name its file and match it (see quoted-blocks.ts), so the
// page shows what the specs run.
import { quotedBlocks, quoteProblem } from './quoted-blocks.js';

const page = 'docs/recipes.md';

describe(page, () => {
  const blocks = quotedBlocks(page);

  it('has the quotes of its three recipes', () => {
    expect(blocks.filter(({ language }) => language === 'ts')).toHaveLength(7);
    expect(new Set(blocks.map(({ source }) => source))).toEqual(
      new Set([
        'examples/recipes/sigterm-drain.ts',
        'examples/recipes/nest-provider.ts',
        'examples/recipes/http-replies.ts',
        'examples/recipes/express-handlers.ts',
        'examples/recipes/fastify-handlers.ts',
      ]),
    );
  });

  it('quotes each block from its file, exactly and in order', () => {
    const problems = blocks.flatMap((block) => {
      const problem = quoteProblem(block);
      return problem === undefined ? [] : [`${page}:${block.line}: the block ${problem}`];
    });
    expect(problems).toEqual([]);
  });

  it('fails a quote that drifted from its file', () => {
    const [first] = blocks;
    if (first === undefined) throw new Error('no block');
    expect(quoteProblem({ ...first, lines: [...first.lines, 'an edited line'] })).toMatch(/is not in/);
    expect(quoteProblem({ ...first, source: undefined })).toMatch(/names no/);
    expect(quoteProblem({ ...first, source: 'examples/recipes/missing.ts' })).toMatch(/does not exist/);
  });
});
