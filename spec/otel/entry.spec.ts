// `@opentelemetry/api` is an optional peer: only the `spark-channel/otel` entry may load it, and
// the default tracer's scope names this package at its current version.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { TRACER_NAME, TRACER_VERSION } from '../../lib/otel/version.js';

const root = resolve(__dirname, '..', '..');

/** Every lib file reachable from `entry` through relative imports, with the bare specifiers they import. */
function reachable(entry: string): Map<string, string[]> {
  const files = new Map<string, string[]>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    const source = readFileSync(file, 'utf8');
    const bare: string[] = [];
    files.set(file, bare);
    for (const [, specifier] of source.matchAll(/(?:from\s*|import\(\s*|require\(\s*)['"]([^'"]+)['"]/g)) {
      if (specifier === undefined) continue;
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else bare.push(specifier);
    }
  };
  visit(join(root, entry));
  return files;
}

describe('the otel entry', () => {
  it('is the only one that imports @opentelemetry/*: the root entry never reaches it', () => {
    const files = reachable('lib/index.ts');
    expect(files.size).toBeGreaterThan(10);
    const otel = [...files].filter(([, bare]) => bare.some((name) => name.startsWith('@opentelemetry/')));
    expect(otel.map(([file]) => file)).toEqual([]);
  });

  it.each(['lib/nats/index.ts', 'lib/worker/index.ts'])(
    'is not reached from %s, whose option `tracing` takes the hook instead',
    (entry) => {
      const files = reachable(entry);
      expect(files.size).toBeGreaterThan(3);
      const otel = [...files].filter(([, bare]) => bare.some((name) => name.startsWith('@opentelemetry/')));
      expect(otel.map(([file]) => file)).toEqual([]);
    },
  );

  it('imports @opentelemetry/api and nothing else of OpenTelemetry', () => {
    const imported = new Set([...reachable('lib/otel/index.ts').values()].flat());
    expect([...imported].filter((name) => name.startsWith('@opentelemetry/'))).toEqual([
      '@opentelemetry/api',
    ]);
  });

  it('names the default tracer after the package, at its version', () => {
    const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
    };
    expect([TRACER_NAME, TRACER_VERSION]).toEqual([name, version]);
  });
});
