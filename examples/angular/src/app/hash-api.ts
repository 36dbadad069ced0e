import type { ModuleDefinition } from 'spark-channel';

/**
 * The hash module's messages, shared by the page (hash-panel.ts) and the worker (hash.worker.ts):
 * one definition, so `dispatcher.request({ type: 'Hash', … })` is typed on both sides.
 */
export type HashApi = {
  /** `rounds` rounds of SHA-256 over `text` (each round hashes the previous digest). */
  Hash: { request: { text: string; rounds: number }; response: HashResult };
  /** What this worker has done since it started: a new worker starts from zero. */
  Stats: { request: Record<never, never>; response: HashStats };
  /** Throws from a timer, outside any request: the worker's uncaught error. */
  Crash: { request: Record<never, never>; response: never };
};

export interface HashResult {
  readonly hex: string;
  readonly rounds: number;
  /** Where the handler ran: 'Web Worker' when the global scope is a WorkerGlobalScope. */
  readonly ranIn: string;
}

export interface HashStats {
  /** A random name the worker picks as it starts, so the page can tell a replacement. */
  readonly worker: string;
  readonly completed: number;
  /** Hashes whose `context.signal` aborted inside the worker (a cancel, a timeout). */
  readonly aborted: number;
}

// Compile-time check that the definition has the shape spark-channel expects.
export type HashApiChecked = ModuleDefinition<HashApi>;
