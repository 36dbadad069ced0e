/**
 * The private protocol between a channel, its server and its dispatchers. Symbol keys keep it
 * off the public surface (they are never exported from the package root).
 */
export const kAttach = Symbol('spark-channel.attach');
export const kTake = Symbol('spark-channel.take');
export const kClose = Symbol('spark-channel.close');
export const kOffer = Symbol('spark-channel.offer');
export const kWhenStopped = Symbol('spark-channel.whenStopped');
export const kIsStopped = Symbol('spark-channel.isStopped');
export const kRelease = Symbol('spark-channel.release');
export const kRefusedCount = Symbol('spark-channel.refusedCount');
export const kHasRoom = Symbol('spark-channel.hasRoom');
export const kOnStop = Symbol('spark-channel.onStop');
export const kWithdraw = Symbol('spark-channel.withdraw');
export const kDeadLetter = Symbol('spark-channel.deadLetter');
export const kDeadLetters = Symbol('spark-channel.deadLetters');
export const kTrace = Symbol('spark-channel.trace');
export const kWatched = Symbol('spark-channel.watched');
/** A supervised handler's decision hook (see supervise.ts): found by key, so an unsupervised server never loads it. */
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

/** The server side of a channel: told when a message may be waiting. */
export interface ChannelConsumer {
  wake(): void;
  /** Why this request must be refused at once (it could never be answered), if it must. */
  refusal(message: unknown): Error | undefined;
}

export const RESOLVED: Promise<void> = Promise.resolve();
