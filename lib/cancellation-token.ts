import { AsyncSubject, type Observable } from 'rxjs';

/**
 * The loose cancellation contract of the Rust crate: anything with `cancel()`. A module's token
 * type `C` only has to satisfy this; the server calls `cancel()` when it handles a Shutdown.
 */
export interface SparkChannelCancellationTrait {
  cancel(): void;
}

/**
 * A cancellation token, as Tokio's `CancellationToken`: cancel it once, observe it as an
 * Observable (`cancelled$`), as an `AbortSignal` (`signal`) or by polling (`isCancelled`).
 *
 * @example
 * const token = new SparkChannelCancellationToken();
 * token.cancelled$.subscribe(() => console.log('module stopped'));
 * await dispatcher.shutdown(token); // the server cancels it as it stops
 */
export class SparkChannelCancellationToken implements SparkChannelCancellationTrait {
  // AsyncSubject: one value on completion, replayed to late subscribers.
  readonly #cancelled = new AsyncSubject<void>();
  readonly #controller = new AbortController();
  #children: Set<SparkChannelCancellationToken> | undefined;
  #detach: (() => void) | undefined;

  /** Emits once when the token is cancelled, then completes; a late subscriber still gets it. */
  readonly cancelled$: Observable<void> = this.#cancelled.asObservable();

  /** Aborted when the token is cancelled. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get isCancelled(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Cancels the token and its children. Idempotent. */
  cancel(): void {
    if (this.isCancelled) return;
    this.#detach?.();
    this.#detach = undefined;
    this.#controller.abort();
    this.#cancelled.next();
    this.#cancelled.complete();
    const children = this.#children;
    this.#children = undefined;
    children?.forEach((child) => child.cancel());
  }

  /**
   * A token cancelled when this one is; cancelling the child leaves this one alone.
   *
   * @example
   * const perRequest = appToken.child(); // app shutdown cancels every request token
   */
  child(): SparkChannelCancellationToken {
    const child = new SparkChannelCancellationToken();
    if (this.isCancelled) {
      child.cancel();
      return child;
    }
    const children = (this.#children ??= new Set());
    children.add(child);
    // A cancelled child must not stay reachable from a long-lived parent.
    child.#detach = () => children.delete(child);
    return child;
  }
}
