import { AsyncSubject } from 'rxjs';

import type { Result } from '../../result.js';
import { failure } from '../validate.js';

/**
 * A reply oneshot that hands its outcome to {@link settled} once it completes or errors: a real
 * `AsyncSubject` (anyone may still subscribe to it), sparing a subscription per request.
 */
export abstract class SettlingOneshot<V> extends AsyncSubject<V> {
  // Declared and assigned in the constructor, not class fields: V8 builds the subclass of a
  // class with field initializers at about half speed (measured: a RequestOneshot, one per timed
  // request, 80 against 45 ns). Not `#` for the same reason.
  declare private settledValue: V | undefined;
  declare private settledHasValue: boolean;
  declare private isSettled: boolean;

  constructor() {
    super();
    this.settledValue = undefined;
    this.settledHasValue = false;
    this.isSettled = false;
  }

  override next(value: V): void {
    if (!this.isSettled) {
      this.settledValue = value;
      this.settledHasValue = true;
    }
    super.next(value);
  }

  override error(error: unknown): void {
    super.error(error);
    if (this.isSettled) return;
    this.isSettled = true;
    this.settled(false, undefined, error);
  }

  override complete(): void {
    completeQuietly(this);
    if (this.isSettled) return;
    this.isSettled = true;
    this.settled(this.settledHasValue, this.settledValue);
  }

  /** Called once, with the last value (if any) on completion, or with the error. */
  protected abstract settled(hasValue: boolean, value: V | undefined, error?: unknown): void;
}

/** A {@link SettlingOneshot} whose outcome goes to a callback. */
export class Oneshot<V> extends SettlingOneshot<V> {
  declare private readonly onSettle: (hasValue: boolean, value: V | undefined, error?: unknown) => void;

  constructor(onSettle: (hasValue: boolean, value: V | undefined, error?: unknown) => void) {
    super();
    this.onSettle = onSettle;
  }

  protected settled(...outcome: [hasValue: boolean, value: V | undefined, error?: unknown]): void {
    this.onSettle(...outcome);
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
  // Declared, not class fields or `#` (one per request): see SettlingOneshot.
  declare private readonly resolve: (value: V) => void;
  declare private readonly reject: (error: unknown) => void;
  declare private result: Result<V, E> | undefined;

  constructor(resolve: (value: V) => void, reject: (error: unknown) => void) {
    super();
    this.resolve = resolve;
    this.reject = reject;
    this.result = undefined;
  }

  override next(result: Result<V, E>): void {
    if (this.result === undefined && !this.isStopped) this.result = result;
    super.next(result);
  }

  override error(error: unknown): void {
    super.error(error);
    this.reject(failure('RECEIVE_FAILED', 'The reply oneshot failed', error)); // a promise settles once
  }

  override complete(): void {
    completeQuietly(this);
    const result = this.result;
    if (result === undefined)
      this.reject(failure('RECEIVE_FAILED', 'The reply oneshot completed without an answer'));
    else if (result.ok) this.resolve(result.value);
    else this.reject(result.error);
  }
}
