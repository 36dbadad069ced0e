// internal/server: the module server's loop parts, and the features that meet it at its hooks.
import type { Job } from './job.js';

/**
 * The points where a feature meets the server loop (module-server.ts). A feature implements the
 * points it needs; the loop keeps each feature in an optional field and calls a point only when
 * the field is set, so a feature nobody uses costs one field read per message. Points run inside
 * the loop: they must not throw, and must not allocate per message.
 */
export interface ServerHooks {
  /** A message became a job, before its handler runs. */
  started?(job: Job): void;
  /** The job is settled (counted, reported, replied to): once per message. */
  settled?(job: Job): void;
  /** The handler failed (not a request its caller gave up on), after the reply was sent. */
  failed?(job: Job, error: unknown): void;
  /** The channel's counters changed (a message arrived, one left the queue). */
  woke?(): void;
  /** The server stopped: every job is settled and the channel is closed. Last point called. */
  stopped?(): void;
}
