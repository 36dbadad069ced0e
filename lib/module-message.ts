import type { CallbackWrapper } from './callback-wrapper.js';
import type { SparkChannelCancellationToken } from './cancellation-token.js';
import type { Result } from './result.js';

/**
 * What travels on a module's channel, as the Rust crate's `SparkGenericModuleMessage` enum:
 * a `Request` (with its reply oneshot), a fire-and-forget `Command`, or a `Shutdown` carrying the
 * token the server cancels as it stops.
 *
 * @example
 * const command: SparkGenericModuleMessage<Msg, Reply> = SparkGenericModuleMessage.Command({ type: 'LogEvent', event: 'login' });
 * await channel.send(command);
 */
export type SparkGenericModuleMessage<M, R, C = SparkChannelCancellationToken, E = Error> =
  | { readonly type: 'Request'; readonly wrapper: CallbackWrapper<M, Result<R, E>> }
  | { readonly type: 'Command'; readonly message: M }
  | { readonly type: 'Shutdown'; readonly token: C };

/**
 * Value-level constructors mirroring the Rust enum variants.
 *
 * @example
 * await channel.send(SparkGenericModuleMessage.Command({ type: 'LogEvent', event: 'login' }));
 * await channel.send(SparkGenericModuleMessage.Shutdown(new SparkChannelCancellationToken()));
 */
export const SparkGenericModuleMessage = {
  /** A request: `wrapper` pairs the message with the oneshot its `Result` is sent on. */
  Request<M, R, E = Error>(
    wrapper: CallbackWrapper<M, Result<R, E>>,
  ): { readonly type: 'Request'; readonly wrapper: CallbackWrapper<M, Result<R, E>> } {
    return { type: 'Request', wrapper };
  },
  /** A fire-and-forget command. */
  Command<M>(message: M): { readonly type: 'Command'; readonly message: M } {
    return { type: 'Command', message };
  },
  /** An in-band shutdown: handled after everything sent before it; the server then cancels `token`. */
  Shutdown<C>(token: C): { readonly type: 'Shutdown'; readonly token: C } {
    return { type: 'Shutdown', token };
  },
} as const;
