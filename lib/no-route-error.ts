import { kNoRoute } from './internal/server/brands.js';

/**
 * A router has no route for a message's `type`. The message fails alone (a request rejects with
 * it, a command reports it on `errors$`), and it is also a `no-route` dead letter.
 *
 * @example
 * dispatcher.request({ type: 'Nope' }).catch((e) => e instanceof NoRouteError && console.warn(e.type));
 */
export class NoRouteError extends Error {
  override readonly name = 'NoRouteError';
  /** @internal */
  readonly [kNoRoute] = true;

  constructor(
    /** The `type` nobody routes. */
    readonly type: string,
    /** The types it does route, as shown in the message. */
    routed: string,
  ) {
    super(`No route for message type ${JSON.stringify(type)} (routed: ${routed})`);
  }
}
