// Per token: an AsyncSubject, an AbortController (and its signal), the cancelled$ Observable.
// Per child, besides: a WeakRef and a FinalizationRegistry cell in its parent, and a WeakMap
// entry tying its signal to it.
import { AsyncSubject, Observable, type Subscription } from 'rxjs';

/**
 * The loose cancellation contract of the Rust crate: anything with `cancel()`. A module's token
 * type `C` only has to satisfy this; the server calls `cancel()` when it handles a Shutdown.
 *
 * @example
 * const controller = new AbortController();
 * const token: SparkChannelCancellationTrait = { cancel: () => controller.abort() };
 * await dispatcher.shutdown(token); // a SparkGenericModuleDispatcher<M, R, SparkChannelCancellationTrait>
 */
export interface SparkChannelCancellationTrait {
  /** Called once by the server as it handles a Shutdown carrying this token; it should be idempotent. */
  cancel(): void;
}

/** @internal How many children a token still records (the tests' window on its bookkeeping). */
export const kChildCount = Symbol('spark-channel.childCount');

/**
 * A child's signal keeps its token alive: whoever holds only `child.signal` (fetch does) must
 * still see it abort when the parent is cancelled, and the parent reaches the child only
 * through a WeakRef. An ephemeron, so nothing is added to the signal itself.
 */
const owners = new WeakMap<AbortSignal, SparkChannelCancellationToken>();

let isToken: (value: unknown) => boolean;
let watchToken: (token: SparkChannelCancellationToken, onCancel: () => void) => Subscription;

/** Calls `onCancel` when `token` (a real one, see {@link isCancellationToken}) is cancelled. */
export function onTokenCancelled(token: SparkChannelCancellationToken, onCancel: () => void): Subscription {
  return watchToken(token, onCancel);
}

/** Whether `value` is a real token of this copy of the library (never a Proxy of one). */
export function isCancellationToken(value: unknown): value is SparkChannelCancellationToken {
  return isToken(value);
}

/**
 * A cancellation token, as Tokio's `CancellationToken`: cancel it once, observe it as an
 * Observable (`cancelled$`), as an `AbortSignal` (`signal`) or by polling (`isCancelled`).
 *
 * A child (`child()`) that is never cancelled does not stay reachable from its parent once
 * nothing can observe it, as Tokio drops a child token's registration with the token: the
 * per-request child idiom leaks nothing. While its `signal` is held or its `cancelled$` has a
 * subscriber, its parent still cancels it.
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

  static {
    // A private-field check, not `instanceof`: a Proxy of a token passes `instanceof`, then
    // throws on every read.
    isToken = (value) => typeof value === 'object' && value !== null && #controller in value;
    // Through the private field: a subclass may have replaced the public `cancelled$`.
    watchToken = (token, onCancel) => token.#cancelled$.subscribe(onCancel);
  }
  /** Every child not yet cancelled, weakly: a child nobody can observe any more may be collected. */
  #children: Set<WeakRef<SparkChannelCancellationToken>> | undefined;
  /** Forgets the WeakRefs of collected children, so the set does not grow with dead ones. */
  #registry: FinalizationRegistry<WeakRef<SparkChannelCancellationToken>> | undefined;
  /** The children held strongly: those with cancelled$ subscribers, or such descendants. */
  #pinned: Set<SparkChannelCancellationToken> | undefined;
  /** Subscribers of cancelled$, plus pinned children: while above 0, the parent pins this one. */
  #holds = 0;
  #parent: SparkChannelCancellationToken | undefined;
  #ref: WeakRef<SparkChannelCancellationToken> | undefined;
  /** Whether `owners` ties the signal to this token: done when the signal is first handed out. */
  #signalOwned = false;

  readonly #cancelled$ = new Observable<void>((subscriber) => {
    // A subscriber only holds the subject: while one waits, the token must stay reachable from
    // its parent, or nobody would be left to cancel it.
    const counted = !this.isCancelled;
    if (counted) this.#retain();
    this.#cancelled.subscribe(subscriber);
    return counted ? () => this.#release() : undefined;
  });

  /** Emits once when the token is cancelled, then completes; a late subscriber still gets it. */
  readonly cancelled$: Observable<void> = this.#cancelled$;

  /** Aborted when the token is cancelled. */
  get signal(): AbortSignal {
    const signal = this.#controller.signal;
    // Only a signal handed out needs tying; a child whose signal nobody asked for makes none.
    if (!this.#signalOwned && this.#parent !== undefined) {
      this.#signalOwned = true;
      owners.set(signal, this);
    }
    return signal;
  }

  /** Whether `cancel()` was called on this token or on one of its ancestors. */
  get isCancelled(): boolean {
    return this.#controller.signal.aborted;
  }

  /** @internal */
  get [kChildCount](): number {
    return this.#children?.size ?? 0;
  }

  /** Cancels the token and its children. Idempotent. */
  cancel(): void {
    if (this.isCancelled) return;
    this.#detach();
    this.#controller.abort();
    this.#cancelled.next();
    this.#cancelled.complete();
    const children = this.#children;
    this.#children = undefined;
    this.#registry = undefined;
    this.#pinned = undefined;
    children?.forEach((ref) => ref.deref()?.cancel());
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
    const ref = new WeakRef(child);
    (this.#children ??= new Set()).add(ref);
    const children = this.#children;
    // No unregister token: V8 keeps the table of those at its peak size for good (4 MB after
    // 100,000 children). A cancelled child leaves the set itself; its cell goes when it does.
    (this.#registry ??= new FinalizationRegistry((dead) => children.delete(dead))).register(child, ref);
    child.#parent = this;
    child.#ref = ref;
    return child;
  }

  /** Leaves the parent for good: a cancelled child must not stay reachable from a long-lived one. */
  #detach(): void {
    const parent = this.#parent;
    if (parent === undefined) return;
    const ref = this.#ref as WeakRef<SparkChannelCancellationToken>;
    this.#parent = undefined;
    this.#ref = undefined;
    parent.#children?.delete(ref);
    if (this.#holds > 0) parent.#unpin(this);
    if (this.#signalOwned) owners.delete(this.#controller.signal);
  }

  #retain(): void {
    const parent = this.#parent;
    if (this.#holds++ === 0 && parent !== undefined) parent.#pin(this);
  }

  #release(): void {
    const parent = this.#parent;
    if (--this.#holds === 0 && parent !== undefined) parent.#unpin(this);
  }

  #pin(child: SparkChannelCancellationToken): void {
    (this.#pinned ??= new Set()).add(child);
    this.#retain(); // a pinned child pins this one in turn, up to the root
  }

  #unpin(child: SparkChannelCancellationToken): void {
    if (this.#pinned?.delete(child) === true) this.#release();
  }
}
