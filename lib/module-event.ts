/**
 * How a message ended: answered, failed, or given up on by its caller (timeout or signal).
 *
 * @example
 * const counts: Record<MessageOutcome, number> = { ok: 0, error: 0, timeout: 0, cancelled: 0 };
 * server.events$.subscribe((e) => { if (e.type === 'settled') counts[e.outcome]++; });
 */
export type MessageOutcome = 'ok' | 'error' | 'timeout' | 'cancelled';

/**
 * What every per-message event says about its message.
 *
 * @example
 * const describe = (e: MessageEventBase<Msg>) => `#${e.id} ${e.kind} ${e.message.type} at ${e.at} ms`;
 */
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

/**
 * The channel took the message in (after waiting for room, if it had to).
 *
 * @example
 * server.events$
 *   .pipe(filter((e): e is MessageAcceptedEvent<Msg> => e.type === 'accepted'))
 *   .subscribe((e) => pending.set(e.id, e.message));
 */
export interface MessageAcceptedEvent<M> extends MessageEventBase<M> {
  readonly type: 'accepted';
}

/**
 * A handler began on the message.
 *
 * @example
 * server.events$
 *   .pipe(filter((e): e is MessageStartedEvent<Msg> => e.type === 'started'))
 *   .subscribe((e) => queueWait.record(e.queuedMs ?? 0, { kind: e.kind }));
 */
export interface MessageStartedEvent<M> extends MessageEventBase<M> {
  readonly type: 'started';
  /** Time from acceptance to start; `undefined` when the acceptance was not seen. */
  readonly queuedMs: number | undefined;
}

/**
 * The message is over. `error` is the handler's error (`outcome: 'error'`), the library's
 * `SparkChannelError` (a stop, a refusal) or the caller's `TIMEOUT`/`CANCELLED`.
 *
 * @example
 * server.events$
 *   .pipe(filter((e): e is MessageSettledEvent<Msg> => e.type === 'settled'))
 *   .subscribe((e) => histogram.record(e.handlingMs ?? 0, { outcome: e.outcome }));
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

/**
 * A supervised module rebuilt its handler after a fatal failure (see `supervise`).
 *
 * @example
 * server.events$
 *   .pipe(filter((e): e is ModuleRestartedEvent => e.type === 'restarted'))
 *   .subscribe((e) => log.warn(`restart ${e.restarts} in the window`, e.error));
 */
export interface ModuleRestartedEvent {
  readonly type: 'restarted';
  readonly at: number;
  /** The fatal error that caused it. */
  readonly error: unknown;
  /** Restarts within the policy's current window, this one included. */
  readonly restarts: number;
}

/**
 * The server stopped; the last event of the stream.
 *
 * @example
 * server.events$
 *   .pipe(filter((e): e is ModuleStoppedEvent => e.type === 'stopped'))
 *   .subscribe((e) => log.info(`module stopped: ${e.reason}`, e.error));
 */
export interface ModuleStoppedEvent {
  readonly type: 'stopped';
  readonly at: number;
  /** Why, in words: "the module server shut down", "the module server was stopped", … */
  readonly reason: string;
  /** The error behind it, when a supervision policy gave up. */
  readonly error?: unknown;
}

/**
 * A per-message lifecycle event.
 *
 * @example
 * server.events$
 *   .pipe(filter((e): e is MessageEvent<Msg> => 'id' in e))
 *   .subscribe((e) => timeline.push({ id: e.id, type: e.type, at: e.at }));
 */
export type MessageEvent<M> = MessageAcceptedEvent<M> | MessageStartedEvent<M> | MessageSettledEvent<M>;

/**
 * What `server.events$` emits: per message `accepted` → `started` → `settled` (a message given up
 * on or dropped before it started goes `accepted` → `settled`; one given up on or refused while
 * waiting for room in a full channel was never accepted, and has `settled` only), and per module
 * `restarted` and `stopped`.
 *
 * @example
 * server.events$.subscribe((e: ModuleEvent<Msg>) => {
 *   if (e.type === 'settled') histogram.record(e.handlingMs ?? 0, { outcome: e.outcome });
 *   else if (e.type === 'stopped') log.info(`stopped: ${e.reason}`);
 * });
 */
export type ModuleEvent<M> = MessageEvent<M> | ModuleRestartedEvent | ModuleStoppedEvent;
