#!/usr/bin/env node
// Checks the package a user would install, not the work tree: packs the tarball, lints it with
// publint and @arethetypeswrong/cli (every resolution mode, node10 included), then unpacks it
// beside a copy of rxjs and runs a request round trip per entry from a plain Node ESM script and
// from a CommonJS require; loads both formats in one process and crosses values between them
// (scripts/package/cross-copies.cjs); and compiles a consumer project with each supported
// TypeScript version under every resolution mode (scripts/package/consumer-types.cjs).
// docs/packaging.md says why the package is laid out as it is.
'use strict';
const {
  copyFileSync,
  mkdtempSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
  symlinkSync,
  rmSync,
} = require('node:fs');
const { dirname, join } = require('node:path');
const { tmpdir } = require('node:os');
const { execFileSync } = require('node:child_process');

const root = join(__dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args, cwd = root) => execFileSync(cmd, args, { cwd, stdio: 'inherit' });

const work = mkdtempSync(join(tmpdir(), 'spark-channel-pack-'));
try {
  const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root })
    .toString()
    .trim()
    .split('\n')
    .pop();
  const tarball = join(work, packed);
  console.log(`packed ${packed}`);

  run(bin('publint'), ['run', '--strict', tarball]);
  // No --profile: node10, node16 (from CommonJS and from ESM) and bundler, every entry.
  run(bin('attw'), [tarball, '--format', 'table-flipped']);

  const app = join(work, 'app');
  const installed = join(app, 'node_modules', 'spark-channel');
  mkdirSync(installed, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  symlinkSync(join(root, 'node_modules', 'rxjs'), join(app, 'node_modules', 'rxjs'), 'dir');

  /**
   * Writes `body(format)` as an ESM script and a CommonJS one, each loading `imports` ([module,
   * names] pairs) its own way, and runs both in the unpacked app. `cjs: false` skips the
   * CommonJS run (saying `why`).
   */
  const trip = (name, imports, body, { cjs = true, why = '' } = {}) => {
    const esm = imports.map(([module, names]) => `import { ${names} } from '${module}';`).join('\n');
    const req = imports.map(([module, names]) => `const { ${names} } = require('${module}');`).join('\n');
    writeFileSync(join(app, `${name}-esm.mjs`), `${esm}\n${body('ESM')}`);
    writeFileSync(join(app, `${name}-cjs.cjs`), `${req}\n${body('CommonJS')}`);
    run(process.execPath, [`${name}-esm.mjs`], app);
    if (cjs) run(process.execPath, [`${name}-cjs.cjs`], app);
    else console.log(`CommonJS ${name}: skipped (${why})`);
  };

  trip(
    'root',
    [['spark-channel', 'spawnModule, SparkChannelError']],
    (format) => `
const { dispatcher, server } = spawnModule({
  handleRequest: (m) => m * 2,
  handleCommand: () => { throw new Error('no commands'); },
}, { logger: { error() {} } });
const errors = [];
server.errors$.subscribe((e) => errors.push(e.kind));
Promise.all([dispatcher.request(21), dispatcher.sendCommand(1)])
  .then(async ([answer]) => {
    await dispatcher.shutdown();
    if (answer !== 42 || errors.join() !== 'command' || server.isRunning) throw new Error('round trip failed');
    if (!(new SparkChannelError('TIMEOUT', 'x') instanceof Error)) throw new Error('bad error class');
    console.log('${format} import ok: 21 * 2 =', answer);
  })
  .catch((error) => { console.error(error); process.exit(1); });
`,
  );

  // The root, testing, inspect and web-worker entries must work without the optional peers (a Web
  // Worker bundle has none): nothing reachable from
  // them may import @angular/* or @opentelemetry/*.
  for (const entry of [
    'dist/esm/index.js',
    'dist/cjs/index.js',
    'dist/esm/testing/index.js',
    'dist/cjs/testing/index.js',
    'dist/esm/inspect/index.js',
    'dist/cjs/inspect/index.js',
    'dist/esm/web-worker/index.js',
    'dist/cjs/web-worker/index.js',
  ]) {
    const seen = new Set();
    const visit = (file) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      const peer = /['"](@angular|@opentelemetry)\//.exec(source);
      if (peer !== null) throw new Error(`${entry} reaches ${peer[1]}, through ${file}`);
      for (const [, spec] of source.matchAll(
        /(?:from\s*|require\(\s*|import\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g,
      )) {
        visit(join(dirname(file), spec));
      }
    };
    visit(join(installed, entry));
    console.log(`${entry}: ${seen.size} files, none imports @angular/* or @opentelemetry/*`);
  }

  // spark-channel/nats must not load @nats-io/jetstream: only spark-channel/nats/jetstream does.
  for (const entry of ['dist/esm/nats/index.js', 'dist/cjs/nats/index.js']) {
    const seen = new Set();
    const visit = (file) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      if (/['"]@nats-io\/jetstream['"]/.test(source))
        throw new Error(`${entry} reaches @nats-io/jetstream, through ${file}`);
      for (const [, spec] of source.matchAll(
        /(?:from\s*|require\(\s*|import\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g,
      )) {
        visit(join(dirname(file), spec));
      }
    };
    visit(join(installed, entry));
    console.log(`${entry}: ${seen.size} files, none imports @nats-io/jetstream`);
  }

  // spark-channel/angular: a module provided in Angular's real injector, answered, then stopped by
  // the injector's destroy(). Angular is ESM only: from CommonJS this needs Node's require(esm).
  symlinkSync(join(root, 'node_modules', '@angular'), join(app, 'node_modules', '@angular'), 'dir');
  trip(
    'angular',
    [
      ['@angular/core', 'createEnvironmentInjector, Injector, InjectionToken'],
      ['spark-channel/angular', 'injectModule, ModuleService, provideModule'],
    ],
    (format) => `
const TOKEN = new InjectionToken('math');
const root = Injector.create({ providers: [] });
const injector = createEnvironmentInjector(
  [provideModule(TOKEN, () => ({ handleRequest: (m) => m * 2, handleCommand() {} }))],
  root,
);
const math = injector.get(TOKEN);
math.dispatcher.request(21)
  .then((answer) => {
    injector.destroy();
    if (answer !== 42 || math.server.isRunning || math.isRunning() || math.stats().handled !== 1)
      throw new Error('angular round trip failed');
    if (typeof ModuleService !== 'function' || typeof injectModule !== 'function') throw new Error('missing exports');
    console.log('${format} spark-channel/angular ok: provided, answered, stopped on destroy');
  })
  .catch((error) => { console.error(error); process.exit(1); });
`,
    { cjs: process.features.require_module === true, why: 'this Node has no require(esm) for @angular/core' },
  );

  // spark-channel/angular/testing: a probe provided in place of a module, answering for it, and
  // stopped by the injector's destroy().
  trip(
    'angular-testing',
    [
      ['@angular/core', 'createEnvironmentInjector, Injector, InjectionToken'],
      ['spark-channel/testing', 'createProbe'],
      ['spark-channel/angular/testing', 'provideModuleProbe'],
    ],
    (format) => `
const TOKEN = new InjectionToken('math');
const probe = createProbe();
probe.replyToRequests(undefined, (m) => m * 2);
const injector = createEnvironmentInjector([provideModuleProbe(TOKEN, probe)], Injector.create({ providers: [] }));
injector.get(TOKEN).dispatcher.request(21)
  .then((answer) => {
    injector.destroy();
    if (answer !== 42 || probe.server.isRunning) throw new Error('angular/testing round trip failed');
    console.log('${format} spark-channel/angular/testing ok: probe provided, answered, stopped on destroy');
  })
  .catch((error) => { console.error(error); process.exit(1); });
`,
    { cjs: process.features.require_module === true, why: 'this Node has no require(esm) for @angular/core' },
  );

  // spark-channel/otel: a traced request recorded by the SDK's in-memory exporter.
  symlinkSync(
    join(root, 'node_modules', '@opentelemetry'),
    join(app, 'node_modules', '@opentelemetry'),
    'dir',
  );
  trip(
    'otel',
    [
      ['@opentelemetry/sdk-trace-base', 'BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor'],
      ['spark-channel', 'spawnModule'],
      ['spark-channel/otel', 'openTelemetry'],
    ],
    (format) => `
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('check');
const { dispatcher, server } = spawnModule(
  { handleRequest: (m) => m.n * 2, handleCommand() {} },
  { instrument: openTelemetry({ name: 'check', tracer }) },
);
dispatcher.request({ type: 'Double', n: 21 })
  .then((answer) => {
    server.stop();
    const [span] = exporter.getFinishedSpans();
    if (answer !== 42 || span?.name !== 'check request Double' || span.attributes['spark_channel.outcome'] !== 'ok')
      throw new Error('otel round trip failed: ' + JSON.stringify({ answer, name: span?.name }));
    console.log('${format} spark-channel/otel ok: span', JSON.stringify(span.name));
  })
  .catch((error) => { console.error(error); process.exit(1); });
`,
  );

  // spark-channel/testing: a probe handed to "code under test", answered by the test.
  trip(
    'testing',
    [['spark-channel/testing', 'createProbe, ProbeAssertionError']],
    (format) => `
const probe = createProbe({ timeoutMs: 1000 });
const answer = probe.dispatcher.request({ type: 'Double', n: 21 });
probe
  .expectRequest({ type: 'Double' })
  .then((request) => {
    request.reply(request.message.n * 2);
    return answer;
  })
  .then(async (value) => {
    probe.expectNoMessage();
    const failure = await probe.expectCommand({ type: 'Nope' }, { waitMs: 5 }).catch((error) => error);
    probe.stop();
    if (value !== 42 || !(failure instanceof ProbeAssertionError) || !(failure instanceof Error))
      throw new Error('testing round trip failed: ' + value);
    console.log('${format} spark-channel/testing ok: probe answered 21 * 2 =', value);
  })
  .catch((error) => { console.error(error); process.exit(1); });
`,
  );

  // spark-channel/inspect: a watched module's request seen in a served snapshot, over HTTP.
  trip(
    'inspect',
    [
      ['spark-channel', 'spawnModule'],
      ['spark-channel/inspect', 'createInspector'],
    ],
    (format) => `
const inspector = createInspector();
const orders = spawnModule({ handleRequest: (m) => m.n * 2, handleCommand() {} });
inspector.watch('orders', orders);
orders.dispatcher.request({ type: 'Double', n: 21 })
  .then(async (answer) => {
    const server = await inspector.serve({ port: 0 });
    const snapshot = await (await fetch(server.url + 'snapshot.json')).json();
    const page = await (await fetch(server.url)).text();
    await server.close();
    inspector.close();
    orders.server.stop();
    const [card] = snapshot.modules;
    const [entry] = snapshot.timeline;
    if (answer !== 42 || card?.stats.handled !== 1 || entry?.outcome !== 'ok' || !page.includes('renderInspector'))
      throw new Error('inspect round trip failed: ' + JSON.stringify(snapshot));
    console.log('${format} spark-channel/inspect ok: served', server.url, 'with', card.name, 'handled', card.stats.handled);
  })
  .catch((error) => { console.error(error); process.exit(1); });
`,
  );

  // The optional peers of spark-channel/nats and spark-channel/worker (the cross-copies check
  // below loads every entry).
  symlinkSync(join(root, 'node_modules', '@nats-io'), join(app, 'node_modules', '@nats-io'), 'dir');
  symlinkSync(join(root, 'node_modules', 'piscina'), join(app, 'node_modules', 'piscina'), 'dir');
  // spark-channel/worker: a request answered in a real worker thread (the bootstrap written to a
  // private directory), a built-in error coming back as itself, then the threads exiting.
  writeFileSync(
    join(app, 'double.worker.mjs'),
    `export default {
  handleRequest(n) {
    if (n < 0) throw new AggregateError([new RangeError('negative')], 'bad input');
    return n * 2;
  },
  handleCommand() {},
};
`,
  );
  trip(
    'worker',
    [['spark-channel/worker', 'spawnWorkerModule']],
    (format) => `
const { dispatcher, closed } = spawnWorkerModule(process.cwd() + '/double.worker.mjs');
Promise.all([dispatcher.request(21), dispatcher.request(-1).catch((error) => error)])
  .then(async ([answer, failure]) => {
    await dispatcher.shutdown();
    await closed;
    if (answer !== 42 || !(failure instanceof AggregateError) || !(failure.errors[0] instanceof RangeError))
      throw new Error('worker round trip failed: ' + answer + ' ' + failure);
    console.log('${format} spark-channel/worker ok: a thread answered 21 * 2 =', answer, 'and an AggregateError came back as one');
  })
  .catch((error) => { console.error(error); process.exit(1); });
`,
  );

  // spark-channel/web-worker: Node has no Web Worker, so both sides of the installed entry talk over
  // a MessageChannel (structured clone, as a page and its worker): an answer, and an error that
  // keeps its class and code.
  trip(
    'web-worker',
    [['spark-channel/web-worker', 'serveInWorker, spawnWebWorkerModule']],
    (format) => `
const factory = () => {
  const { port1, port2 } = new MessageChannel();
  serveInWorker({
    handleRequest(n) {
      if (n < 0) throw Object.assign(new RangeError('negative'), { code: 'E_NEGATIVE' });
      return n * 2;
    },
  }, { scope: port2 });
  port1.start();
  return { postMessage: (m) => port1.postMessage(m), addEventListener: (t, l) => port1.addEventListener(t, l), terminate: () => port1.close() };
};
const { dispatcher, closed } = spawnWebWorkerModule(factory);
Promise.all([dispatcher.request(21), dispatcher.request(-1).catch((error) => error)])
  .then(async ([answer, failure]) => {
    await dispatcher.shutdown();
    await closed;
    if (answer !== 42 || !(failure instanceof RangeError) || failure.code !== 'E_NEGATIVE')
      throw new Error('web-worker round trip failed: ' + answer + ' ' + failure);
    console.log('${format} spark-channel/web-worker ok: 21 * 2 =', answer, 'and a RangeError came back with its code');
  })
  .catch((error) => { console.error(error); process.exit(1); });
`,
  );

  // One process, both loaders: the same copy of every entry, and values made by one accepted by
  // the other, whichever loader comes first.
  copyFileSync(join(__dirname, 'package', 'cross-copies.cjs'), join(app, 'cross-copies.cjs'));
  run(process.execPath, ['cross-copies.cjs', 'require-first'], app);
  run(process.execPath, ['cross-copies.cjs', 'import-first'], app);

  // The published declarations, as consumers on each supported TypeScript compile them.
  run(process.execPath, [join(__dirname, 'package', 'consumer-types.cjs'), tarball]);
} finally {
  rmSync(work, { recursive: true, force: true });
}
