import type { ModuleServerLogger } from '../../lib/index.js';

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback (and the I/O turn) run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A logger that records instead of printing. */
export function recordingLogger(): ModuleServerLogger & { errors: unknown[][]; warnings: unknown[][] } {
  const errors: unknown[][] = [];
  const warnings: unknown[][] = [];
  return {
    errors,
    warnings,
    error: (...args: unknown[]) => errors.push(args),
    warn: (...args: unknown[]) => warnings.push(args),
  };
}

/** Settles a promise into a plain record, so tests can assert on outcomes without try/catch. */
export async function outcome<T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  try {
    return { value: await promise };
  } catch (error: unknown) {
    return { error };
  }
}

/** The code of a SparkChannelError-like rejection, or 'ok'. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  const result = await outcome(promise);
  if ('value' in result) return 'ok';
  const error = result.error as { code?: string; name?: string };
  return error.code ?? error.name ?? 'unknown';
}

/** Tells whether a promise has settled by the time the microtask queue drains. */
export async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await Promise.resolve();
  await Promise.resolve();
  return settled;
}
