import type { Observable } from 'rxjs';

/**
 * What the server hands a handler beside each message.
 *
 * @example
 * async handleRequest(msg: GetUser, { signal }: HandlerContext): Promise<User> {
 *   return (await fetch(`/users/${msg.id}`, { signal })).json();
 * }
 */
export interface HandlerContext {
  /**
   * Aborted when this message's work is no longer wanted: the request's caller timed out,
   * aborted or unsubscribed, or the server was stopped. Pass it on to `fetch`, timers and
   * child work so they stop too.
   */
  readonly signal: AbortSignal;
}

/**
 * How a module server handles its messages, as the Rust crate's `SparkGenericModuleHandler`.
 * The server calls one method at a time (unless `concurrency` says otherwise), so a handler may
 * keep mutable state in `this` without locks.
 *
 * A method may return a value, a promise, or an observable: a request resolves with the
 * observable's first value; a command's observable is run to completion. Throwing, rejecting or
 * erroring fails that message only.
 *
 * @example
 * const handler: SparkGenericModuleHandler<MyMessage, MyResponse> = {
 *   handleRequest: (msg) => ({ type: 'Data', data: [1, 2, 3] }),
 *   handleCommand: (msg) => { console.log('event', msg); },
 * };
 */
// `E` names the error type the handler fails with; TypeScript cannot check what is thrown.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export interface SparkGenericModuleHandler<M, R, E = Error> {
  /**
   * Answers a request: the caller gets the value, the resolved value, or the observable's first
   * value. A throw, rejection or observable error rejects the caller with that same error and
   * is emitted on `errors$` with `kind: 'request'`.
   */
  handleRequest(request: M, context: HandlerContext): R | Promise<R> | Observable<R>;
  /**
   * Handles a fire-and-forget command; a returned observable is run to completion before the
   * next message. Failures never reach the sender: they go to `errors$` (`kind: 'command'`)
   * and to the server's logger.
   */
  handleCommand(command: M, context: HandlerContext): void | Promise<void> | Observable<unknown>;
}
