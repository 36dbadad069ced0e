/**
 * spark-channel/worker: what the worker hop buys and what it costs, on this machine.
 *
 *   npx tsx bench/workers.ts            (or with --quick for a short run; --help for usage)
 *
 * 1. Speed-up: a CPU-heavy handler (PBKDF2-SHA256) answering a batch of requests on the main
 *    thread, on 1 worker thread and on 2 (`concurrency: 2`).
 * 2. Hop overhead: a trivial echo request, one at a time, on a main-thread module and on a
 *    1-thread worker module; the difference is the cost of the round trip between threads.
 *
 * Prints a table and writes bench/results/workers.json. Exits non-zero on a wrong answer.
 */
import { pbkdf2Sync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { spawnModule } from '../lib/index.js';
import { spawnWorkerModule } from '../lib/worker/index.js';
import { parseCli } from './cli.js';

const { quick } = parseCli(
  'bench/workers.ts',
  `usage: npx tsx bench/workers.ts [--quick]

What the worker hop buys and costs: PBKDF2 hashes on the main thread and on 1 and 2 worker
threads, and an echo request's round trip between threads. Writes bench/results/workers.json.

  --quick     fewer hashes and echoes (CI)
  -h, --help  this text
`,
  { quick: { type: 'boolean', default: false } },
);
const HASHES = quick ? 8 : 32;
const ITERATIONS = 100_000;
const ECHOES = quick ? 500 : 5_000;
const handlerFile = join(__dirname, '..', 'examples', 'worker', 'hash.worker.mjs');

type HashMessage = { type: 'hash'; password: string; salt: string; iterations: number };
type HashResponse = { hash: string; threadId: number };

const expected = (i: number): string =>
  pbkdf2Sync(`password-${i}`, 'salt', ITERATIONS, 32, 'sha256').toString('hex');

async function hashBatch(request: (m: HashMessage) => Promise<HashResponse>): Promise<number> {
  const started = performance.now();
  const answers = await Promise.all(
    Array.from({ length: HASHES }, (_, i) =>
      request({ type: 'hash', password: `password-${i}`, salt: 'salt', iterations: ITERATIONS }),
    ),
  );
  const elapsed = performance.now() - started;
  answers.forEach((answer, i) => {
    if (answer.hash !== expected(i)) throw new Error(`wrong hash for request ${i}`);
  });
  return elapsed;
}

/** The floor: the same hashes split over bare worker_threads, no pool, no library. */
async function bareThreads(threads: number): Promise<number> {
  const code = `const { pbkdf2Sync } = require('node:crypto');
const { workerData: [from, to, iterations], parentPort } = require('node:worker_threads');
for (let i = from; i < to; i++) pbkdf2Sync('password-' + i, 'salt', iterations, 32, 'sha256');
parentPort.postMessage('done');`;
  const started = performance.now();
  const share = Math.ceil(HASHES / threads);
  await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const worker = new Worker(code, {
        eval: true,
        workerData: [t * share, Math.min(HASHES, (t + 1) * share), ITERATIONS],
      });
      return new Promise((resolve) => worker.once('message', resolve)).finally(() => worker.terminate());
    }),
  );
  return performance.now() - started;
}

async function echoes(request: (n: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 200; i++) await request(i); // warm up
  const samples: number[] = [];
  for (let i = 0; i < ECHOES; i++) {
    const started = performance.now();
    const answer = await request(i);
    samples.push((performance.now() - started) * 1_000);
    if (answer !== i) throw new Error(`wrong echo ${String(answer)} for ${i}`);
  }
  return samples.sort((a, b) => a - b);
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

async function main(): Promise<void> {
  for (let i = 0; i < HASHES; i++) expected(i); // fills nothing, but warms up the crypto path

  // 1. Speed-up on a CPU-heavy handler.
  const mainThread = spawnModule<HashMessage, HashResponse>({
    handleRequest: (m) => ({
      hash: pbkdf2Sync(m.password, m.salt, m.iterations, 32, 'sha256').toString('hex'),
      threadId: 0,
    }),
    handleCommand: () => undefined,
  });
  const onMain = await hashBatch((m) => mainThread.dispatcher.request(m));
  await mainThread.dispatcher.shutdown();

  const speed: Record<string, number> = { 'main thread': onMain };
  for (const threads of [1, 2]) {
    const pool = spawnWorkerModule<HashMessage, HashResponse>(handlerFile, { concurrency: threads });
    await pool.dispatcher.request({ type: 'hash', password: 'warm', salt: 'up', iterations: 1 });
    speed[`${threads} worker thread${threads > 1 ? 's' : ''}`] = await hashBatch((m) =>
      pool.dispatcher.request(m),
    );
    await pool.dispatcher.shutdown();
    await pool.closed;
  }

  for (const threads of [1, 2]) speed[`bare worker_threads x${threads}`] = await bareThreads(threads);

  // 2. The hop: an echo handler on the main thread and in a worker.
  const echoMain = spawnModule<number, number>({ handleRequest: (n) => n, handleCommand: () => undefined });
  const hopMain = await echoes((n) => echoMain.dispatcher.request(n));
  await echoMain.dispatcher.shutdown();
  const echoFile = join(__dirname, '..', 'spec', 'worker', 'fixtures', 'requests-only.worker.cjs');
  const echoWorker = spawnWorkerModule<number, number>(echoFile);
  // requests-only.worker.cjs doubles its input: ask for n / 2.
  const hopWorker = await echoes((n) => echoWorker.dispatcher.request(n / 2));
  await echoWorker.dispatcher.shutdown();
  await echoWorker.closed;

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `\nspark-channel/worker on ${availableParallelism()} cores (${cpu}), Node ${process.version}\n`,
  );
  console.log(`${HASHES} PBKDF2-SHA256 hashes of ${ITERATIONS} iterations each:`);
  for (const [name, ms] of Object.entries(speed)) {
    console.log(
      `  ${name.padEnd(24)} ${ms.toFixed(0).padStart(6)} ms   ${(onMain / ms).toFixed(2)}x the main thread`,
    );
  }
  const row = (name: string, s: number[]): string =>
    `  ${name.padEnd(24)} median ${percentile(s, 0.5).toFixed(1).padStart(6)} µs   p99 ${percentile(s, 0.99)
      .toFixed(1)
      .padStart(7)} µs`;
  console.log(`\n${ECHOES} echo requests, one at a time:`);
  console.log(row('main thread', hopMain));
  console.log(row('1 worker thread', hopWorker));
  const overhead = percentile(hopWorker, 0.5) - percentile(hopMain, 0.5);
  console.log(`  worker hop overhead: ~${overhead.toFixed(0)} µs per request (median)\n`);

  const results = join(__dirname, 'results');
  mkdirSync(results, { recursive: true });
  writeFileSync(
    join(results, 'workers.json'),
    JSON.stringify(
      {
        node: process.version,
        cores: availableParallelism(),
        cpu,
        hashes: { count: HASHES, iterations: ITERATIONS, ms: speed },
        echo: {
          count: ECHOES,
          medianMicros: { main: percentile(hopMain, 0.5), worker: percentile(hopWorker, 0.5) },
          p99Micros: { main: percentile(hopMain, 0.99), worker: percentile(hopWorker, 0.99) },
        },
      },
      null,
      2,
    ) + '\n',
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
