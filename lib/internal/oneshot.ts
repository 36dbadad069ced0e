import { AsyncSubject } from 'rxjs';

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
    super.complete();
    if (this.#done) return;
    this.#done = true;
    this.onSettle(this.#hasValue, this.#value);
  }
}
