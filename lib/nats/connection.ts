// The part of a `@nats-io/transport-node` connection this entry uses, stated structurally: a
// `NatsConnection` from `connect()` fits as it is. Importing the client's own types would tie
// the build (and users on `moduleResolution: node10`) to how that package lays out its types.

/** A received message, as the NATS client hands it to a subscription callback. */
export interface NatsMsg {
  readonly data: Uint8Array;
  readonly reply?: string;
  respond(data?: Uint8Array): boolean;
}

/** A subscription, as `nc.subscribe` returns it. */
export interface NatsSubscription {
  drain(): Promise<void>;
  isClosed(): boolean;
}

/** A NATS connection (`NatsConnection` of `@nats-io/transport-node`, or anything shaped like it). */
export interface NatsConnectionLike {
  subscribe(
    subject: string,
    options: { queue?: string; callback: (error: Error | null, msg: NatsMsg) => void },
  ): NatsSubscription;
  request(
    subject: string,
    payload: Uint8Array,
    options: { timeout: number },
  ): Promise<{ readonly data: Uint8Array }>;
  publish(subject: string, payload: Uint8Array): void;
  flush(): Promise<void>;
  isClosed(): boolean;
  isDraining(): boolean;
}
