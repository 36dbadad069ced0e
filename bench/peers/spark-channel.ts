/**
 * spark-channel itself, three ways: default options; a timeout and an AbortSignal on every
 * request; a bounded channel. Wired as its README shows: `spawnModule(handler, options)`, then
 * `dispatcher.request(...)` / `dispatcher.sendCommand(...)`.
 *
 * Which build is loaded is the bench parent's choice (bench/build.ts), handed to each child
 * process in BENCH_SPARK_ENTRY: by default a snapshot of the package build, dist/cjs, i.e. the
 * code users get; `--source=build` lib/ compiled by tsc the same way; `--source=tsx` lib/ through
 * tsx's on-the-fly transform (which distorts the closure-heavy request path, see bench/notes.md).
 * It is loaded on first use, so listing the peers (the parent does) loads no library at all.
 */
import { createRequire } from 'node:module';

import type * as Library from '../../lib/index.js';
import type { SparkGenericModuleHandler, SpawnModuleOptions } from '../../lib/index.js';
import { Workload } from '../workload.js';
import type { Bus, Guarantees, Peer } from './peer.js';

/** The environment variable naming the spark-channel entry a child loads. */
export const SPARK_ENTRY_ENV = 'BENCH_SPARK_ENTRY';

let library: typeof Library | undefined;

/** The spark-channel build this child measures (loaded on first use). */
export function loadSpark(): typeof Library {
  if (library !== undefined) return library;
  const entry = process.env[SPARK_ENTRY_ENV];
  if (entry === undefined || entry === '') {
    throw new Error(
      `${SPARK_ENTRY_ENV} is not set: bench/index.ts tells each child which build of spark-channel to load`,
    );
  }
  library = createRequire(__filename)(entry) as typeof Library;
  return library;
}

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
      const { dispatcher } = loadSpark().spawnModule<number, number>(handler, options);
      // One signal shared by every request, as a component's or a server's lifetime signal is.
      const controller = new AbortController();
      const requestOptions = { timeoutMs: TIMEOUT_MS, signal: controller.signal };
      return {
        request:
          perRequest === 'none' ? (m) => dispatcher.request(m) : (m) => dispatcher.request(m, requestOptions),
        command: (m) => dispatcher.sendCommand(m),
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
