/**
 * `spark-channel/worker`: modules whose handler runs in a pool of Node worker threads (piscina,
 * an optional peer dependency). The root entry never reaches this file.
 *
 * @module spark-channel/worker
 */
export {
  spawnWorkerModule,
  type SpawnedWorkerModule,
  type WorkerModuleOptions,
} from './spawn-worker-module.js';
