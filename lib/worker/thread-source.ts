// The worker entry is Node-only: the build compiles lib/ without ambient Node types.
/// <reference types="node" />

import { lstatSync, mkdtempSync, readFileSync, rmSync, type Stats, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * How the worker thread packs what a handler threw, so that it survives structured clone: an
 * error-like value as a {@link PackedError} (name, message, stack, cloneable own properties, cause
 * and aggregate errors, packed the same way), anything else as a {@link PackedValue} (the value
 * when it clones, its description when it does not). Also `reviveReason`, which rebuilds the abort
 * reasons the main thread packs with `packReason`.
 *
 * Whatever a handler throws may be hostile: a Proxy whose traps throw, a revoked Proxy, an object
 * whose getters or `toString` throw, an error that is its own cause, an aggregate that claims a
 * billion errors. Every read is guarded, shared and cyclic errors are packed once (so the cycle
 * crosses intact), and the work is bounded (16 levels, 256 errors, 1000 entries per aggregate):
 * `pack` returns, soon, for any input, and what it returns serializes. Exported on its own so the
 * specs can fuzz the exact text the threads run. It uses `serialize` and `deserialize` (node:v8).
 *
 * @internal
 */
export const PACK_SOURCE = String.raw`
const OWN = new Set(['name', 'message', 'stack', 'cause', 'errors']);
const MAX_DEPTH = 16;
const MAX_ERRORS = 256;
const MAX_ENTRIES = 1000;

function pack(thrown) {
  return packAt(thrown, 0, { seen: new Map(), errors: 0 });
}

function packAt(value, depth, budget) {
  if (!errorLike(value)) return packValue(value);
  const known = budget.seen.get(value);
  if (known !== undefined) return known;
  if (depth > MAX_DEPTH || budget.errors >= MAX_ERRORS) return { value: describe(value) };
  budget.errors++;
  const packed = { error: true, name: 'Error', message: '', props: {} };
  // Registered before its cause and errors are packed, so that a cycle ends here.
  budget.seen.set(value, packed);
  const name = read(value, 'name');
  if (name.ok && typeof name.value === 'string') packed.name = name.value;
  const message = read(value, 'message');
  if (!message.ok) packed.message = '(the message could not be read: ' + describe(message.error) + ')';
  else if (message.value !== undefined) packed.message = typeof message.value === 'string' ? message.value : describe(message.value);
  const stack = read(value, 'stack');
  if (stack.ok && typeof stack.value === 'string') packed.stack = stack.value;
  if (attempt(() => value instanceof DOMException) === true) packed.domException = true;
  for (const key of attempt(() => Object.keys(value)) ?? []) {
    if (OWN.has(key)) continue;
    const property = read(value, key);
    // defineProperty, not assignment: a key named __proto__ stays a key.
    Object.defineProperty(packed.props, key, {
      value: !property.ok
        ? '(could not be read: ' + describe(property.error) + ')'
        : cloneable(property.value)
          ? property.value
          : describe(property.value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  if (attempt(() => 'cause' in value) === true) {
    const cause = read(value, 'cause');
    packed.cause = cause.ok
      ? packAt(cause.value, depth + 1, budget)
      : { value: '(the cause could not be read: ' + describe(cause.error) + ')' };
  }
  const errors = read(value, 'errors');
  if (errors.ok && attempt(() => Array.isArray(errors.value)) === true) {
    const length = read(errors.value, 'length');
    const count = length.ok && typeof length.value === 'number' ? Math.min(length.value, MAX_ENTRIES) : 0;
    packed.errors = [];
    for (let i = 0; i < count; i++) {
      const inner = read(errors.value, i);
      packed.errors.push(
        inner.ok ? packAt(inner.value, depth + 1, budget) : { value: '(could not be read: ' + describe(inner.error) + ')' },
      );
    }
  }
  return packed;
}

function errorLike(value) {
  return (
    attempt(
      () =>
        value instanceof Error ||
        (value !== null && typeof value === 'object' && 'message' in value && 'name' in value),
    ) === true
  );
}

function packValue(value) {
  return cloneable(value) ? { value } : { value: describe(value) };
}

function read(object, key) {
  try {
    return { ok: true, value: object[key] };
  } catch (error) {
    return { ok: false, error };
  }
}

function attempt(get) {
  try {
    return get();
  } catch {
    return undefined;
  }
}

// The round trip, not serialize alone: v8 serializes some graphs (an Error inside an object that
// the Error's cause refers back to) that it then cannot deserialize.
function cloneable(value) {
  try {
    deserialize(serialize(value));
    return true;
  } catch {
    return false;
  }
}

function describe(value) {
  try {
    if (value instanceof Error) return String(value.name) + ': ' + String(value.message);
  } catch {}
  try {
    return String(value);
  } catch {}
  try {
    return Object.prototype.toString.call(value);
  } catch {}
  return '(an unreadable ' + typeof value + ')';
}

// Notices come from the main thread's packReason, cloned: still, a reason that cannot be read
// aborts with no reason rather than throw in the channel's listener.
function reviveReason(packed) {
  try {
    if (packed === null || typeof packed !== 'object') return undefined;
    if (packed.error !== true) return packed.value;
    const name = typeof packed.name === 'string' ? packed.name : 'Error';
    const message = typeof packed.message === 'string' ? packed.message : '';
    if (packed.domException === true) return new DOMException(message, name);
    const error = new Error(message);
    error.name = name;
    const code = packed.props?.code;
    if (typeof code === 'string') error.code = code;
    return error;
  } catch {
    return undefined;
  }
}
`;

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
 *
 * @internal
 */
export const THREAD_SOURCE = String.raw`// spark-channel worker thread bootstrap (generated; see spark-channel/lib/worker/thread-source.ts)
import { BroadcastChannel, workerData } from 'node:worker_threads';
import { deserialize, serialize } from 'node:v8';

const { handlerUrl, abortChannel, destination } = workerData;
const running = new Map(); // task id -> AbortController
const early = new Map(); // task id -> abort reason that arrived before its task

const aborts = new BroadcastChannel(abortChannel);
aborts.unref();
aborts.onmessage = ({ data }) => {
  // Other threads' hellos (and anything that is not a notice) are not for us; a throw here would
  // kill the thread.
  if (data === null || typeof data !== 'object' || typeof data.id !== 'number') return;
  const reason = reviveReason(data.reason);
  const controller = running.get(data.id);
  if (controller !== undefined) controller.abort(reason);
  else early.set(data.id, reason);
};
// Notices posted before this channel existed are lost: the main thread answers this hello by
// posting again the aborts of every task still in flight.
aborts.postMessage({ hello: true });

let loading;
// The handler file's own WireTracing (its export \`tracing\`, spark-channel/otel's
// openTelemetryWire()), for the serving span of each task; undefined without one.
let tracing;
const load = () =>
  (loading ??= import(handlerUrl).then((module) => {
    const fallback = module.default;
    const has = (candidate) =>
      candidate != null &&
      (typeof candidate.handleRequest === 'function' || typeof candidate.handleCommand === 'function');
    const found = has(fallback) ? fallback : has(module) ? module : undefined;
    if (found !== undefined) {
      tracing = tracingOf(() => found.tracing ?? module.tracing);
      return found;
    }
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
    const call = () => settle(handler[name](deserialize(task.message), { signal: controller.signal }), kind);
    const traced = tracing === undefined ? undefined : receive(task, kind, id);
    let value;
    try {
      value = await (traced === undefined ? call() : runTraced(traced, call));
    } catch (error) {
      received(traced, false, error);
      throw error;
    }
    received(traced, true);
    return envelope({ ok: true, value: kind === 'request' ? value : undefined });
  } catch (error) {
    return envelope({ ok: false, error: pack(error) });
  } finally {
    running.delete(id);
  }
}

function tracingOf(read) {
  try {
    const candidate = read();
    if (
      candidate != null &&
      typeof candidate.receive === 'function' &&
      typeof candidate.run === 'function' &&
      typeof candidate.received === 'function'
    ) {
      return candidate;
    }
  } catch {}
  return undefined;
}

// The task's headers came from the main thread: still, only own string values are read, and a
// hook that throws leaves the task untraced.
function receive(task, kind, id) {
  const headers = task.trace !== null && typeof task.trace === 'object' ? task.trace : undefined;
  const get = (key) =>
    headers !== undefined && Object.hasOwn(headers, key) && typeof headers[key] === 'string' ? headers[key] : undefined;
  try {
    return { state: tracing.receive({ system: 'spark_channel', kind, destination, id: String(id) }, get) };
  } catch {
    return undefined;
  }
}

function runTraced(traced, call) {
  let entered = false;
  try {
    return tracing.run(traced.state, () => {
      entered = true;
      return call();
    });
  } catch (error) {
    if (entered) throw error;
    return call();
  }
}

function received(traced, ok, error) {
  if (traced === undefined) return;
  try {
    tracing.received(traced.state, ok, error);
  } catch {}
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
    // The answer is in: a failing unsubscribe must not turn it into a failure (or, thrown into
    // the observable's own next(), into an uncaught exception).
    const unsubscribe = () => {
      try {
        subscription?.unsubscribe?.();
      } catch {}
    };
    subscription = result.subscribe({
      next(value) {
        if (kind !== 'request' || answered) return;
        answered = true;
        resolve(value);
        unsubscribe();
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
    if (answered) unsubscribe();
  });
}

function envelope(reply) {
  try {
    return serialize(reply);
  } catch (error) {
    const what = reply.ok ? 'response' : 'error';
    const failure = new DOMException(
      'The ' + what + ' could not be sent back from the worker thread: ' + describe(error),
      'DataCloneError',
    );
    return serialize({ ok: false, error: pack(failure) });
  }
}
${PACK_SOURCE}`;

const PREFIX = 'spark-channel-worker-';
const FILE_NAME = 'thread.mjs';

let current: string | undefined;
const written = new Set<string>();
let removeAtExit = false;

/**
 * The bootstrap file for a new pool: the one this process wrote last, if it still holds
 * {@link THREAD_SOURCE} unchanged in its private directory, else a new one from
 * {@link writeThreadFile} in the OS temp directory.
 *
 * @internal
 */
export function threadFile(): string {
  if (current === undefined || !isThreadFile(current)) current = writeThreadFile(tmpdir());
  return current;
}

/**
 * Writes {@link THREAD_SOURCE} where no other local user can put or change a file, checks it, and
 * returns its path: `thread.mjs` in a new directory `dir/spark-channel-worker-XXXXXX` from
 * `mkdtemp` (a name nobody can predict, created by this call, mode 0700), created exclusively
 * (`wx`, mode 0600). Nothing already on disk is ever reused: a file planted at a name that can be
 * guessed is never loaded. The directory is removed when the process exits.
 *
 * @throws Error when the file does not read back as {@link THREAD_SOURCE}, in a directory that is
 *   this user's and private (then something else is writing there); fs errors as they are.
 * @internal
 */
export function writeThreadFile(dir: string): string {
  const privateDir = mkdtempSync(join(dir, PREFIX));
  written.add(privateDir);
  if (!removeAtExit) process.once('exit', removeThreadFiles);
  removeAtExit = true;
  const file = join(privateDir, FILE_NAME);
  writeFileSync(file, THREAD_SOURCE, { flag: 'wx', mode: 0o600 });
  if (!isThreadFile(file)) {
    throw new Error(
      `spark-channel/worker: the worker bootstrap ${file} did not read back as written, or its directory is not private; refusing to load it`,
    );
  }
  return file;
}

/**
 * Tells whether `file` is a bootstrap that is safe to load: a regular file (not a link) holding
 * exactly {@link THREAD_SOURCE}, owned by this user and writable by no one else, in a directory
 * that is this user's and open to no one else.
 *
 * @internal
 */
export function isThreadFile(file: string): boolean {
  try {
    const dir = lstatSync(dirname(file));
    const stats = lstatSync(file);
    return (
      dir.isDirectory() &&
      stats.isFile() &&
      isPrivate(dir, 0o077) &&
      isPrivate(stats, 0o022) &&
      readFileSync(file, 'utf8') === THREAD_SOURCE
    );
  } catch {
    return false;
  }
}

function isPrivate(stats: Stats, forbidden: number): boolean {
  /* istanbul ignore if -- Windows: modes and uids are not what guards a per-user temp directory there */
  if (process.platform === 'win32') return true;
  return stats.uid === process.getuid?.() && (stats.mode & forbidden) === 0;
}

/**
 * Removes every bootstrap directory this process wrote (at exit; the specs call it too). A pool
 * still running afterwards cannot start a replacement thread.
 *
 * @internal
 */
export function removeThreadFiles(): void {
  for (const dir of written) rmSync(dir, { recursive: true, force: true });
  written.clear();
  current = undefined;
}
