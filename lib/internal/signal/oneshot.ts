import { AsyncSubject } from 'rxjs';

import type { Result } from '../../result.js';
import { failure } from '../validate.js';

/**
 * The dispatcher's own reply oneshot: a real `AsyncSubject` (anyone may still subscribe to it),
 * that also hands its outcome straight to the waiting call, sparing a subscription per request.
 */
export class Oneshot<V> extends AsyncSubject<V> {
  #value: V | undefined;
  #hasValue = false;
  #done = false;

  constructor(private readonly onSettle: (hasValue: boolean, value: V | undefined, error?: unknown) => void) {
    super();
  }

  override next(value: V): void {
    if (!this.#done) {
      this.#value = value;
      this.#hasValue = true;
    }
    super.next(value);
  }

  override error(error: unknown): void {
    super.error(error);
    if (this.#done) return;
    this.#done = true;
    this.onSettle(false, undefined, error);
  }

  override complete(): void {
    completeQuietly(this);
    if (this.#done) return;
    this.#done = true;
    this.onSettle(this.#hasValue, this.#value);
  }
}

/**
 * Completes an AsyncSubject. With no observer there is no one to notify: marking it stopped is
 * enough, and a late subscriber still gets the value and completion (AsyncSubject replays both
 * to anyone who subscribes once it is stopped). This spares the notification machinery on every
 * request, whose reply subject nobody but the dispatcher ever watches.
 */
function completeQuietly<V>(subject: AsyncSubject<V>): void {
  if (subject.observed) AsyncSubject.prototype.complete.call(subject);
  else subject.isStopped = true;
}

/**
 * The reply oneshot of a plain `request()` (no options): settles the caller's promise straight
 * from the server's answer, with no closure or subscription per request. Still a real
 * `AsyncSubject` for anyone who subscribes.
 */
export class PromiseOneshot<V, E> extends AsyncSubject<Result<V, E>> {
  #result: Result<V, E> | undefined;

  constructor(
    private readonly resolve: (value: V) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    super();
  }

  override next(result: Result<V, E>): void {
    if (this.#result === undefined && !this.isStopped) this.#result = result;
    super.next(result);
  }

  override error(error: unknown): void {
    super.error(error);
    this.reject(failure('RECEIVE_FAILED', 'The reply oneshot failed', error)); // a promise settles once
  }

  override complete(): void {
    completeQuietly(this);
    const result = this.#result;
    if (result === undefined)
      this.reject(failure('RECEIVE_FAILED', 'The reply oneshot completed without an answer'));
    else if (result.ok) this.resolve(result.value);
    else this.reject(result.error);
  }
}
