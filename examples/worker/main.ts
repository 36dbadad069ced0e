/**
 * A module whose CPU-heavy handler runs in worker threads (spark-channel/worker).
 *
 * Run it with `npx tsx examples/worker/main.ts`. The handler lives in hash.worker.mjs: worker
 * threads load plain JavaScript (compile a TypeScript handler file first).
 */
import { join } from 'node:path';

import { isSparkChannelError } from '../../lib/index.js';
import { spawnWorkerModule } from '../../lib/worker/index.js';

/** What hash.worker.mjs handles. */
export type HashMessage =
  | { type: 'hash'; password: string; salt: string; iterations: number }
  | { type: 'slow-hash'; password: string; salt: string; rounds: number }
  | { type: 'audit'; event: string };

export interface HashResponse {
  readonly hash: string;
  readonly threadId: number;
}

async function main(): Promise<void> {
  const { dispatcher, server, closed } = spawnWorkerModule<HashMessage, HashResponse>(
    join(__dirname, 'hash.worker.mjs'),
    { concurrency: 2, timeoutMs: 10_000 },
  );
  server.errors$.subscribe(({ kind, error }) => console.log(`  errors$: ${kind} failed: ${String(error)}`));

  // Two requests at once run on two threads; the main thread's event loop stays free meanwhile.
  const ticks = setInterval(() => process.stdout.write('.'), 10);
  const started = performance.now();
  const hashes = await Promise.all(
    ['alice', 'bob'].map((password) =>
      dispatcher.request({ type: 'hash', password, salt: 'pepper', iterations: 300_000 }),
    ),
  ).finally(() => clearInterval(ticks));
  console.log(
    `\n2 hashes in ${Math.round(performance.now() - started)} ms, on threads`,
    hashes.map((h) => h.threadId),
  );

  // A timeout reaches the handler's context.signal inside the worker.
  try {
    await dispatcher.request(
      { type: 'slow-hash', password: 'x', salt: 'y', rounds: 1_000 },
      { timeoutMs: 50 },
    );
  } catch (error) {
    if (isSparkChannelError(error, 'TIMEOUT'))
      console.log('slow-hash: timed out, and the worker stopped hashing');
    else throw error;
  }

  // A handler error comes back as the handler threw it.
  await dispatcher.request({ type: 'audit', event: 'oops' }).catch((error: unknown) => {
    console.log('audit as a request:', error instanceof TypeError ? `TypeError: ${error.message}` : error);
  });
  await dispatcher.sendCommand({ type: 'audit', event: 'hashed two passwords' });

  await dispatcher.shutdown();
  await closed;
  console.log('shut down; threads exited');
}

if (require.main === module)
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
