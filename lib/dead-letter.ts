/**
 * Why a message went nowhere:
 * - `refused`: the channel would not take it (`SEND_FAILED` when closed, `CHANNEL_FULL` from
 *   `trySend`, `RATE_LIMITED` from `trySendCommand`); the sender was told, with `error`.
 * - `dropped`: it was accepted but the server stopped before starting it.
 * - `late-reply`: the handler answered (`result`) after its caller had given up (timeout, signal,
 *   unsubscribe) or after the server had stopped.
 * - `no-route`: a router has no route for its `type`.
 * - `policy`: a supervision policy gave up, and the module stopped before starting it.
 *
 * @example
 * const byReason = new Map<DeadLetterReason, number>();
 * server.deadLetters$.subscribe(({ reason }) => byReason.set(reason, (byReason.get(reason) ?? 0) + 1));
 */
export type DeadLetterReason = 'refused' | 'dropped' | 'late-reply' | 'no-route' | 'policy';

/**
 * A message that went nowhere, as `channel.deadLetters$` (and `server.deadLetters$`) emit it.
 *
 * @example
 * server.deadLetters$.subscribe((d) => log.warn(`dead letter (${d.reason})`, d.message, d.error));
 */
export interface DeadLetter<M> {
  readonly reason: DeadLetterReason;
  readonly kind: 'request' | 'command';
  readonly message: M;
  /** Why: the refusal, the stop's `RECEIVE_FAILED`, the routing error, the policy's fatal error. */
  readonly error?: unknown;
  /** `late-reply` only: the answer nobody received. */
  readonly result?: { readonly ok: boolean; readonly value?: unknown; readonly error?: unknown };
}
