import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// package.json's promises, kept in step with what scripts/check-package.cjs tests: the exports
// layout that gives Node one copy (docs/packaging.md), typesVersions for node10, peer ranges whose
// floors are the versions the consumer project installs, and the README stating the same Node
// and TypeScript floors as the manifest and the check.
const root = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string;
  module: string;
  types: string;
  engines: { node: string };
  exports: Record<string, unknown>;
  typesVersions: Record<string, Record<string, string[]>>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
const load = createRequire(__filename);
const consumer = load(join(root, 'scripts', 'package', 'consumer-types.cjs')) as {
  typescripts: string[];
  peers: Record<string, string>;
};
const readme = readFileSync(join(root, 'README.md'), 'utf8');

type Target = { types: string; default: string };
type Entry = {
  node: { import: Target; require: Target };
  module: Target;
  import: Target;
  require: Target;
  default: Target;
};

const subpaths = Object.keys(manifest.exports).filter((subpath) => subpath !== './package.json');
const folder = (subpath: string): string => (subpath === '.' ? '' : `${subpath.slice(2)}/`);

/** The lowest version a `^x.y` or `^x.y.z` range admits. */
function floor(range: string): string {
  const match = /^\^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(range);
  if (match === null) throw new Error(`peer range ${range}: only ^x.y[.z] ranges are checked here`);
  return `${match[1]}.${match[2]}.${match[3] ?? '0'}`;
}

describe('package.json', () => {
  it('lists the ten entries', () => {
    expect(subpaths).toEqual([
      '.',
      './angular',
      './worker',
      './web-worker',
      './nats',
      './nats/jetstream',
      './testing',
      './otel',
      './inspect',
      './angular/testing',
    ]);
  });

  it.each(subpaths)('%s: Node gets the CommonJS build both ways, bundlers the ESM build', (subpath) => {
    const entry = manifest.exports[subpath] as Entry;
    const dir = folder(subpath);
    const esm = { types: `./dist/esm/${dir}index.d.ts`, default: `./dist/esm/${dir}index.js` };
    const cjs = { types: `./dist/cjs/${dir}index.d.ts`, default: `./dist/cjs/${dir}index.js` };
    // Order matters: the first matching condition wins, and `node` must win under Node.
    expect(Object.keys(entry)).toEqual(['node', 'module', 'import', 'require', 'default']);
    expect(entry.node).toEqual({
      import: { types: esm.types, default: `./dist/node/${dir}index.mjs` },
      require: cjs,
    });
    expect(entry.module).toEqual(esm);
    expect(entry.import).toEqual(esm);
    expect(entry.require).toEqual(cjs);
    expect(entry.default).toEqual(esm);
  });

  it('maps every subpath for node10 resolution, and the root through main/types', () => {
    const expected = Object.fromEntries(
      subpaths.filter((s) => s !== '.').map((s) => [s.slice(2), [`./dist/cjs/${folder(s)}index.d.ts`]]),
    );
    expect(manifest.typesVersions).toEqual({ '*': expected });
    const rootEntry = manifest.exports['.'] as Entry;
    expect([manifest.main, manifest.types, manifest.module]).toEqual([
      rootEntry.require.default,
      rootEntry.require.types,
      rootEntry.import.default,
    ]);
  });

  it('has peer ranges whose floors are what the consumer project installs', () => {
    const floors = Object.fromEntries(
      Object.entries(manifest.peerDependencies).map(([name, range]) => [name, floor(range)]),
    );
    const installed = Object.fromEntries(Object.entries(consumer.peers).filter(([name]) => name in floors));
    expect(installed).toEqual(floors);
    expect(manifest.peerDependencies['@angular/core']).toBe('^21.0.0');
    // Every peer but rxjs is behind its own entry point, so optional.
    const optional = Object.keys(manifest.peerDependenciesMeta).filter(
      (name) => manifest.peerDependenciesMeta[name]?.optional,
    );
    expect(optional.sort()).toEqual(
      Object.keys(manifest.peerDependencies)
        .filter((name) => name !== 'rxjs')
        .sort(),
    );
  });

  it('states in the README the Node and TypeScript floors that engines and the check use', () => {
    expect(manifest.engines.node).toBe('>=20');
    expect(readme).toMatch(/It needs Node 20\s+or later and TypeScript 5\.4 or later/);
    expect(consumer.typescripts[0]).toMatch(/^5\.4\./);
    expect(readme).toContain(`TypeScript ${consumer.typescripts.join(' and ')} compile every entry`);
  });
});
