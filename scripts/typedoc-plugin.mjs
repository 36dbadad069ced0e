// TypeDoc plugin for `npm run docs` (loaded by typedoc.config.mjs).
//
// Guide titles: a project document is named after its file (`coming-from/nestjs-cqrs`) unless it
// has YAML front matter, which GitHub would show as a table on top of the page. The guides'
// own first `# Heading` names them instead, in the navigation and in the search.

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on('createDocument', (_context, document) => {
    const source = document.content.map((part) => (part.kind === 'inline-tag' ? '' : part.text)).join('');
    const heading = /^#\s+(.+)$/m.exec(source);
    if (heading !== null && document.frontmatter.title === undefined) {
      document.name = heading[1].replaceAll('`', '').trim();
    }
  });
}
