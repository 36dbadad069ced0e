/**
 * Where a request the probe received stands:
 *
 * - `pending`: nobody has answered it yet: the caller is waiting;
 * - `replied` / `failed`: answered with `reply` / `fail` (or by `replyToRequests`);
 * - `abandoned`: the caller gave up first (its timeout or signal fired, or it unsubscribed);
 * - `stopped`: the probe stopped first, and the caller got `RECEIVE_FAILED`.
 *
 * @example
 * await jest.advanceTimersByTimeAsync(500); // past the caller's timeoutMs
 * expect(request.status).toBe('abandoned');
 */
export type ProbeRequestStatus = 'pending' | 'replied' | 'failed' | 'abandoned' | 'stopped';

/**
 * A request the probe received. Answer it with `reply` or `fail`, or leave it hanging to see what
 * the code under test does without an answer.
 *
 * @example
 * const request = await probe.expectRequest({ type: 'GetUser' });
 * expect(request.message.id).toBe(7);
 * request.reply({ type: 'User', name: 'Ada' });
 */
export interface ProbeRequest<M, R, E = Error> {
  readonly kind: 'request';
  readonly message: M;
  /**
   * The handler's `context.signal`: aborted when the caller gives up (timeout, abort,
   * unsubscribe) or the probe stops. The probe then settles the request itself, as a handler
   * that honours its signal would, so the next message can start.
   */
  readonly signal: AbortSignal;
  readonly status: ProbeRequestStatus;
  /**
   * Answers the request: the caller's promise resolves with `response`.
   *
   * @throws Error saying the request is already settled (answered, abandoned by its caller, or
   * stopped) when it is not `pending`.
   */
  reply(response: R): void;
  /**
   * Fails the request, as a throwing handler would: the caller's promise rejects with `error`,
   * unchanged, and the server's `errors$` reports it.
   *
   * @throws Error saying the request is already settled when it is not `pending`.
   */
  fail(error: E): void;
}

/**
 * A command the probe received.
 *
 * @example
 * const [first] = probe.received;
 * if (first?.kind === 'command') console.log(first.message);
 */
export interface ProbeCommand<M> {
  readonly kind: 'command';
  readonly message: M;
}

/**
 * One message the probe received, as `probe.received` lists them.
 *
 * @example
 * const statuses = probe.received.map((m) => (m.kind === 'request' ? m.status : 'command'));
 */
export type ProbeMessage<M, R, E = Error> = ProbeRequest<M, R, E> | ProbeCommand<M>;
