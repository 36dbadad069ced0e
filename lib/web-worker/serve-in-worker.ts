import type { SparkGenericModuleHandler } from '../handler.js';
import { pack, describe as describeValue, reviveReason } from '../internal/wire/pack.js';
import type { Envelope } from '../internal/wire/envelope.js';
import { checkOptions, describe } from '../internal/validate.js';
import type { FromWorker, ToWorker } from './protocol.js';

/**
 * The part of a worker's global scope (`self` in a file made by `ng generate web-worker`) that
 * {@link serveInWorker} uses. A `MessagePort` has it too, which is how the specs drive it.
 *
 * @example
 * const { port1, port2 } = new MessageChannel();
 * serveInWorker(handler, { scope: port2 }); // port1 stands for the main thread's Worker
 */
export interface WorkerScopeLike {
  /** Sends `ready`, each reply, and `fatal` to the main thread. */
  postMessage(message: unknown): void;
  /** Where tasks and abort notices (`message`) and unreadable messages (`messageerror`) arrive. */
  addEventListener(
    type: 'message' | 'messageerror',
    listener: (event: { readonly data?: unknown }) => void,
  ): void;
  /** A `MessagePort` needs it to deliver messages to listeners; a worker's global scope has none. */
  start?(): void;
  /** Wrapped, where there is one, so that a handler closing its own worker is reported (not a hang). */
  close?: () => void;
}

/**
 * Options of {@link serveInWorker}.
 *
 * @example
 * serveInWorker(handler, { scope: self }); // the default, inside a Web Worker
 */
export interface ServeInWorkerOptions {
  /** Where the main thread's messages arrive; default: the worker's global scope. */
  scope?: WorkerScopeLike;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown; load?: true };

/**
 * The worker's side of {@link spawnWebWorkerModule}: call it once, at the top level of the worker
 * file (before any `await`, so that no message arrives before it listens), with the module's
 * handler. It runs each message the main thread sends, as a main-thread server would run it:
 * `handleRequest` / `handleCommand` (either may be missing) with `{ signal }`, aborted when the
 * request times out, is cancelled or the module stops; a value, a promise or an observable
 * (a request takes its first value, a command runs it to completion). Its answers and errors go
 * back by structured clone, errors packed so that they keep their `name`, `message`, `stack`,
 * `code`, own properties, `cause` and aggregate `errors` (docs/workers.md).
 *
 * A handler that has neither method fails every message with `RECEIVE_FAILED` on the main thread
 * (the handler could not be loaded), as a Node worker's file that exports none does. A response
 * that cannot be cloned fails that message with a `DataCloneError`; the worker lives on.
 *
 * @throws TypeError when called outside a Web Worker without a `scope`, or with a bad `options`.
 *
 * @example
 * // src/app/hash.worker.ts, made by `ng generate web-worker hash`
 * /// <reference lib="webworker" />
 * import { serveInWorker } from 'spark-channel/web-worker';
 *
 * serveInWorker<HashRequest, string>({
 *   handleRequest: ({ text, rounds }, { signal }) => hashRounds(text, rounds, signal),
 * });
 */
export function serveInWorker<M, R>(
  handler: Partial<SparkGenericModuleHandler<M, R>>,
  options?: ServeInWorkerOptions,
): void {
  checkOptions('options', options);
  const scope = options?.scope ?? workerScope();
  if (typeof scope?.postMessage !== 'function' || typeof scope.addEventListener !== 'function') {
    throw new TypeError(
      `Expected \`options.scope\` to have postMessage and addEventListener, got ${describe(scope)}`,
    );
  }
  const methods = readMethods(handler);
  const running = new Map<number, AbortController>();
  const post = (message: FromWorker): void => scope.postMessage(message);

  const run = async (id: number, kind: 'request' | 'command', message: unknown): Promise<void> => {
    const controller = new AbortController();
    running.set(id, controller);
    let outcome: Outcome;
    try {
      if (!methods.ok) outcome = { ok: false, load: true, error: methods.error };
      else {
        const name = kind === 'request' ? 'handleRequest' : 'handleCommand';
        const method = methods[name];
        if (method === undefined) {
          throw new TypeError(`The Web Worker's handler has no ${name}, yet a ${kind} was sent to it`);
        }
        const value = await settle(method.call(handler, message as M, { signal: controller.signal }), kind);
        outcome = { ok: true, value: kind === 'request' ? value : undefined };
      }
    } catch (error: unknown) {
      outcome = { ok: false, error };
    } finally {
      running.delete(id);
    }
    reply(post, id, outcome);
  };

  scope.addEventListener('message', ({ data }) => {
    const notice = asNotice(data);
    if (notice?.spark === 'task') void run(notice.id, notice.kind, notice.message);
    else if (notice?.spark === 'abort') running.get(notice.id)?.abort(reviveReason(notice.reason));
  });
  // A message that cannot be deserialized here names no task: the main thread can only fail what
  // this worker is running and replace it.
  scope.addEventListener('messageerror', () => {
    post({
      spark: 'fatal',
      error: pack(
        new DOMException('A message from the main thread could not be deserialized', 'DataCloneError'),
      ),
    });
  });
  reportClose(scope, post);
  scope.start?.();
  post({ spark: 'ready' });
}

/** The global scope, when this runs in a Web Worker (Angular's worker bundles, Chromium's workers). */
function workerScope(): WorkerScopeLike {
  if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'function') {
    throw new TypeError(
      'serveInWorker: not inside a Web Worker; call it in the worker file, or pass `options.scope`',
    );
  }
  return globalThis;
}

type Methods =
  | {
      readonly ok: true;
      readonly handleRequest?: (message: unknown, context: { signal: AbortSignal }) => unknown;
      readonly handleCommand?: (message: unknown, context: { signal: AbortSignal }) => unknown;
    }
  | { readonly ok: false; readonly error: unknown };

/** The handler's methods, read once and without trusting it (it may be a Proxy, or nothing). */
function readMethods(handler: unknown): Methods {
  try {
    const source = handler as Record<string, unknown> | null | undefined;
    const request = source?.['handleRequest'];
    const command = source?.['handleCommand'];
    if (typeof request === 'function' || typeof command === 'function') {
      return {
        ok: true,
        ...(typeof request === 'function' ? { handleRequest: request as never } : {}),
        ...(typeof command === 'function' ? { handleCommand: command as never } : {}),
      };
    }
    return {
      ok: false,
      error: new TypeError(
        `Expected the handler given to serveInWorker to have handleRequest or handleCommand, got ${describe(handler)}`,
      ),
    };
  } catch (error: unknown) {
    return { ok: false, error };
  }
}

function asNotice(data: unknown): ToWorker | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const notice = data as Partial<Record<string, unknown>>;
  if (typeof notice['id'] !== 'number') return undefined;
  if (notice['spark'] === 'task' && (notice['kind'] === 'request' || notice['kind'] === 'command')) {
    return data as ToWorker;
  }
  return notice['spark'] === 'abort' ? (data as ToWorker) : undefined;
}

/** Sends the outcome back; one that cannot be cloned fails its message, never the worker. */
function reply(post: (message: FromWorker) => void, id: number, outcome: Outcome): void {
  const envelope: Envelope = outcome.ok
    ? { ok: true, value: outcome.value }
    : { ok: false, ...(outcome.load ? { load: true } : {}), error: pack(outcome.error) };
  try {
    post({ spark: 'reply', id, envelope });
  } catch (error: unknown) {
    /* istanbul ignore next -- a packed error always clones: only a response gets here */
    const what = outcome.ok ? 'response' : 'error';
    const failure = new DOMException(
      `The ${what} could not be sent back from the Web Worker: ${describeValue(error)}`,
      'DataCloneError',
    );
    post({ spark: 'reply', id, envelope: { ok: false, error: pack(failure) } });
  }
}

/**
 * A handler that calls `close()` ends its worker without any event reaching the main thread,
 * which would leave the worker's messages waiting: say so first, so they fail and it is replaced.
 */
function reportClose(scope: WorkerScopeLike, post: (message: FromWorker) => void): void {
  const close = scope.close;
  if (typeof close !== 'function') return;
  scope.close = () => {
    post({ spark: 'fatal', error: pack(new Error('The Web Worker closed itself (close() was called)')) });
    close.call(scope);
  };
}

interface Subscribable {
  subscribe(observer: {
    next(value: unknown): void;
    error(error: unknown): void;
    complete(): void;
  }): { unsubscribe?(): void } | undefined;
}

/**
 * An observable (anything with `subscribe()` and no `then()`): a request takes its first value, a
 * command runs it to completion, as on the main thread. Anything else is returned as it is.
 */
function settle(result: unknown, kind: 'request' | 'command'): unknown {
  const candidate = result as Partial<Subscribable & PromiseLike<unknown>> | null | undefined;
  if (
    candidate === null ||
    candidate === undefined ||
    typeof candidate.subscribe !== 'function' ||
    typeof candidate.then === 'function'
  ) {
    return result;
  }
  const observable = candidate as Subscribable;
  return new Promise((resolve, reject) => {
    let answered = false;
    // Assigned after subscribe() returns, which a synchronous next() runs before: `const` would
    // put it in its temporal dead zone there.
    // eslint-disable-next-line prefer-const
    let subscription: { unsubscribe?(): void } | undefined;
    // The answer is in: a failing unsubscribe must not turn it into a failure.
    const unsubscribe = (): void => {
      try {
        subscription?.unsubscribe?.();
      } catch {
        // Ignored on purpose: see above.
      }
    };
    subscription = observable.subscribe({
      next(value) {
        if (kind !== 'request' || answered) return;
        answered = true;
        resolve(value);
        unsubscribe();
      },
      error: reject,
      complete() {
        if (kind === 'command') resolve(undefined);
        else if (!answered) {
          const empty = new Error('no elements in sequence');
          empty.name = 'EmptyError';
          reject(empty);
        }
      },
    });
    if (answered) unsubscribe();
  });
}
