import { expectTypeOf } from 'expect-type';

import {
  createRouter,
  type MessageOf,
  type ResponseOf,
  type SparkChannelCancellationToken,
  type SparkGenericModuleDispatcher,
  TypedDispatcher,
} from '../../lib/index.js';
import {
  serveInWorker,
  spawnWebWorkerModule,
  type SpawnedWebWorkerModule,
  type WebWorkerLike,
} from '../../lib/web-worker/index.js';

// Type-level tests of spark-channel/web-worker: every `@ts-expect-error` line must fail to
// compile, every `expectTypeOf` must hold, or `npm run typecheck` fails. The `typeChecks*`
// functions are never called: they only have to compile.

type HashApi = {
  Hash: { request: { text: string; rounds: number }; response: { hex: string } };
  Log: { command: { line: string } };
};
declare const url: URL;

function typeChecksMainThread(): void {
  // The DOM's Worker is a WebWorkerLike: the factory Angular's builder sees needs no cast.
  const worker: WebWorkerLike = new Worker(url, { type: 'module' });
  void worker;
  const module = spawnWebWorkerModule<MessageOf<HashApi>, ResponseOf<HashApi>>(
    () => new Worker(url, { type: 'module' }), // in an app: new URL('./hash.worker', import.meta.url)
    { workers: 2, concurrency: 2, timeoutMs: 1_000 },
  );
  expectTypeOf(module).toEqualTypeOf<
    SpawnedWebWorkerModule<MessageOf<HashApi>, ResponseOf<HashApi>, SparkChannelCancellationToken, Error>
  >();
  expectTypeOf(module.dispatcher).toEqualTypeOf<
    SparkGenericModuleDispatcher<
      MessageOf<HashApi>,
      ResponseOf<HashApi>,
      SparkChannelCancellationToken,
      Error
    >
  >();
  expectTypeOf(module.closed).toEqualTypeOf<Promise<void>>();

  // Typed requests through a TypedDispatcher, as for any module.
  const hashes = new TypedDispatcher<HashApi>(module.dispatcher);
  expectTypeOf(hashes.request({ type: 'Hash', text: 'x', rounds: 1 })).toEqualTypeOf<
    Promise<{ hex: string }>
  >();
  // @ts-expect-error Log is a command: it cannot be sent as a request
  void hashes.request({ type: 'Log', line: 'x' });

  // @ts-expect-error the factory makes a Worker; a URL is not one
  spawnWebWorkerModule(() => url);
  // @ts-expect-error the pool's size is a number
  spawnWebWorkerModule(() => new Worker(url), { workers: '2' });
}

function typeChecksWorkerSide(): void {
  // A router from createRouter is a handler serveInWorker takes.
  serveInWorker(
    createRouter<HashApi>({
      Hash: { request: ({ text, rounds }) => ({ hex: `${text}:${rounds}` }) },
      Log: { command: ({ line }) => void line },
    }),
  );
  // Either method may be missing; the context carries the signal.
  serveInWorker<{ n: number }, number>({
    handleRequest: ({ n }, { signal }) => {
      expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
      return n * 2;
    },
  });
  // @ts-expect-error the handler answers numbers, not strings
  serveInWorker<{ n: number }, number>({ handleRequest: ({ n }) => String(n) });
  const { port2 } = new MessageChannel();
  serveInWorker({ handleCommand: () => undefined }, { scope: port2 });
}

void [typeChecksMainThread, typeChecksWorkerSide];

describe('spark-channel/web-worker types', () => {
  it('are checked by tsc (npm run typecheck, and ts-jest as it compiles this file)', () => {
    expect(typeof spawnWebWorkerModule).toBe('function');
  });
});
