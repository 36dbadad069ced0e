// examples/worker: the handler file the example and bench/workers.ts use, through spawnWorkerModule.
import { pbkdf2Sync } from 'node:crypto';
import { join } from 'node:path';

import type { HashMessage, HashResponse } from '../../examples/worker/main.js';
import { spawnWorkerModule } from '../../lib/worker/index.js';
import { removeThreadFiles } from '../../lib/worker/thread-source.js';

// jest's sandboxed `process` never emits 'exit': remove this file's bootstrap directory here.
afterAll(removeThreadFiles);

describe('examples/worker/hash.worker.mjs', () => {
  it('hashes on two threads, gives up on a timeout, and refuses a command sent as a request', async () => {
    const { dispatcher, closed } = spawnWorkerModule<HashMessage, HashResponse>(
      join(__dirname, '..', '..', 'examples', 'worker', 'hash.worker.mjs'),
      { concurrency: 2 },
    );
    const [a, b] = await Promise.all(
      ['alice', 'bob'].map((password) =>
        dispatcher.request({ type: 'hash', password, salt: 'pepper', iterations: 1_000 }),
      ),
    );
    expect(a?.hash).toBe(pbkdf2Sync('alice', 'pepper', 1_000, 32, 'sha256').toString('hex'));
    expect(b?.hash).toBe(pbkdf2Sync('bob', 'pepper', 1_000, 32, 'sha256').toString('hex'));
    await expect(
      dispatcher.request({ type: 'slow-hash', password: 'x', salt: 'y', rounds: 100_000 }, { timeoutMs: 20 }),
    ).rejects.toMatchObject({ code: 'TIMEOUT' });
    await expect(dispatcher.request({ type: 'audit', event: 'e' })).rejects.toBeInstanceOf(TypeError);
    await dispatcher.sendCommand({ type: 'audit', event: 'e' });
    await dispatcher.shutdown(); // waits for the slow hash: it stops at its next slice
    await closed;
  });
});
