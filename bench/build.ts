/**
 * What the child processes run, prepared once by the parent before the first child starts:
 *
 * - the harness: bench/**\/*.ts transpiled file by file with TypeScript (`transpileModule`,
 *   CommonJS, ES2022: what tsc emits, without type-checking) into .tmp/bench-js, so a child is
 *   plain `node`, with no tsx loader and none of its transform in the measured process;
 * - spark-channel, as users get it: by default a snapshot of the package build (dist/cjs, from
 *   `npm run build`) copied into .tmp/bench-spark, so a rebuild during a long run (others run
 *   `npm test`, which rebuilds dist/) cannot change the code half-way through. Without a build,
 *   lib/ compiled by tsc as the build does (CommonJS) into .tmp/bench-lib, and the report says
 *   so; `--source=build` asks for that, `--source=tsx` for lib/ through tsx's transform.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';

import { newest } from './newest.js';

export type SparkSource = 'dist' | 'build' | 'tsx';

export interface SparkBuild {
  readonly source: SparkSource;
  /** The entry a child requires (BENCH_SPARK_ENTRY). */
  readonly entry: string;
  /** Node flags a child needs to load it (`--import tsx` for the source through tsx). */
  readonly nodeArgs: readonly string[];
  /** One line for the report: what was measured. */
  readonly description: string;
  /** sha256 of the JavaScript measured (first 12 hex digits), to tell two runs' code apart. */
  readonly hash: string;
  /** Why the measured code may not be what lib/ says now, if it may not. */
  readonly warning?: string;
}

/** Transpiles the harness into .tmp/bench-js; returns the path of the child script. */
export function prepareHarness(root: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require('typescript') as typeof import('typescript');
  const source = join(root, 'bench');
  const out = join(root, '.tmp', 'bench-js');
  rmSync(out, { recursive: true, force: true });
  for (const file of tsFiles(source)) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        useDefineForClassFields: true,
      },
    });
    const target = join(out, relative(source, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n');
  return join(out, 'child.js');
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'results' ? [] : tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Picks, snapshots or compiles the spark-channel a run measures. */
export function prepareSpark(root: string, requested: SparkSource | undefined): SparkBuild {
  const dist = join(root, 'dist', 'cjs');
  const hasDist = existsSync(join(dist, 'index.js'));
  if (requested === 'tsx') {
    const entry = join(root, 'lib', 'index.ts');
    return {
      source: 'tsx',
      entry,
      nodeArgs: ['--import', 'tsx'],
      description: "lib/ through tsx's on-the-fly transform (not what users run)",
      hash: hashOf(join(root, 'lib'), '.ts'),
    };
  }
  if (requested === 'dist' || (requested === undefined && hasDist)) {
    if (!hasDist) throw new Error('--source=dist: there is no dist/cjs/index.js; run `npm run build` first');
    const builtAt = statSync(join(dist, 'index.js')).mtime;
    const snapshot = join(root, '.tmp', 'bench-spark', 'dist-cjs');
    rmSync(snapshot, { recursive: true, force: true });
    mkdirSync(dirname(snapshot), { recursive: true });
    cpSync(dist, snapshot, { recursive: true });
    const stale = newest(join(root, 'lib')) > builtAt.getTime();
    return {
      source: 'dist',
      entry: join(snapshot, 'index.js'),
      nodeArgs: [],
      description: `dist/cjs, the package build (\`npm run build\`, built ${builtAt.toISOString()}), snapshotted before the first measurement`,
      hash: hashOf(snapshot, '.js'),
      ...(stale
        ? {
            warning:
              'lib/ has changes newer than dist/cjs: measured the build as it was (run `npm run build` to measure them)',
          }
        : {}),
    };
  }
  const entry = compileLib(root);
  return {
    source: 'build',
    entry,
    nodeArgs: [],
    description:
      requested === 'build'
        ? 'lib/ compiled by tsc as the package build does (CommonJS, .tmp/bench-lib)'
        : 'lib/ compiled by tsc as the package build does (CommonJS, .tmp/bench-lib): there was no dist/cjs build',
    hash: hashOf(dirname(entry), '.js'),
  };
}

/** Compiles lib/ with the package's own build settings (CommonJS) when lib/ changed since. */
function compileLib(root: string): string {
  const out = join(root, '.tmp', 'bench-lib');
  const entry = join(out, 'index.js');
  if (!existsSync(entry) || statSync(entry).mtimeMs < newest(join(root, 'lib'))) {
    process.stderr.write(
      'bench: compiling lib/ with tsc (tsconfig.build.json, CommonJS) into .tmp/bench-lib…\n',
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['-p', join(root, 'tsconfig.build.json'), '--outDir', out, '--module', 'CommonJS'];
    const flags = ['--moduleResolution', 'Node10', '--declaration', 'false', '--declarationMap', 'false'];
    try {
      execFileSync(process.execPath, [tsc, ...args, ...flags, '--sourceMap', 'false'], { stdio: 'inherit' });
    } catch (error: unknown) {
      // Type errors still emit JavaScript: measure it, but say so.
      if (!existsSync(entry)) throw error;
      process.stderr.write('bench: tsc reported errors in lib/; measuring what it emitted\n');
    }
  }
  return entry;
}

function hashOf(dir: string, ext: string): string {
  const hash = createHash('sha256');
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(ext)) hash.update(relative(dir, path)).update(readFileSync(path));
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 12);
}
