/**
 * `spark-channel/web-worker`: modules whose handler runs in a browser Web Worker (one, or a small
 * pool), for CPU-heavy work off the UI thread. Two sides: `spawnWebWorkerModule` on the main
 * thread, `serveInWorker` in the worker file (the one `ng generate web-worker` makes). No
 * dependency beyond the platform's `Worker`; the root entry never reaches this file.
 *
 * @module spark-channel/web-worker
 */
export {
  spawnWebWorkerModule,
  type SpawnedWebWorkerModule,
  type WebWorkerModuleOptions,
} from './spawn-web-worker-module.js';
export { serveInWorker, type ServeInWorkerOptions, type WorkerScopeLike } from './serve-in-worker.js';
export type { WebWorkerEvent, WebWorkerLike } from './worker-slot.js';
