// An event bus whose events travel over NATS: one subject per event type, `<prefix>.<type>`. Each
// bus makes one wildcard subscription (`<prefix>.>`, in a queue group when asked) at its first
// local subscriber, and hands every well-formed event it receives to a local `createEventBus`,
// which does the fan-out to this process's observers and module subscribers with its own rules.
// Per event received: one decode, one read of `type`, the local publish (see lib/event-bus.ts).
import { Observable, Subject } from 'rxjs';

import {
  createEventBus,
  type EventBus,
  type EventMap,
  type EventOf,
  type EventOverflow,
} from '../event-bus.js';
import type { SparkGenericModuleDispatcher } from '../dispatcher.js';
import { RESOLVED } from '../internal/reply.js';
import { checkOptions, describe, failure, readable } from '../internal/validate.js';
import type { ModuleServerLogger } from '../module-server.js';
import type { SparkChannelError } from '../spark-channel-error.js';
import { jsonCodec, type NatsCodec, NatsPayloadError } from './codec.js';
import type { WireOperation, WireTracing } from '../wire-tracing.js';
import type { NatsHeaders, NatsSubscription } from './connection.js';
import type { DurableEvents, DurableEventSubscription } from './durable-events.js';
import { checkTracing, traceReceive, traceSend } from './trace-headers.js';
import { describeThrown, encodeBytes, WIRE_HEADERS, wireMismatch } from './wire.js';

/**
 * A message as the event bus reads it: the client's `Msg` fits.
 *
 * @example
 * nc.subscribe('shop.>', {
 *   callback: (_error, msg: NatsEventMsg) => console.log(msg.subject, jsonCodec.decode(msg.data)),
 * });
 */
export interface NatsEventMsg {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Its headers, when it has any. */
  readonly headers?: NatsHeaders | undefined;
}

/**
 * The part of a NATS connection {@link natsEventBus} uses: a `NatsConnection` of
 * `@nats-io/transport-node` fits as it is (as it fits `NatsConnectionLike`).
 *
 * @example
 * const nc: NatsEventConnection = await connect({ servers: '127.0.0.1:4222' }); // from @nats-io/transport-node
 * const bus = natsEventBus<ShopEvents>(nc, { prefix: 'shop' });
 */
export interface NatsEventConnection {
  /** Subscribes `callback` to `subject` (a wildcard under the bus's prefix). */
  subscribe(
    subject: string,
    options: { queue?: string; callback: (error: Error | null, msg: NatsEventMsg) => void },
  ): NatsSubscription;
  /** Publishes an event's `payload` (with `headers`) on `subject`, no reply expected. */
  publish(subject: string, payload: Uint8Array, options?: { headers?: NatsHeaders }): void;
  /** Resolves once the server has seen everything published so far. */
  flush(): Promise<void>;
  /** Whether the connection is closed. */
  isClosed(): boolean;
  /** Whether the connection is draining (closing after its subscriptions drained). */
  isDraining(): boolean;
}

/**
 * Options of {@link natsEventBus}.
 *
 * @example
 * const options: NatsEventBusOptions = { prefix: 'shop', queue: 'billing', guard: (e) => e.type !== 'Debug' };
 * const bus = natsEventBus<ShopEvents>(nc, options);
 */
export interface NatsEventBusOptions {
  /** The subjects' first token(s): an event of type `T` is published on `<prefix>.T`. Required. */
  prefix: string;
  /**
   * A queue group: buses with the same `queue` (the replicas of one service) share each event —
   * NATS hands it to one of them. Without it (the default) every bus gets every event (fan-out).
   */
  queue?: string;
  /** Default: {@link jsonCodec}; every bus on the prefix must use the same. */
  codec?: NatsCodec;
  /** As `createEventBus`'s: a new local observer first gets the last `replay` events received of its types. */
  replay?: number;
  /**
   * Checks each received event (decoded, its `type` a string naming its subject) before any local
   * subscriber sees it: return `true` to accept it, anything else refuses it. A refused event (or a guard that throws) is
   * reported on `errors$` as a {@link NatsPayloadError}. The payload came from the network.
   */
  guard?(this: void, event: { readonly type: string }): boolean;
  /** Where a refused payload is reported while nobody subscribes to `errors$`. Default: `console`. */
  logger?: Pick<ModuleServerLogger, 'error'>;
  /**
   * Carries the publisher's trace to every receiving bus in the event's headers (`traceparent`,
   * `tracestate`): a PRODUCER span per publish, a CONSUMER span per event received, in which the
   * local subscribers run. `openTelemetryWire()` from `spark-channel/otel`; needs `headers`.
   * With `durable`, the trace context is stored with the event: a bus that reads it later from
   * the stream continues the publisher's trace, and the PRODUCER span lasts until it was stored.
   */
  tracing?: WireTracing;
  /** The client's `headers` function (`import { headers } from '@nats-io/transport-node'`), for `tracing`. */
  headers?: () => NatsHeaders;
  /**
   * A durable subscription (`jetStreamEvents()` of `spark-channel/nats/jetstream`): events are
   * kept in a stream and this bus's durable consumer gets every one at least once, across
   * restarts; `publish` resolves once the stream stored the event. Default: none (at most once).
   */
  durable?: DurableEvents;
}

/**
 * An event bus over NATS: the surface of the local `EventBus` (so it can stand where one is
 * expected), with `errors$`, `flush()`, and a `close()` that drains. See docs/events.md, "Over NATS".
 *
 * @example
 * const bus: NatsEventBus<ShopEvents> = natsEventBus(nc, { prefix: 'shop' });
 * bus.on('OrderPlaced').subscribe((event) => console.log(event.orderId));
 * await bus.publish({ type: 'OrderPlaced', orderId: 'o-1', total: 20 });
 */
export interface NatsEventBus<Ev extends EventMap> {
  /**
   * Publishes `event` on `<prefix>.<type>`. Resolves once the connection has taken it: core NATS
   * delivers **at most once**, so an event nobody subscribes to is lost, silently. Subscribers
   * in this process get it too (through the server), as every subscribing process does.
   *
   * Rejects with `SEND_FAILED` once the bus is closed, or when the connection is closed or
   * draining; with a `TypeError` naming `event` for an event that is no object with a string
   * `type`, a `RangeError` naming `event.type` when the type cannot be a subject token (empty,
   * whitespace, `*`, `>`, an empty token); with the codec's error when it cannot encode the event.
   *
   * @example
   * await bus.publish({ type: 'OrderPlaced', orderId: 'o-1', total: 20 });
   */
  publish(event: EventOf<Ev>): Promise<void>;
  /**
   * As {@link NatsEventBus.publish}, throwing instead of rejecting. Over NATS nothing waits
   * anyway: no remote subscriber can hold a publish back.
   *
   * @example
   * bus.tryPublish({ type: 'PriceTicked', price: 101 });
   */
  tryPublish(event: EventOf<Ev>): void;
  /**
   * A hot Observable of the events of `type` (or of several types) this bus receives. Its first
   * subscriber (or the bus's first of any kind) makes the NATS subscription; `await bus.flush()`
   * to know it reached the server. Completes on `close()`; errors with `RECEIVE_FAILED` when the
   * subscription cannot be made (the connection is closed).
   *
   * @throws TypeError / RangeError naming `type`, as `EventBus.on`.
   *
   * @example
   * bus.on('OrderPlaced').subscribe((event) => console.log(event.orderId));
   */
  on<K extends keyof Ev>(type: K | readonly K[]): Observable<EventOf<Ev, K>>;
  /**
   * Every event this bus receives, hot. Completes on `close()`.
   *
   * @example
   * bus.events$.subscribe((event) => audit.push(event.type));
   */
  readonly events$: Observable<EventOf<Ev>>;
  /**
   * Delivers every event of `type` this bus receives into a module's mailbox, as a command, with
   * the local bus's rules (`toCommand`, `overflow`, order, a stopped module leaving with a dead
   * letter). Makes the NATS subscription if this is the bus's first subscriber.
   *
   * @throws what `EventBus.subscribe` throws for bad arguments; `RECEIVE_FAILED` when the
   * subscription cannot be made (the connection is closed).
   *
   * @example
   * bus.subscribe('OrderPlaced', stock.dispatcher, (e) => ({ type: 'Reserve' as const, orderId: e.orderId }));
   */
  subscribe<K extends keyof Ev, M>(
    type: K | readonly K[],
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as EventBus.subscribe: any C and E
    dispatcher: SparkGenericModuleDispatcher<M, unknown, any, any> | { sendCommand(m: M): Promise<void> },
    toCommand?: (event: EventOf<Ev, K>) => M,
    options?: { overflow?: EventOverflow },
  ): {
    /** Removes this subscription: later events no longer reach the module. Idempotent. */
    unsubscribe(): void;
  };
  /**
   * Payloads refused on arrival — bytes the codec cannot decode, a value that is no event, a
   * `type` that does not name its subject, an event the `guard` refused — as
   * {@link NatsPayloadError} (its `payload` holds the bytes); and `RECEIVE_FAILED` when the server
   * reports the subscription failed (a permission). Each costs that payload only. Completes on `close()`.
   *
   * @example
   * bus.errors$.subscribe((error) => console.warn('event refused', error.message));
   */
  readonly errors$: Observable<NatsPayloadError | SparkChannelError>;
  /**
   * Resolves once the server has everything this bus sent so far: its subscription and its
   * publishes. Rejects with `SEND_FAILED` when the connection is closed.
   *
   * @example
   * bus.on('OrderPlaced').subscribe(render);
   * await bus.flush(); // events published anywhere from now on reach `render`
   */
  flush(): Promise<void>;
  /**
   * Closes the bus: completes every stream (`on`, `events$`, `errors$`), removes every module
   * subscriber (handed events stay with their modules), drains the NATS subscription and flushes
   * what was published. A later `publish` rejects with `SEND_FAILED`. The connection stays open.
   * Idempotent: every call returns the same promise.
   *
   * @example
   * await bus.close();
   */
  close(): Promise<void>;
}

/**
 * Creates an event bus over NATS on `connection`: each event of type `T` is published on the
 * subject `<prefix>.T`; every bus subscribing to the prefix gets every event (fan-out), except
 * that buses sharing a `queue` share them (each event goes to one of them). In each process, a
 * local `createEventBus` hands what arrives to the observers and module subscribers.
 *
 * Core NATS delivers **at most once**: an event published while no bus subscribes, or in flight
 * when a connection drops, is lost. A payload that cannot be read as an event is refused,
 * reported on `errors$`, never delivered and never a crash.
 *
 * @throws TypeError naming `connection`, `options`, `prefix`, `queue`, `codec`, `guard` or
 * `logger`; RangeError naming `prefix` or `queue` when it cannot be a subject (or queue) name.
 *
 * @example
 * const nc = await connect({ servers: '127.0.0.1:4222' });
 * const bus = natsEventBus<ShopEvents>(nc, { prefix: 'shop', queue: 'billing' });
 * bus.subscribe('OrderPlaced', billing.dispatcher);
 */
export function natsEventBus<Ev extends EventMap>(
  connection: NatsEventConnection,
  options: NatsEventBusOptions,
): NatsEventBus<Ev> {
  if (
    typeof connection !== 'object' ||
    connection === null ||
    typeof readable('connection', () => (connection as { subscribe?: unknown }).subscribe) !== 'function' ||
    typeof readable('connection', () => (connection as { publish?: unknown }).publish) !== 'function'
  ) {
    throw new TypeError(`Expected \`connection\` to be a NATS connection, got ${describe(connection)}`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object with a \`prefix\`, got ${describe(options)}`);
  }
  checkOptions('options', options);
  const prefix = readable('options', () => options.prefix) as unknown;
  if (typeof prefix !== 'string') {
    throw new TypeError(`Expected \`prefix\` to be a string, got ${describe(prefix)}`);
  }
  if (!isSubject(prefix)) {
    throw new RangeError(
      `Expected \`prefix\` to be a subject of literal tokens (no spaces, "*" or ">"), got ${describe(prefix)}`,
    );
  }
  const queue = readable('options', () => options.queue) as unknown;
  if (queue !== undefined && typeof queue !== 'string') {
    throw new TypeError(`Expected \`queue\` to be a string, got ${describe(queue)}`);
  }
  if (queue !== undefined && !/^[^\s*>]+$/.test(queue)) {
    throw new RangeError(
      `Expected \`queue\` to be a queue group name (no spaces, "*" or ">"), got ${describe(queue)}`,
    );
  }
  const codec = (readable('options', () => options.codec) as unknown) ?? jsonCodec;
  if (
    typeof codec !== 'object' ||
    codec === null ||
    typeof (codec as Partial<NatsCodec>).encode !== 'function' ||
    typeof (codec as Partial<NatsCodec>).decode !== 'function'
  ) {
    throw new TypeError(`Expected \`codec\` to have encode and decode methods, got ${describe(codec)}`);
  }
  const guard = readable('options', () => options.guard) as unknown;
  if (guard !== undefined && typeof guard !== 'function') {
    throw new TypeError(`Expected \`guard\` to be a function, got ${describe(guard)}`);
  }
  const logger = (readable('options', () => options.logger) as unknown) ?? console;
  if (typeof (logger as { error?: unknown } | null)?.error !== 'function') {
    throw new TypeError(`Expected \`logger\` to have an error method, got ${describe(logger)}`);
  }
  const traced = checkTracing(
    readable('options', () => options.tracing),
    readable('options', () => options.headers),
    true,
  );
  const durable = readable('options', () => options.durable) as Partial<DurableEvents> | null | undefined;
  if (
    durable !== undefined &&
    (typeof durable?.publish !== 'function' || typeof durable.subscribe !== 'function')
  ) {
    throw new TypeError(`Expected \`durable\` to be made by jetStreamEvents(), got ${describe(durable)}`);
  }
  const replay = readable('options', () => options.replay);
  const local = createEventBus<EventMap>(replay === undefined ? undefined : { replay });
  return new NatsBus(
    connection,
    prefix,
    queue,
    codec as NatsCodec,
    guard as ((event: { readonly type: string }) => boolean) | undefined,
    logger as Pick<ModuleServerLogger, 'error'>,
    local,
    traced?.tracing,
    traced?.headers,
    durable as DurableEvents | undefined,
  ) as unknown as NatsEventBus<Ev>;
}

type AnyEvent = { readonly type: string };

/** The bus, untyped inside: `natsEventBus` gives it its types. */
class NatsBus {
  readonly #nc: NatsEventConnection;
  readonly #prefix: string;
  readonly #queue: string | undefined;
  readonly #codec: NatsCodec;
  readonly #guard: ((event: AnyEvent) => boolean) | undefined;
  readonly #logger: Pick<ModuleServerLogger, 'error'>;
  readonly #local: EventBus<EventMap>;
  readonly #tracing: WireTracing | undefined;
  readonly #headers: (() => NatsHeaders) | undefined;
  readonly #errors = new Subject<NatsPayloadError | SparkChannelError>();
  #subscription: NatsSubscription | undefined;
  readonly #durable: DurableEvents | undefined;
  #durableSubscription: DurableEventSubscription | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly errors$ = this.#errors.asObservable();
  readonly events$: Observable<AnyEvent>;

  constructor(
    nc: NatsEventConnection,
    prefix: string,
    queue: string | undefined,
    codec: NatsCodec,
    guard: ((event: AnyEvent) => boolean) | undefined,
    logger: Pick<ModuleServerLogger, 'error'>,
    local: EventBus<EventMap>,
    tracing: WireTracing | undefined,
    headers: (() => NatsHeaders) | undefined,
    durable: DurableEvents | undefined,
  ) {
    this.#durable = durable;
    this.#nc = nc;
    this.#prefix = prefix;
    this.#queue = queue;
    this.#codec = codec;
    this.#guard = guard;
    this.#logger = logger;
    this.#local = local;
    this.#tracing = tracing;
    this.#headers = headers;
    this.events$ = this.#listened(local.events$);
  }

  publish(event: unknown): Promise<void> {
    let prepared: { subject: string; payload: Uint8Array };
    try {
      prepared = this.#prepare(event);
      if (this.#durable !== undefined) return this.#store(this.#durable, prepared.subject, prepared.payload);
      this.#send(prepared.subject, prepared.payload);
    } catch (error: unknown) {
      return Promise.reject(error);
    }
    return RESOLVED;
  }

  tryPublish(event: unknown): void {
    const { subject, payload } = this.#prepare(event);
    this.#send(subject, payload); // durable too: the stream stores it, unconfirmed
  }

  #send(subject: string, payload: Uint8Array): void {
    if (this.#tracing !== undefined) return this.#publishTraced(subject, payload, this.#tracing);
    try {
      this.#nc.publish(subject, payload, { headers: WIRE_HEADERS });
    } catch (error: unknown) {
      throw failure('SEND_FAILED', `Could not publish on "${subject}"`, error);
    }
  }

  /**
   * A durable publish. With `tracing`, the trace context is stored with the event (a durable
   * subscriber continues it, however much later it reads it) and the PRODUCER span lasts until
   * the stream stored it.
   */
  #store(durable: DurableEvents, subject: string, payload: Uint8Array): Promise<void> {
    const tracing = this.#tracing;
    if (tracing === undefined) return durable.publish(this.#nc, this.#prefix, subject, payload);
    const trace = traceSend(tracing, this.#headers as () => NatsHeaders, eventOperation(subject));
    // A publish that throws rejects instead, and its span still ends.
    const stored = new Promise<void>((resolve) => {
      resolve(durable.publish(this.#nc, this.#prefix, subject, payload, trace.headers));
    });
    stored.then(
      () => trace.done(true),
      (error: unknown) => trace.done(false, error),
    );
    return stored;
  }

  /** The subject and payload of `event`, or the TypeError / RangeError / SEND_FAILED it earns. */
  #prepare(event: unknown): { subject: string; payload: Uint8Array } {
    if (typeof event !== 'object' || event === null) {
      throw new TypeError(
        `Expected \`event\` to be an object with a string \`type\`, got ${describe(event)}`,
      );
    }
    const type = readable('event', () => (event as { type?: unknown }).type);
    if (typeof type !== 'string') {
      throw new TypeError(`Expected \`event.type\` to be a string, got ${describe(type)}`);
    }
    if (!isSubject(type)) {
      throw new RangeError(
        `Expected \`event.type\` to be usable as subject tokens (no spaces, "*", ">" or empty tokens), got ${describe(type)}`,
      );
    }
    if (this.#closed) throw failure('SEND_FAILED', 'Event not published: the event bus is closed');
    const nc = this.#nc;
    if (nc.isClosed() || nc.isDraining()) {
      throw failure(
        'SEND_FAILED',
        `Event not published: the NATS connection is ${nc.isClosed() ? 'closed' : 'draining'}`,
      );
    }
    return { subject: `${this.#prefix}.${type}`, payload: encodeBytes(this.#codec, event) };
  }

  /** A publish with `tracing`: its PRODUCER span lasts until the connection took the event. */
  #publishTraced(subject: string, payload: Uint8Array, tracing: WireTracing): void {
    const trace = traceSend(tracing, this.#headers as () => NatsHeaders, eventOperation(subject));
    try {
      this.#nc.publish(subject, payload, { headers: trace.headers ?? WIRE_HEADERS });
    } catch (error: unknown) {
      const refused = failure('SEND_FAILED', `Could not publish on "${subject}"`, error);
      trace.done(false, refused);
      throw refused;
    }
    trace.done(true);
  }

  on(type: unknown): Observable<AnyEvent> {
    return this.#listened(this.#local.on(type as string));
  }

  subscribe(
    type: unknown,
    dispatcher: unknown,
    toCommand?: unknown,
    options?: unknown,
  ): { unsubscribe(): void } {
    // The local bus checks the arguments first: a bad call makes no NATS subscription.
    const handle = this.#local.subscribe(
      type as string,
      dispatcher as { sendCommand(m: unknown): Promise<void> },
      toCommand as undefined,
      options as undefined,
    );
    try {
      this.#listen();
    } catch (error: unknown) {
      handle.unsubscribe();
      throw error;
    }
    return handle;
  }

  flush(): Promise<void> {
    if (this.#nc.isClosed()) return Promise.reject(failure('SEND_FAILED', 'The NATS connection is closed'));
    const ready = this.#durableSubscription?.ready;
    return ready === undefined ? this.#nc.flush() : ready.then(() => this.#nc.flush());
  }

  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    this.#local.close();
    this.#errors.complete();
    const subscription = this.#subscription;
    const durable = this.#durableSubscription;
    const nc = this.#nc;
    this.#closing = (async () => {
      await durable?.stop();
      try {
        if (subscription !== undefined && !subscription.isClosed()) await subscription.drain();
      } catch {
        // the connection closed or started draining meanwhile: nothing more arrives either way
      }
      try {
        if (!nc.isClosed()) await nc.flush(); // what was published has left this process
      } catch {
        // closed meanwhile: at most once, as the guarantees say
      }
    })();
    return this.#closing;
  }

  /** `source`, making the NATS subscription when subscribed to. */
  #listened(source: Observable<AnyEvent>): Observable<AnyEvent> {
    return new Observable<AnyEvent>((subscriber) => {
      this.#listen(); // a throw errors this subscriber (RxJS catches it), nobody else
      return source.subscribe(subscriber);
    });
  }

  /** Makes the one NATS subscription, at the bus's first local subscriber. */
  #listen(): void {
    if (this.#subscription !== undefined || this.#durableSubscription !== undefined || this.#closed) return;
    const subject = `${this.#prefix}.>`;
    if (this.#durable !== undefined) {
      const durable = this.#durable.subscribe({
        nc: this.#nc,
        prefix: this.#prefix,
        queue: this.#queue,
        // The stored headers: its wire version and trace context, read as a core message's.
        deliver: (on, data, headers) =>
          this.#closed
            ? Promise.reject(failure('RECEIVE_FAILED', 'closed'))
            : this.#accept(on, data, { subject: on, data, headers }),
        log: (text, error) => this.#log(text, error),
      });
      this.#durableSubscription = durable;
      durable.ready.catch((error: unknown) => this.#report(error as SparkChannelError));
      return;
    }
    const options: { queue?: string; callback: (error: Error | null, msg: NatsEventMsg) => void } = {
      callback: (error, msg) => this.#receive(error, msg),
    };
    if (this.#queue !== undefined) options.queue = this.#queue;
    try {
      this.#subscription = this.#nc.subscribe(subject, options);
    } catch (error: unknown) {
      throw failure('RECEIVE_FAILED', `Could not subscribe to "${subject}"`, error);
    }
  }

  // Runs in the client's subscription callback, where a throw would close the connection's
  // reader: nothing here throws, whatever arrives.
  #receive(error: Error | null, msg: NatsEventMsg): void {
    if (this.#closed) return;
    if (error !== null) {
      return this.#report(failure('RECEIVE_FAILED', `The subscription to "${this.#prefix}.>" failed`, error));
    }
    let data: Uint8Array = new Uint8Array(0);
    let subject: unknown;
    try {
      data = msg.data;
      subject = msg.subject;
    } catch (thrown: unknown) {
      return this.#report(payloadError(data, thrown)); // a message whose getters throw
    }
    void this.#accept(subject, data, msg);
  }

  /**
   * Hands the event in `data` to the local subscribers. Resolves once they all accepted it, or
   * once it was refused and reported: never rejects, never throws.
   */
  #accept(subject: unknown, data: Uint8Array, msg: NatsEventMsg): Promise<void> {
    try {
      // A message of another wire version is refused unread.
      const event = wireMismatch(msg) ?? this.#read(subject, data);
      if (typeof event === 'string') {
        this.#report(
          new NatsPayloadError(`Event refused on "${String(subject)}": ${event}`, data, undefined),
        );
        return RESOLVED;
      }
      if (this.#tracing !== undefined)
        return this.#deliverTraced(msg, subject as string, event, data, this.#tracing);
      const accepted = this.#local.publish(event);
      if (accepted === RESOLVED) return RESOLVED;
      return accepted.catch((refusal: unknown) => this.#report(payloadError(data, refusal)));
    } catch (thrown: unknown) {
      this.#report(payloadError(data, thrown)); // a codec's own error
      return RESOLVED;
    }
  }

  /** A received event with `tracing`: the local fan-out runs in its CONSUMER span, which ends once every local subscriber took it. */
  #deliverTraced(
    msg: NatsEventMsg,
    subject: string,
    event: AnyEvent,
    data: Uint8Array,
    tracing: WireTracing,
  ): Promise<void> {
    const receipt = traceReceive(tracing, eventOperation(subject), msg);
    let accepted: Promise<void>;
    try {
      accepted = receipt.run(() => this.#local.publish(event));
    } catch (thrown: unknown) {
      // The local publish returns a promise rather than throw; kept so that the span always ends.
      receipt.done(false, thrown);
      throw thrown;
    }
    if (accepted === RESOLVED) {
      receipt.done(true);
      return RESOLVED;
    }
    return accepted.then(
      () => receipt.done(true),
      (refusal: unknown) => {
        receipt.done(false, refusal);
        this.#report(payloadError(data, refusal));
      },
    );
  }

  /** The event in `data`, or why it is none. */
  #read(subject: unknown, data: Uint8Array): AnyEvent | string {
    const start = this.#prefix.length + 1;
    if (typeof subject !== 'string' || subject.length <= start || !subject.startsWith(`${this.#prefix}.`)) {
      return 'not a subject of the bus';
    }
    const type = subject.slice(start);
    let decoded: unknown;
    try {
      decoded = this.#codec.decode(data);
    } catch (error: unknown) {
      return `the payload could not be decoded: ${describeThrown(error)}`;
    }
    if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
      return `the payload is no event (${describe(decoded)})`;
    }
    let named: unknown;
    try {
      named = (decoded as { type?: unknown }).type;
    } catch (error: unknown) {
      return `its type could not be read: ${describeThrown(error)}`;
    }
    if (named !== type) {
      return `its type (${describe(named)}) does not name its subject`;
    }
    const guard = this.#guard;
    if (guard !== undefined) {
      let passed: unknown;
      try {
        passed = guard(decoded as AnyEvent);
      } catch (error: unknown) {
        return `the guard threw: ${describeThrown(error)}`;
      }
      if (passed !== true) return 'the guard refused it';
    }
    return decoded as AnyEvent;
  }

  #report(error: NatsPayloadError | SparkChannelError): void {
    if (this.#errors.observed) return this.#errors.next(error);
    this.#log('spark-channel/nats: an event was refused', error);
  }

  #log(text: string, error: unknown): void {
    try {
      this.#logger.error(text, error);
    } catch {
      // nowhere left to report it
    }
  }
}

function payloadError(data: Uint8Array, error: unknown): NatsPayloadError {
  return new NatsPayloadError(`Event refused: ${describeThrown(error)}`, data, error);
}

/** Whether `value` is one or more literal subject tokens: no empty token, whitespace, `*` or `>`. */
function isSubject(value: string): boolean {
  return /^[^\s.*>]+(\.[^\s.*>]+)*$/.test(value);
}

/** What a traced publish or delivery of an event on `subject` is, for its span. */
function eventOperation(subject: string): WireOperation {
  return { system: 'nats', kind: 'event', destination: subject };
}
