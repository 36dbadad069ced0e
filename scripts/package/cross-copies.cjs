#!/usr/bin/env node
// Run by scripts/check-package.cjs inside an app where the packed tarball is installed: loads
// every entry of spark-channel through `require` and through `import` in this one process (in
// the order given by argv[2], `require-first` or `import-first`), then crosses values made by one
// loader into the other's functions. Under Node both loaders must reach one copy of the library
// (the `node` condition's wrapper re-exports the CommonJS build), so errors, tokens, channels,
// wrappers and dispatchers from either side are recognised by the other. Exits non-zero on the
// first value refused.
'use strict';
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { AsyncSubject, lastValueFrom } = require('rxjs');

const subpaths = [
  '',
  '/angular',
  '/worker',
  '/web-worker',
  '/nats',
  '/nats/jetstream',
  '/testing',
  '/otel',
  '/inspect',
  '/angular/testing',
];
const order = process.argv[2];
if (order !== 'require-first' && order !== 'import-first') {
  throw new Error('usage: cross-copies.cjs require-first|import-first');
}
const quiet = { error() {}, warn() {} };

function check(ok, what) {
  if (!ok) throw new Error(`dual package (${order}): ${what}`);
}

/** Every entry, loaded both ways: `{ viaRequire, viaImport }`, each keyed by subpath. */
async function load() {
  const viaRequire = {};
  const viaImport = {};
  for (const subpath of subpaths) {
    const id = `spark-channel${subpath}`;
    if (order === 'require-first') viaRequire[subpath] = require(id);
    viaImport[subpath] = await import(id);
    if (order === 'import-first') viaRequire[subpath] = require(id);
  }
  return { viaRequire, viaImport };
}

/** The same names both ways, each the same object: there is one copy, not two that look alike. */
function sameExports(viaRequire, viaImport) {
  let names = 0;
  for (const subpath of subpaths) {
    const required = Object.keys(viaRequire[subpath]).sort();
    const imported = Object.keys(viaImport[subpath]).sort();
    check(
      required.join() === imported.join(),
      `spark-channel${subpath} exports ${required} by require, ${imported} by import`,
    );
    for (const name of required) {
      check(
        viaRequire[subpath][name] === viaImport[subpath][name],
        `spark-channel${subpath}: two copies of ${name}`,
      );
    }
    names += required.length;
  }
  return names;
}

/** Values made through `a`'s loader, used by `b`'s functions. */
async function cross(a, b, from, to) {
  const A = a[''];
  const B = b[''];
  const where = `${from} → ${to}`;

  // Errors: one made by hand, one the library raised (a request that timed out).
  const made = new A.SparkChannelError('TIMEOUT', `made through ${from}`);
  check(
    B.isSparkChannelError(made, 'TIMEOUT') && made instanceof B.SparkChannelError,
    `${where}: error refused`,
  );
  const hanging = A.spawnModule(
    { handleRequest: () => new Promise(() => {}), handleCommand() {} },
    { logger: quiet },
  );
  const timeout = await hanging.dispatcher.request(1, { timeoutMs: 10 }).catch((error) => error);
  hanging.server.stop();
  check(
    B.isSparkChannelError(timeout, 'TIMEOUT'),
    `${where}: a library TIMEOUT is not recognised: ${timeout}`,
  );

  // A channel and a token from one side; the server and the dispatcher from the other.
  const token = new A.SparkChannelCancellationToken();
  const channel = new A.ModuleChannel(8);
  const server = B.runModuleServer({ handleRequest: (n) => n * 2, handleCommand() {} }, channel, {
    token,
    logger: quiet,
  });
  const dispatcher = new B.SparkGenericModuleDispatcher(channel);
  check((await dispatcher.request(21)) === 42, `${where}: request through a foreign channel`);

  // A CallbackWrapper from one side, in a message built by the other, on the first side's channel.
  const reply = new AsyncSubject();
  await channel.send(B.SparkGenericModuleMessage.Request(new A.CallbackWrapper(4, reply)));
  const result = await lastValueFrom(reply);
  check(result.ok === true && result.value === 8, `${where}: wrapped request: ${JSON.stringify(result)}`);
  token.cancel();
  await server.stopped;
  check(!server.isRunning, `${where}: cancelling the foreign token did not stop the server`);

  // Typed modules: a router from one side spawned by the other, re-wrapped in the first side's
  // TypedDispatcher (which checks its argument with instanceof), shut down with a foreign token.
  const typed = B.spawnTypedModule(
    A.createRouter({ Double: { request: ({ n }) => n * 2 }, Log: { command() {} } }),
    { logger: quiet },
  );
  const rewrapped = new A.TypedDispatcher(typed.dispatcher.raw);
  check((await rewrapped.request({ type: 'Double', n: 5 })) === 10, `${where}: typed request`);

  // An event bus from one side delivering to the other side's dispatcher under a drop policy
  // (which only a real dispatcher supports: checked with instanceof).
  const seen = [];
  const listener = B.spawnModule({ handleRequest() {}, handleCommand: (event) => void seen.push(event.n) });
  const bus = A.createEventBus();
  bus.subscribe('Tick', listener.dispatcher, undefined, { overflow: 'drop-oldest' });
  await bus.publish({ type: 'Tick', n: 1 });
  await listener.dispatcher.shutdown(new A.SparkChannelCancellationToken());
  check(seen.join() === '1', `${where}: event bus delivery: ${seen}`);
  bus.close();
  await typed.dispatcher.shutdown(new A.SparkChannelCancellationToken());
  check(!typed.server.isRunning, `${where}: shutdown with a foreign token`);

  // spark-channel/testing: a probe from one side, driven through the other side's dispatcher type.
  const probe = a['/testing'].createProbe({ timeoutMs: 1000 });
  const answer = new B.TypedDispatcher(probe.dispatcher).request({ type: 'Ping' });
  (await probe.expectRequest({ type: 'Ping' })).reply('pong');
  check((await answer) === 'pong', `${where}: probe answer`);
  const failure = await probe.expectCommand({ type: 'Nope' }, { waitMs: 5 }).catch((error) => error);
  check(failure instanceof b['/testing'].ProbeAssertionError, `${where}: ProbeAssertionError refused`);
  probe.stop();

  // spark-channel/angular: a module provided through one side, its dispatcher used by the other.
  const { createEnvironmentInjector, Injector, InjectionToken } = await import('@angular/core');
  const MATH = new InjectionToken('math');
  const injector = createEnvironmentInjector(
    [a['/angular'].provideModule(MATH, () => ({ handleRequest: (n) => n + 1, handleCommand() {} }))],
    Injector.create({ providers: [] }),
  );
  const math = injector.get(MATH);
  check(
    math.dispatcher instanceof B.SparkGenericModuleDispatcher,
    `${where}: angular module's dispatcher refused`,
  );
  const typedMath = new B.TypedDispatcher(math.dispatcher);
  check((await typedMath.request(41)) === 42, `${where}: angular module request`);
  injector.destroy();
  check(!math.server.isRunning, `${where}: angular module still running after destroy`);
}

async function main() {
  const { viaRequire, viaImport } = await load();
  const names = sameExports(viaRequire, viaImport);
  await cross(viaRequire, viaImport, 'require', 'import');
  await cross(viaImport, viaRequire, 'import', 'require');

  // The control: the real ESM build, loaded by file path as a bundler would inline it, is a
  // second copy (its classes are not ours). This is the hazard the `node` condition avoids, and
  // it shows the checks above would see two copies if Node loaded it. Its export names must
  // still match the wrapper's, entry by entry.
  const dist = join(dirname(require.resolve('spark-channel/package.json')), 'dist', 'esm');
  for (const subpath of subpaths) {
    const build = await import(pathToFileURL(join(dist, subpath, 'index.js')).href);
    const expected = Object.keys(build).sort().join();
    check(
      Object.keys(viaImport[subpath]).sort().join() === expected,
      `spark-channel${subpath}: the wrapper's names differ from dist/esm`,
    );
    if (subpath === '')
      check(
        build.SparkChannelError !== viaImport[''].SparkChannelError,
        'control: dist/esm is the same copy',
      );
  }
  console.log(
    `dual package (${order}): ${names} exports of ${subpaths.length} entries are one copy under require and import;` +
      ' errors, tokens, channels, CallbackWrapper, typed dispatchers, event bus, probe and Angular module crossed both ways',
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
