// The worker entry is Node-only: the build compiles lib/ without ambient Node types.
/// <reference types="node" />

import { createHash, randomUUID } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The code each worker thread runs: piscina loads it as the pool's task function. It imports the
 * user's handler file, runs one message per task with a per-task AbortController (aborted by a
 * notice on the pool's BroadcastChannel), and answers with a v8-serialized envelope, so that a
 * response or error that cannot be cloned fails that message only, never the thread.
 *
 * It is JavaScript in a string, not a compiled module, because the same file must be loadable by a
 * bare worker thread from dist/esm, dist/cjs and ts-jest alike: none of them can locate a sibling
 * file portably (`import.meta` does not compile to CommonJS, `__dirname` does not exist in ESM),
 * and a worker cannot load `.ts`. It imports only Node built-ins and the handler's own URL.
 */
export const THREAD_SOURCE = String.raw`// spark-channel worker thread bootstrap (generated; see spark-channel/lib/worker/thread-source.ts)
import { BroadcastChannel, workerData } from 'node:worker_threads';
import { deserialize, serialize } from 'node:v8';

const { handlerUrl, abortChannel } = workerData;
const running = new Map(); // task id -> AbortController
const early = new Map(); // task id -> abort reason that arrived before its task

const aborts = new BroadcastChannel(abortChannel);
aborts.unref();
aborts.onmessage = ({ data }) => {
  if (data.id === undefined) return; // another thread's hello
  const reason = revive(data.reason);
  const controller = running.get(data.id);
  if (controller !== undefined) controller.abort(reason);
  else early.set(data.id, reason);
};
// Notices posted before this channel existed are lost: the main thread answers this hello by
// posting again the aborts of every task still in flight.
aborts.postMessage({ hello: true });

let loading;
const load = () =>
  (loading ??= import(handlerUrl).then((module) => {
    const fallback = module.default;
    const has = (candidate) =>
      candidate != null &&
      (typeof candidate.handleRequest === 'function' || typeof candidate.handleCommand === 'function');
    if (has(fallback)) return fallback;
    if (has(module)) return module;
    throw new TypeError(
      'Expected ' + handlerUrl + ' to export handleRequest / handleCommand, or a default object that has them',
    );
  }));

export default async function run(task) {
  const { id, kind } = task;
  // A thread receives its tasks in increasing id order, so an early abort for a lower id was for
  // another thread's task: forget it.
  for (const key of early.keys()) if (key < id) early.delete(key);
  const controller = new AbortController();
  if (early.has(id)) {
    controller.abort(early.get(id));
    early.delete(id);
  }
  running.set(id, controller);
  try {
    let handler;
    try {
      handler = await load();
    } catch (error) {
      return envelope({ ok: false, load: true, error: pack(error) });
    }
    // Aborted before this thread got to it (a timeout while the task waited for a thread): as on
    // the main thread, a request that is no longer wanted never starts.
    if (controller.signal.aborted) return envelope({ ok: false, error: pack(controller.signal.reason) });
    const name = kind === 'request' ? 'handleRequest' : 'handleCommand';
    if (typeof handler[name] !== 'function') {
      throw new TypeError(handlerUrl + ' exports no ' + name + ', yet a ' + kind + ' was sent to it');
    }
    const result = handler[name](deserialize(task.message), { signal: controller.signal });
    const value = await settle(result, kind);
    return envelope({ ok: true, value: kind === 'request' ? value : undefined });
  } catch (error) {
    return envelope({ ok: false, error: pack(error) });
  } finally {
    running.delete(id);
  }
}

// An observable (anything with subscribe() and no then()): a request takes its first value, a
// command runs it to completion, as on the main thread.
function settle(result, kind) {
  if (result == null || typeof result.subscribe !== 'function' || typeof result.then === 'function') {
    return result;
  }
  return new Promise((resolve, reject) => {
    let answered = false;
    let subscription;
    subscription = result.subscribe({
      next(value) {
        if (kind !== 'request' || answered) return;
        answered = true;
        resolve(value);
        subscription?.unsubscribe();
      },
      error: reject,
      complete() {
        if (kind === 'command') return resolve(undefined);
        if (!answered) {
          const empty = new Error('no elements in sequence');
          empty.name = 'EmptyError';
          reject(empty);
        }
      },
    });
    if (answered) subscription.unsubscribe();
  });
}

function envelope(reply) {
  try {
    return serialize(reply);
  } catch (error) {
    const what = reply.ok ? 'response' : 'error';
    const failure = new Error('The ' + what + ' could not be sent back from the worker thread: ' + describe(error));
    failure.name = 'DataCloneError';
    return serialize({ ok: false, error: pack(failure) });
  }
}

const OWN = new Set(['name', 'message', 'stack', 'cause', 'errors']);

function pack(error, depth = 0) {
  if (!(error instanceof Error) && !(error !== null && typeof error === 'object' && 'message' in error && 'name' in error)) {
    return cloneable(error) ? { value: error } : { value: describe(error) };
  }
  const packed = { error: true, name: String(error.name), message: String(error.message), stack: error.stack, props: {} };
  for (const key of Object.keys(error)) {
    if (OWN.has(key)) continue;
    const value = error[key];
    packed.props[key] = cloneable(value) ? value : describe(value);
  }
  if ('cause' in error) packed.cause = depth < 16 ? pack(error.cause, depth + 1) : { value: describe(error.cause) };
  if (Array.isArray(error.errors) && depth < 16) packed.errors = error.errors.map((inner) => pack(inner, depth + 1));
  return packed;
}

function revive(packed) {
  if (!packed || !packed.error) return packed?.value;
  const error = new Error(packed.message);
  error.name = packed.name;
  Object.assign(error, packed.props);
  return error;
}

function cloneable(value) {
  try {
    serialize(value);
    return true;
  } catch {
    return false;
  }
}

function describe(value) {
  try {
    return value instanceof Error ? value.name + ': ' + value.message : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
`;

let written: string | undefined;

/** {@link writeThreadFile} in the OS temp directory, once per process. */
export function threadFile(): string {
  return (written ??= writeThreadFile(tmpdir()));
}

/**
 * Writes {@link THREAD_SOURCE} to a content-addressed `.mjs` file in `dir` unless it is there
 * already, and returns its path. Every pool and every process of this version shares the file; it
 * is written under a unique name first and renamed, so a concurrent reader never sees half of it.
 */
export function writeThreadFile(dir: string): string {
  const hash = createHash('sha256').update(THREAD_SOURCE).digest('hex').slice(0, 16);
  const file = join(dir, `spark-channel-worker-${hash}.mjs`);
  if (!existsSync(file)) {
    const partial = `${file}.${randomUUID()}.tmp`;
    writeFileSync(partial, THREAD_SOURCE);
    renameSync(partial, file);
  }
  return file;
}
