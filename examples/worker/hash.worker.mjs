// The handler of examples/worker/main.ts, in its own file: each worker thread loads its own copy.
// CPU-heavy on purpose (PBKDF2): the kind of work that would stall the main thread's event loop.
// Plain JavaScript, because a worker thread loads it as it is (types: see main.ts).
/* global setImmediate */
import { pbkdf2Sync } from 'node:crypto';
import { threadId } from 'node:worker_threads';

const audit = []; // per thread: module state is not shared between threads

/** @type {import('../../lib/index.js').SparkGenericModuleHandler<import('./main.js').HashMessage, import('./main.js').HashResponse>} */
export default {
  async handleRequest(message, { signal }) {
    if (message.type === 'hash') {
      const hash = pbkdf2Sync(message.password, message.salt, message.iterations, 32, 'sha256');
      return { hash: hash.toString('hex'), threadId };
    }
    if (message.type === 'slow-hash') {
      // Long work in slices, checking the request's signal between them: a timeout on the main
      // thread reaches it here.
      let key = message.password;
      for (let round = 0; round < message.rounds; round++) {
        signal.throwIfAborted();
        key = pbkdf2Sync(key, message.salt, 10_000, 32, 'sha256').toString('hex');
        await new Promise((resolve) => setImmediate(resolve)); // let the abort notice in
      }
      return { hash: key, threadId };
    }
    throw new TypeError(`Not a request: ${message.type}`);
  },

  handleCommand(message) {
    if (message.type !== 'audit') throw new TypeError(`Not a command: ${message.type}`);
    audit.push(message.event);
  },
};
