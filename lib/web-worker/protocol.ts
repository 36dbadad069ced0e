import type { Envelope, Packed } from '../internal/wire/envelope.js';

/**
 * What the main thread and a Web Worker say to each other, over the worker's own port. Every
 * message carries `spark` (its kind), so that messages of other code sharing the worker (a handler
 * that posts progress, a library) are told apart and ignored by both ends.
 *
 * Main thread → worker: a task, and an abort notice for a task that is running. Both travel on
 * one port, in order, so a notice never overtakes its task.
 * Worker → main thread: `ready` once it listens, a `reply` per task, and `fatal` when the worker
 * can no longer answer (a message it could not deserialize, or the handler closed the worker).
 */
export type ToWorker =
  | {
      readonly spark: 'task';
      readonly id: number;
      readonly kind: 'request' | 'command';
      readonly message: unknown;
    }
  | { readonly spark: 'abort'; readonly id: number; readonly reason: Packed };

/** See {@link ToWorker}. */
export type FromWorker =
  | { readonly spark: 'ready' }
  | { readonly spark: 'reply'; readonly id: number; readonly envelope: Envelope }
  | { readonly spark: 'fatal'; readonly error: Packed };
