// TypeDoc plugin for `npm run docs` (loaded by typedoc.config.mjs).
//
// Guide titles: a project document is named after its file (`coming-from/nestjs-cqrs`) unless it
// has YAML front matter, which GitHub would show as a table on top of the page. The guides'
// own first `# Heading` names them instead, in the navigation and in the search.
//
// Examples: every export of every entry (a function, class, interface, type, variable) must carry
// an `@example`, on itself or on its first signature. TypeDoc's validation only asks for a
// comment; a missing example is a warning here, which the config turns into an error.

import { ReflectionKind } from 'typedoc';

const EXAMPLED =
  ReflectionKind.Class |
  ReflectionKind.Interface |
  ReflectionKind.Function |
  ReflectionKind.TypeAlias |
  ReflectionKind.Variable |
  ReflectionKind.Enum;

/** @param {import('typedoc').Reflection} reflection */
function hasExample(reflection) {
  const comments = [reflection.comment, ...(reflection.signatures ?? []).map((s) => s.comment)];
  return comments.some((comment) => comment?.blockTags.some((tag) => tag.tag === '@example'));
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on('resolveEnd', (context) => {
    for (const entry of context.project.children ?? []) {
      for (const child of entry.children ?? []) {
        if (child.kindOf(EXAMPLED) && !hasExample(child)) {
          app.logger.warn(`${entry.name}: the export ${child.name} has no @example`);
        }
      }
    }
  });

  app.converter.on('createDocument', (_context, document) => {
    const source = document.content.map((part) => (part.kind === 'inline-tag' ? '' : part.text)).join('');
    const heading = /^#\s+(.+)$/m.exec(source);
    if (heading !== null && document.frontmatter.title === undefined) {
      document.name = heading[1].replaceAll('`', '').trim();
    }
  });
}
