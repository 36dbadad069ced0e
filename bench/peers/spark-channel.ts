/**
 * spark-channel itself, three ways: default options; a timeout and an AbortSignal on every
 * request; a bounded channel. Wired as its README shows: `spawnModule(handler, options)`, then
 * `dispatcher.request(...)` / `dispatcher.sendCommand(...)`.
 *
 * What is measured is lib/ as `tsc` compiles it for the package (CommonJS, into .tmp/bench-lib,
 * recompiled whenever lib/ changes), not tsx's on-the-fly transform: tsx keeps function names
 * with an `Object.defineProperty` per named closure created and reads every imported binding
 * through a getter, which made the closure-heavy request path look up to twice as slow as the
 * published code. `--source=tsx` measures that transform anyway (`import '../../lib/index.js'`),
 * `--source=dist` the existing build in dist/cjs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import * as tsxSource from '../../lib/index.js';
import type { SparkGenericModuleHandler, SpawnModuleOptions } from '../../lib/index.js';
import { newest } from '../newest.js';
import { Workload } from '../workload.js';
import type { Bus, Guarantees, Peer } from './peer.js';

/** Where spark-channel is loaded from. */
export type SparkSource = 'build' | 'tsx' | 'dist';
export const SPARK_SOURCE: SparkSource =
  (process.argv.find((a) => a.startsWith('--source='))?.slice('--source='.length) as
    SparkSource | undefined) ?? (process.argv.includes('--dist') ? 'dist' : 'build');

const root = join(__dirname, '..', '..');

/** Compiles lib/ with the package's own build settings (CommonJS) when lib/ changed since. */
function compiled(): string {
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

function load(): typeof tsxSource {
  if (SPARK_SOURCE === 'tsx') return tsxSource;
  const entry = SPARK_SOURCE === 'dist' ? join(root, 'dist', 'cjs', 'index.js') : compiled();
  return createRequire(__filename)(entry) as typeof tsxSource;
}

const { spawnModule } = load();

const guarantees: Guarantees = {
  ordering: 'yes: one at a time, FIFO (or keyed / `concurrency`)',
  typedReplies: 'yes: typed per request, guards, Result',
  backpressure: 'yes with `capacity`: senders wait FIFO, nothing dropped',
  cancellation:
    'yes: `timeoutMs`, `signal`, unsubscribe; a queued request never starts, a running one sees `context.signal`',
  isolation: 'yes: throws, rejections, observable errors fail that message only; `errors$`',
};

/** Long enough never to fire: the bench measures the cost of carrying a timeout and a signal. */
const TIMEOUT_MS = 60_000;

function spark(
  id: string,
  label: string,
  wiring: string,
  options: SpawnModuleOptions,
  perRequest: 'none' | 'timeout+signal',
): Peer {
  return {
    id,
    label,
    wiring,
    mailbox: true,
    commands: perRequest === 'none', // sendCommand takes no timeout or signal: same code as the default
    ours: true,
    guarantees,
    create(handle, next): Bus {
      const handler: SparkGenericModuleHandler<number, number> = {
        handleRequest: handle,
        handleCommand: handle as (m: number) => void,
      };
      const { dispatcher } = spawnModule<number, number>(handler, options);
      // One signal shared by every request, as a component's or a server's lifetime signal is.
      const controller = new AbortController();
      const requestOptions = { timeoutMs: TIMEOUT_MS, signal: controller.signal };
      return {
        request:
          perRequest === 'none' ? (m) => dispatcher.request(m) : (m) => dispatcher.request(m, requestOptions),
        command: (m) => void dispatcher.sendCommand(m),
        drain: async () => {
          const m = next(); // in band: handled after every command sent before it
          Workload.check(m, await dispatcher.request(m));
        },
        close: () => dispatcher.shutdown(),
      };
    },
  };
}

export const sparkDefault = spark(
  'spark-channel',
  'spark-channel',
  'spawnModule(handler); dispatcher.request(m) / sendCommand(m)',
  {},
  'none',
);

export const sparkTimeoutSignal = spark(
  'spark-channel-timeout-signal',
  'spark-channel +timeout+signal',
  'as the default, with { timeoutMs: 60000, signal } on every request (one shared AbortSignal)',
  {},
  'timeout+signal',
);

export const sparkBounded = spark(
  'spark-channel-bounded',
  'spark-channel capacity 1024',
  'spawnModule(handler, { capacity: 1024 }): senders past 1024 queued messages wait for room',
  { capacity: 1024 },
  'none',
);
