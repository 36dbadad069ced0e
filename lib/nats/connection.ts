// The part of a `@nats-io/transport-node` connection this entry uses, stated structurally: a
// `NatsConnection` from `connect()` fits as it is. Importing the client's own types would tie
// the build (and users on `moduleResolution: node10`) to how that package lays out its types.

/**
 * A message's NATS headers (`MsgHdrs` of the client fits); docs/nats-wire.md lists the ones
 * spark-channel reads and writes: the wire version on every message, and `traceparent` /
 * `tracestate` with the option `tracing`.
 *
 * @example
 * nc.subscribe('users', {
 *   callback: (_error, msg: NatsMsg) => console.log(msg.headers?.get('Spark-Channel-Wire')), // "1"
 * });
 */
export interface NatsHeaders {
  /** The first value of header `key` (matched exactly); an empty string when it is absent (the client's convention). */
  get(key: string): string;
  /** Sets header `key` to `value`, replacing what it had (the client refuses a key or value it cannot send). */
  set(key: string, value: string): void;
}

/**
 * A received message, as the NATS client hands it to a subscription callback.
 *
 * @example
 * nc.subscribe('ping', {
 *   callback: (error, msg: NatsMsg) => error === null && msg.respond(jsonCodec.encode('pong')),
 * });
 */
export interface NatsMsg {
  readonly data: Uint8Array;
  readonly reply?: string;
  /** Its headers, when it has any. */
  readonly headers?: NatsHeaders | undefined;
  /** Publishes `data` (with `headers`) to the message's `reply` subject; `false` when there is none. */
  respond(data?: Uint8Array, options?: { headers?: NatsHeaders }): boolean;
}

/**
 * A subscription, as `nc.subscribe` returns it.
 *
 * @example
 * const sub: NatsSubscription = nc.subscribe('audit', { callback: (_error, msg) => audit(msg.data) });
 * await sub.drain(); // sub.isClosed() === true
 */
export interface NatsSubscription {
  /** Stops taking new messages, lets the callbacks of those received finish, then closes. */
  drain(): Promise<void>;
  /** Whether the subscription has ended (drained, unsubscribed, or its connection closed). */
  isClosed(): boolean;
}

/**
 * A NATS connection (`NatsConnection` of `@nats-io/transport-node`, or anything shaped like it).
 *
 * @example
 * const nc: NatsConnectionLike = await connect({ servers: '127.0.0.1:4222' }); // from @nats-io/transport-node
 * const users = natsDispatcher<UserMessage, User>(nc, 'users');
 */
export interface NatsConnectionLike {
  /** Subscribes `callback` to `subject`, in a queue group when `queue` is given. */
  subscribe(
    subject: string,
    options: { queue?: string; callback: (error: Error | null, msg: NatsMsg) => void },
  ): NatsSubscription;
  /**
   * Publishes `payload` (with `headers`) with a reply inbox and resolves with the first reply, or
   * rejects after `timeout` ms. The dispatcher always passes `options` (optional here only so that
   * the client's `request`, whose headers type is wider, fits).
   */
  request(
    subject: string,
    payload: Uint8Array,
    options?: { timeout: number; headers?: NatsHeaders },
  ): Promise<{ readonly data: Uint8Array; readonly headers?: NatsHeaders | undefined }>;
  /** Publishes `payload` (with `headers`) on `subject`, no reply expected. */
  publish(subject: string, payload: Uint8Array, options?: { headers?: NatsHeaders }): void;
  /** Resolves once the server has seen everything published so far. */
  flush(): Promise<void>;
  /** Whether the connection is closed. */
  isClosed(): boolean;
  /** Whether the connection is draining (closing after its subscriptions drained). */
  isDraining(): boolean;
}
