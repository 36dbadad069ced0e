import type { AsyncSubject } from 'rxjs';

/**
 * The oneshot a request's reply travels on, as Tokio's `oneshot::Sender<V>`: the server calls
 * `next(result)` once, then `complete()`.
 *
 * @example
 * const reply: CallbackSender<Result<User, Error>> = new AsyncSubject();
 * const wrapper = new CallbackWrapper(msg, reply);
 * reply.next(ok(user)); reply.complete(); // the server's side: one value, then complete
 */
export type CallbackSender<V> = AsyncSubject<V>;

/**
 * A request message paired with the oneshot its reply goes to, and the caller's interest.
 *
 * The server never starts a request whose `signal` is already aborted; while the request runs,
 * that signal's abort reaches the handler's `context.signal`.
 *
 * @example
 * const reply = new AsyncSubject<Result<MyResponse, Error>>();
 * await channel.send(SparkGenericModuleMessage.Request(new CallbackWrapper(msg, reply)));
 * const result = await lastValueFrom(reply);
 */
export class CallbackWrapper<T, V> {
  readonly message: T;
  readonly sender: CallbackSender<V>;
  readonly #signal: AbortSignal | undefined;

  constructor(message: T, sender: CallbackSender<V>, signal?: AbortSignal) {
    this.message = message;
    this.sender = sender;
    this.#signal = signal;
  }

  /** The caller's interest: once aborted, the request is never started. */
  get signal(): AbortSignal | undefined {
    return this.#signal;
  }
}
