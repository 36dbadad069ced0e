#!/usr/bin/env node
// The published declarations, as consumers compile them: installs the packed tarball with npm into
// a fresh temporary project, beside the lowest version of every peer dependency and each
// TypeScript version we state (docs/packaging.md), runs cross-copies.cjs there (the lowest peers
// at run time), then compiles consumer.ts.txt (every entry,
// the main generics, `@ts-expect-error` on calls that must fail) with skipLibCheck off under
// node10, node16, nodenext and bundler resolution. node16/nodenext compile it both as .mts and
// .cts, so the `import` and the `require` types of every entry are read.
//
// Usage: node scripts/package/consumer-types.cjs <tarball>   (scripts/check-package.cjs calls it)
'use strict';
const { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { basename, join } = require('node:path');
const { tmpdir } = require('node:os');
const { execFile, execFileSync } = require('node:child_process');
const { availableParallelism } = require('node:os');
const { promisify } = require('node:util');

/**
 * The TypeScript versions a consumer may use (docs/packaging.md): 5.4, the first with `NoInfer`
 * (our signatures use it), and the newest below 7 (the newest ts-jest accepts); the project
 * itself builds with the 5.9 between them. (An Angular app builds with Angular's compiler, which
 * needs TypeScript 5.9+; plain tsc 5.4 reads Angular 21's declarations, so both check the
 * angular entry's.)
 */
const typescripts = ['5.4.5', '6.0.3'];

/**
 * The lowest version of each peer range in package.json: what the declarations must compile
 * against. @types/node is not a peer: the project's own version (an older 20.x fails to compile
 * under TypeScript 6 by itself, in https.d.ts).
 */
const peers = {
  rxjs: '7.8.0',
  '@angular/core': '21.0.0',
  '@nats-io/transport-node': '3.0.0',
  '@nats-io/jetstream': '3.0.0',
  piscina: '5.0.0',
  '@opentelemetry/api': '1.3.0',
  '@types/node': require('../../node_modules/@types/node/package.json').version,
};

/**
 * `angular`: the files that import spark-channel/angular. @angular/core is ESM only: its own
 * declarations do not resolve under node10 (TS2307), and under node16 a CommonJS file cannot
 * import it (TS1479); nodenext models Node's require(esm) (TypeScript 5.8+), so there a .cts may.
 */
const modes = [
  { name: 'node10', module: 'commonjs', resolution: 'node10', exts: ['ts'], angular: [] },
  { name: 'node16', module: 'node16', resolution: 'node16', exts: ['mts', 'cts'], angular: ['mts'] },
  {
    name: 'nodenext',
    module: 'nodenext',
    resolution: 'nodenext',
    exts: ['mts', 'cts'],
    angular: ['mts', 'cts'],
  },
  { name: 'bundler', module: 'esnext', resolution: 'bundler', exts: ['ts'], angular: ['ts'] },
];

const angularImports = [
  "import { InjectionToken } from '@angular/core';",
  "import { type InjectedModule, injectModule, ModuleService, provideModule } from 'spark-channel/angular';",
  '',
  "const MATH = new InjectionToken<InjectedModule<number, number>>('math');",
  '// M and R come from the factory, checked against the token.',
  'export const provider = provideModule(MATH, () => ({ handleRequest: (n: number) => n * 2, handleCommand: () => undefined }));',
  'export const services: [typeof injectModule, typeof ModuleService] = [injectModule, ModuleService];',
  '// @ts-expect-error the token promises numbers, the factory answers strings',
  'provideModule(MATH, () => ({ handleRequest: (n: number) => String(n), handleCommand: () => undefined }));',
].join('\n');

async function main(tarball) {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'spark-channel-consumer-'));
  try {
    copyFileSync(tarball, join(work, basename(tarball)));
    const dependencies = { 'spark-channel': `file:./${basename(tarball)}`, ...peers };
    for (const version of typescripts) dependencies[`typescript-${version}`] = `npm:typescript@${version}`;
    writeFileSync(
      join(work, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, dependencies }, null, 2) + '\n',
    );
    // --prefer-offline: npm's own cache answers after the first run; a clean machine downloads once.
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
      cwd: work,
      stdio: 'inherit',
    });
    const installed = Date.now();
    console.log(
      `consumer project: npm installed the tarball, ${Object.entries(peers)
        .map(([name, version]) => `${name}@${version}`)
        .join(', ')} and TypeScript ${typescripts.join(', ')} in ${seconds(installed - started)}`,
    );

    // At run time too, at the bottom of every peer range: every entry loads both ways and the
    // values cross (root, testing and Angular 21.0 exercised).
    copyFileSync(join(__dirname, 'cross-copies.cjs'), join(work, 'cross-copies.cjs'));
    execFileSync(process.execPath, ['cross-copies.cjs', 'import-first'], { cwd: work, stdio: 'inherit' });

    const template = readFileSync(join(__dirname, 'consumer.ts.txt'), 'utf8');
    const jobs = [];
    for (const version of typescripts) {
      for (const mode of modes) {
        const base = `consumer-${version}-${mode.name}`;
        const files = mode.exts.map((ext) => `${base}.${ext}`);
        for (const ext of mode.exts) {
          // TypeScript models require(esm) under nodenext from 5.8 on: before, a .cts cannot import Angular.
          const angular = mode.angular.includes(ext) && (ext !== 'cts' || atLeast(version, 5, 8));
          writeFileSync(
            join(work, `${base}.${ext}`),
            template.replace('/*ANGULAR*/', angular ? angularImports : ''),
          );
        }
        jobs.push({ version, mode, files });
      }
    }
    // Two at a time: each compile is single-threaded, and the package check is not alone in CI.
    const pool = Math.min(2, availableParallelism());
    const queue = [...jobs];
    await Promise.all(
      Array.from({ length: pool }, async () => {
        for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
          job.declarations = await compile(work, job);
        }
      }),
    );
    for (const version of typescripts) {
      const read = jobs
        .filter((job) => job.version === version)
        .map((job) => `${job.mode.name} ${job.declarations}`);
      console.log(
        `consumer types: TypeScript ${version}: every entry compiles under ${modes.map((m) => m.name).join(', ')}` +
          ` (spark-channel .d.ts files checked: ${read.join(', ')})` +
          ' (spark-channel/angular where @angular/core itself resolves: from ESM under node16, nodenext and bundler, from CommonJS under nodenext on TypeScript 5.8+)',
      );
    }
    console.log(`consumer types: ${jobs.length} compilations passed in ${seconds(Date.now() - installed)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const run = promisify(execFile);
const atLeast = (version, major, minor) => {
  const [x, y] = version.split('.').map(Number);
  return x > major || (x === major && y >= minor);
};
const seconds = (ms) => `${(ms / 1000).toFixed(0)} s`;

/** Compiles one job in a child process (this file with `--compile`), so two run at once. */
async function compile(work, { version, mode, files }) {
  try {
    const { stdout } = await run(process.execPath, [
      join(__dirname, 'consumer-types.cjs'),
      '--compile',
      work,
      version,
      mode.name,
      ...files,
    ]);
    return Number(stdout.trim());
  } catch (error) {
    process.stdout.write(error.stdout ?? '');
    throw new Error(
      `consumer types: TypeScript ${version}, ${mode.name} resolution (${files.join(', ')}) failed`,
    );
  }
}

/**
 * The child: what `tsc --noEmit --strict --exactOptionalPropertyTypes --skipLibCheck false`
 * reports for the consumer's files and for every declaration file of spark-channel, through the
 * TypeScript API. Other packages' declarations (@types/node, Angular, rxjs) are parsed and used
 * but not themselves checked: their errors are not ours, and checking them was most of the time.
 * Prints the number of spark-channel declaration files checked; exits 1 on any diagnostic.
 */
function compileHere(work, version, modeName, files) {
  const ts = require(join(work, 'node_modules', `typescript-${version}`));
  const mode = modes.find(({ name }) => name === modeName);
  const { options, errors } = ts.convertCompilerOptionsFromJson(
    {
      noEmit: true,
      strict: true,
      exactOptionalPropertyTypes: true,
      skipLibCheck: false,
      module: mode.module,
      moduleResolution: mode.resolution,
      target: 'ES2022',
      lib: ['ES2022', 'DOM'],
      types: ['node'],
      // TypeScript 6 deprecates node10 resolution (still supported, with this flag, until 7).
      ...(mode.resolution === 'node10' && atLeast(version, 6, 0) ? { ignoreDeprecations: '6.0' } : {}),
    },
    work,
  );
  const program = ts.createProgram({ rootNames: files.map((file) => join(work, file)), options });
  const ours = program
    .getSourceFiles()
    .filter(
      ({ fileName }) =>
        fileName.includes('/node_modules/spark-channel/') || !fileName.includes('/node_modules/'),
    );
  const diagnostics = [
    ...errors,
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...ours.flatMap((file) => [
      ...program.getSyntacticDiagnostics(file),
      ...program.getSemanticDiagnostics(file),
    ]),
  ];
  if (diagnostics.length > 0) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => work, getNewLine: () => '\n' };
    process.stdout.write(ts.formatDiagnostics(diagnostics, host));
    process.exit(1);
  }
  const declarations = ours.filter(({ fileName }) =>
    fileName.includes('/node_modules/spark-channel/'),
  ).length;
  if (declarations === 0) throw new Error(`${files.join(', ')}: no spark-channel declaration was read`);
  process.stdout.write(`${declarations}\n`);
}

if (require.main === module && process.argv[2] === '--compile') {
  const [work, version, modeName, ...files] = process.argv.slice(3);
  compileHere(work, version, modeName, files);
} else if (require.main === module) {
  const tarball = process.argv[2];
  if (tarball === undefined) {
    console.error('usage: node scripts/package/consumer-types.cjs <tarball>');
    process.exit(2);
  }
  main(tarball).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

module.exports = { main, typescripts, peers };
