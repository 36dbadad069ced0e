/** How a message ended: answered, failed, or given up on by its caller (timeout or signal). */
export type MessageOutcome = 'ok' | 'error' | 'timeout' | 'cancelled';

/** What every per-message event says about its message. */
export interface MessageEventBase<M> {
  /**
   * Numbers the messages of one server that were sent while it was observed (`events$` or an
   * `instrument`), from 1, in the order they were sent, with no gap: a message sent while nobody
   * observes takes no number.
   */
  readonly id: number;
  readonly kind: 'request' | 'command';
  readonly message: M;
  /** When it happened, in milliseconds on the module's clock (see `ModuleServerOptions.scheduler`). */
  readonly at: number;
}

/** The channel took the message in (after waiting for room, if it had to). */
export interface MessageAcceptedEvent<M> extends MessageEventBase<M> {
  readonly type: 'accepted';
}

/** A handler began on the message. */
export interface MessageStartedEvent<M> extends MessageEventBase<M> {
  readonly type: 'started';
  /** Time from acceptance to start; `undefined` when the acceptance was not seen. */
  readonly queuedMs: number | undefined;
}

/**
 * The message is over. `error` is the handler's error (`outcome: 'error'`), the library's
 * `SparkChannelError` (a stop, a refusal) or the caller's `TIMEOUT`/`CANCELLED`.
 */
export interface MessageSettledEvent<M> extends MessageEventBase<M> {
  readonly type: 'settled';
  readonly outcome: MessageOutcome;
  readonly error?: unknown;
  /** Time from acceptance to start (or to the end, for a message that never started). */
  readonly queuedMs: number | undefined;
  /** Time the handler took; `undefined` when it never started. */
  readonly handlingMs: number | undefined;
}

/** A supervised module rebuilt its handler after a fatal failure (see `supervise`). */
export interface ModuleRestartedEvent {
  readonly type: 'restarted';
  readonly at: number;
  /** The fatal error that caused it. */
  readonly error: unknown;
  /** Restarts within the policy's current window, this one included. */
  readonly restarts: number;
}

/** The server stopped; the last event of the stream. */
export interface ModuleStoppedEvent {
  readonly type: 'stopped';
  readonly at: number;
  /** Why, in words: "the module server shut down", "the module server was stopped", … */
  readonly reason: string;
  /** The error behind it, when a supervision policy gave up. */
  readonly error?: unknown;
}

/** A per-message lifecycle event. */
export type MessageEvent<M> = MessageAcceptedEvent<M> | MessageStartedEvent<M> | MessageSettledEvent<M>;

/**
 * What `server.events$` emits: per message `accepted` → `started` → `settled` (a message given up
 * on or dropped before it started goes `accepted` → `settled`; one given up on or refused while
 * waiting for room in a full channel was never accepted, and has `settled` only), and per module
 * `restarted` and `stopped`.
 */
export type ModuleEvent<M> = MessageEvent<M> | ModuleRestartedEvent | ModuleStoppedEvent;
