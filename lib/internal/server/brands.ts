// Symbol keys found on objects users can hold (a supervised handler, a router's NoRouteError):
// the server recognises them by key, so an unsupervised, unrouted server loads neither class.
// They are the only symbol-keyed members left; the channel's own protocol is its ChannelPort.

/** A supervised handler's decision hook (see supervise.ts). */
export const kFailed = Symbol('spark-channel.failed');
/** Brands a router's NoRouteError, so the server spots it without loading the class. */
export const kNoRoute = Symbol('spark-channel.noRoute');

/** What a supervised handler tells its server after a failure. */
export type SupervisionDecision =
  | { readonly action: 'ignore' }
  | { readonly action: 'restarted'; readonly restarts: number }
  | { readonly action: 'give-up'; readonly reason: string; readonly error: unknown };

export interface Supervised {
  [kFailed](error: unknown, message: unknown, now: number): SupervisionDecision;
}
