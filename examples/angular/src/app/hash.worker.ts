/// <reference lib="webworker" />
// Made by `ng generate web-worker hash`; Angular's builder bundles it (and what it imports) as a
// worker of its own, because hash-panel.ts creates it as `new Worker(new URL('./hash.worker',
// import.meta.url), { type: 'module' })`.
import { createRouter } from 'spark-channel';
import { serveInWorker } from 'spark-channel/web-worker';

import type { HashApi } from './hash-api';
import { sha256, toHex } from './sha256';

/** Rounds hashed between two looks at the signal: a few milliseconds of work. */
const SLICE = 20_000;
const worker = crypto.randomUUID().slice(0, 8);
let completed = 0;
let aborted = 0;

/** Lets queued messages in (an abort notice is one), then says whether to go on. */
function nextSlice(signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) =>
    setTimeout(() => (signal.aborted ? reject(signal.reason) : resolve()), 0),
  );
}

// Called at the top level, before any await: no message can arrive before it listens.
serveInWorker(
  createRouter<HashApi>({
    Hash: {
      async request({ text, rounds }, { signal }) {
        let digest = new TextEncoder().encode(text);
        try {
          for (let done = 0; done < rounds; done += SLICE) {
            for (let i = done; i < Math.min(rounds, done + SLICE); i++) digest = sha256(digest);
            if (done + SLICE < rounds) await nextSlice(signal);
          }
        } catch (error: unknown) {
          if (signal.aborted) aborted++;
          throw error;
        }
        completed++;
        return {
          hex: toHex(digest),
          rounds,
          ranIn: self instanceof WorkerGlobalScope ? 'Web Worker' : 'page',
        };
      },
    },
    Stats: { request: () => ({ worker, completed, aborted }) },
    Crash: {
      request() {
        setTimeout(() => {
          throw new Error('the hash worker crashed on purpose');
        }, 0);
        return new Promise<never>(() => {});
      },
    },
  }),
);
