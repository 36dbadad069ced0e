import { type Observable, Subject } from 'rxjs';

import type { ProbeRequest, ProbeRequestStatus } from '../probe-message.js';
import { formatValue } from './format-value.js';

/**
 * A request held by the probe: the handler's pending answer, settled by the test (`reply`,
 * `fail`), by an auto-reply, or by the handler's signal (the caller gave up, or the probe
 * stopped).
 */
export class HeldRequest<M, R, E> implements ProbeRequest<M, R, E> {
  readonly kind = 'request';
  /**
   * What the handler returns to the server: emits the answer. An observable rather than a promise,
   * so a reply reaches the caller synchronously (marble tests under a TestScheduler see it at
   * the frame it was given).
   */
  readonly answer: Observable<R>;
  readonly #answer = new Subject<R>();
  #status: ProbeRequestStatus = 'pending';
  #reason: unknown;
  readonly #onAbort = (): void => this.#abort();
  readonly #isStopped: () => boolean;

  constructor(
    readonly message: M,
    readonly signal: AbortSignal,
    /** Whether the probe's server has stopped (a stop aborts the signal too). */
    isStopped: () => boolean,
  ) {
    this.#isStopped = isStopped;
    this.answer = this.#answer.asObservable();
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  get status(): ProbeRequestStatus {
    return this.#status;
  }

  reply(response: R): void {
    this.#settle('replied', 'reply to');
    this.#answer.next(response); // the server takes the first value and lets go
    this.#answer.complete();
  }

  fail(error: E): void {
    this.#settle('failed', 'fail');
    this.#answer.error(error);
  }

  /** Answered synchronously by an auto-reply: the handler returned (or threw) without `answer`. */
  markAnswered(status: 'replied' | 'failed'): void {
    this.#settle(status, status === 'replied' ? 'reply to' : 'fail');
  }

  #settle(status: 'replied' | 'failed', method: 'reply to' | 'fail'): void {
    if (this.#status !== 'pending') {
      throw new Error(
        `Cannot ${method} the request ${formatValue(this.message)}: it is already settled (${this.#explain()})`,
      );
    }
    this.#status = status;
    this.signal.removeEventListener('abort', this.#onAbort);
  }

  // Only while pending: settling removes this listener.
  #abort(): void {
    this.#status = this.#isStopped() ? 'stopped' : 'abandoned';
    this.#reason = this.signal.reason;
    // As a handler that honours its signal: give up too, so the next message can start.
    this.#answer.error(this.signal.reason);
  }

  #explain(): string {
    switch (this.#status) {
      case 'replied':
        return 'replied to already';
      case 'failed':
        return 'failed already';
      case 'abandoned':
        return `its caller gave up: ${formatValue(this.#reason)}`;
      default:
        return 'the probe stopped before it was answered';
    }
  }
}
