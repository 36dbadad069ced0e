// The API reference site: `npm run docs` builds it into docs/api/ (gitignored, built in CI by
// `npm test`). TypeDoc, because it reads the TypeScript program itself (the types the compiler
// sees, generics and overloads included, not a re-parse), renders the TSDoc comments the sources
// already carry, has a search built in, and is kept up with each TypeScript release (its peer
// range follows TypeScript's minor versions). Warnings are errors: a broken link, an undocumented
// export or a type that is referenced but not exported fails the build.
//
// JavaScript, not JSON, for `markdownItLoader` (a function): see `codeInHeadingAnchors` below.

/** @type {Partial<import('typedoc').TypeDocOptions>} */
const config = {
  name: 'spark-channel',
  // One module per package entry (package.json `exports`), named by its `@module` tag.
  entryPoints: [
    'lib/index.ts',
    'lib/angular/index.ts',
    'lib/worker/index.ts',
    'lib/web-worker/index.ts',
    'lib/nats/index.ts',
    'lib/nats/jetstream/index.ts',
    'lib/testing/index.ts',
    'lib/otel/index.ts',
    'lib/inspect/index.ts',
    'lib/angular/testing/index.ts',
  ],
  out: 'docs/api',
  tsconfig: 'tsconfig.json',
  // The landing page: the entries, and the guides in the order a new user reads them.
  readme: 'docs/api-site.md',
  projectDocuments: [
    'docs/composition.md',
    'docs/recipes.md',
    'docs/errors.md',
    'docs/shutdown.md',
    'docs/flow-control.md',
    'docs/events.md',
    'docs/observability.md',
    'docs/inspector.md',
    'docs/testing.md',
    'docs/angular.md',
    'docs/workers.md',
    'docs/nats.md',
    'docs/nats-wire.md',
    'docs/reliability.md',
    'docs/architecture.md',
    'docs/benchmarks.md',
    'docs/packaging.md',
    'docs/from-rust.md',
    'docs/coming-from/nestjs-cqrs.md',
    'docs/coming-from/p-queue.md',
    'docs/coming-from/ngrx-effects.md',
    'docs/coming-from/comlink.md',
  ],
  plugin: ['./scripts/typedoc-plugin.mjs'],
  // `@internal` members are the tests' windows on bookkeeping (symbol-keyed getters, brands).
  excludeInternal: true,
  excludePrivate: true,
  excludeProtected: true,
  includeVersion: true,
  // No "Defined in" links: the package has no public repository to link to yet, and TypeDoc
  // warns (an error here) for a clone whose `origin` is not a known host, as CI's clone is.
  disableSources: true,
  highlightLanguages: ['ts', 'typescript', 'js', 'javascript', 'json', 'sh', 'bash', 'diff', 'html'],
  navigation: { includeGroups: false, includeCategories: false, includeFolders: false },
  searchInComments: true,
  searchInDocuments: true,
  markdownItLoader: codeInHeadingAnchors,
  treatWarningsAsErrors: true,
  treatValidationWarningsAsErrors: true,
  validation: {
    notExported: true,
    invalidLink: true,
    invalidPath: true,
    rewrittenLink: true,
    notDocumented: true,
    unusedMergeModuleWith: true,
  },
  // Every export, and every method and accessor of an exported class or interface, has a
  // comment. Properties are left out of the check: most are options and fields whose name and
  // type say it all (`capacity?: number`), and the option types they come from are documented.
  requiredToBeDocumented: [
    'Enum',
    'Variable',
    'Function',
    'Class',
    'Interface',
    'TypeAlias',
    'Method',
    'Accessor',
    'Namespace',
  ],
  intentionallyNotExported: [
    // Type-level helpers, private on purpose: they only shape what a hover shows.
    'Flat', // lib/module-definition.ts
    'Atomic', // lib/testing/probe-pattern.ts
    'Narrow', // lib/testing/probe-pattern.ts
    'NoExcessKeys', // lib/testing/probe-pattern.ts
  ],
};

/**
 * TypeDoc (0.28) makes a heading's anchor from its text tokens only, so `## Operators:
 * `requestVia` and `commandVia`` gets `#operators-and`, while GitHub (where the guides are read
 * too, and whose anchors they link to) keeps the code: `#operators-requestvia-and-commandvia`.
 * Giving each inline code token of a heading a text child makes TypeDoc's anchor GitHub's; the
 * code still renders as code (markdown-it renders `code_inline` from its `content`).
 *
 * @param {import('markdown-it').default} parser
 */
function codeInHeadingAnchors(parser) {
  parser.core.ruler.push('code-in-heading-anchors', (state) => {
    state.tokens.forEach((token, i) => {
      if (token.type !== 'inline' || state.tokens[i - 1]?.type !== 'heading_open') return;
      for (const child of token.children ?? []) {
        if (child.type === 'code_inline' && child.children === null) {
          const text = new state.Token('text', '', 0);
          text.content = child.content;
          child.children = [text];
        }
      }
    });
  });
}

export default config;
