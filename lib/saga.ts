import { type Observable, Subscription } from 'rxjs';

import { checkOptions, readable } from './internal/validate.js';

/**
 * `saga` options.
 *
 * @example
 * const options: SagaOptions = { onError: (error) => log.error('saga failed', error), resubscribe: true };
 */
export interface SagaOptions {
  /** Told of every error of the pipeline; `console.error` by default. A throwing `onError` is ignored. */
  onError?: (error: unknown) => void;
  /** Subscribe again after an error (the default), or end the saga. */
  resubscribe?: boolean;
}

/**
 * Runs an RxJS pipeline from events to commands and requests (a saga, as in @nestjs/cqrs) and
 * keeps it alive: an error is reported to `onError` and the pipeline is subscribed again, so the
 * next event goes through it (or, with `resubscribe: false`, the saga ends). It stops with the
 * bus: `bus.close()` completes the `on(...)` streams it is built on, so it completes once its
 * step in flight has finished, and is not subscribed again. Unsubscribe the returned
 * Subscription to stop it yourself.
 *
 * A pipeline that fails while it is being subscribed (before any later event) is not subscribed
 * again — it would fail the same way, forever (a replayed event that fails does this) — and the
 * saga ends, reported.
 *
 * @throws TypeError naming `source` when it is not an Observable, `options` / `onError` when they
 * are not an object / a function.
 *
 * @example
 * saga(
 *   bus.on('OrderPlaced').pipe(
 *     map((event) => ({ type: 'Reserve' as const, orderId: event.orderId })),
 *     commandVia(stock.dispatcher),
 *   ),
 *   { onError: (error) => log.error('reservation saga', error) },
 * );
 */
export function saga(source: Observable<unknown>, options?: SagaOptions): Subscription {
  const subscribe = readable('source', () => (source as { subscribe?: unknown } | null)?.subscribe);
  if (typeof subscribe !== 'function') {
    throw new TypeError('Expected `source` to be an Observable (a pipeline built on bus.on(...))');
  }
  checkOptions('options', options);
  const { onError = defaultReport, resubscribe = true } = readable('options', () => options ?? {});
  if (typeof onError !== 'function') throw new TypeError('Expected `onError` to be a function');
  return new Saga(source, onError, resubscribe !== false).start();
}

function defaultReport(error: unknown): void {
  console.error('spark-channel saga: the pipeline failed', error);
}

class Saga {
  readonly #source: Observable<unknown>;
  readonly #onError: (error: unknown) => void;
  readonly #resubscribe: boolean;
  readonly #outer: Subscription;
  #current: Subscription | undefined;

  constructor(source: Observable<unknown>, onError: (error: unknown) => void, resubscribe: boolean) {
    this.#source = source;
    this.#onError = onError;
    this.#resubscribe = resubscribe;
    // The handle the caller holds (`closed` once the saga has ended): unsubscribing it ends
    // whichever subscription of the pipeline runs now.
    this.#outer = new Subscription(() => this.#current?.unsubscribe());
  }

  start(): Subscription {
    this.#run();
    return this.#outer;
  }

  #run(): void {
    let subscribing = true;
    let failedWhileSubscribing = false;
    this.#current = this.#source.subscribe({
      error: (error: unknown) => {
        this.#report(error);
        if (!this.#resubscribe || this.#outer.closed) return this.#outer.unsubscribe();
        if (subscribing) failedWhileSubscribing = true;
        else this.#run();
      },
      complete: () => this.#outer.unsubscribe(),
    });
    subscribing = false;
    if (failedWhileSubscribing) this.#outer.unsubscribe();
  }

  #report(error: unknown): void {
    try {
      this.#onError(error);
    } catch {
      // A reporter that throws must not end the saga it reports on.
    }
  }
}
