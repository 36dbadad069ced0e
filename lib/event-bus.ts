// Per publish, with room everywhere: one envelope read (`type`), one `next` per observer of
// events$ and of the type, one delivery per module subscriber of that type (its command), and
// with `replay` one history entry. Nothing is allocated for a type nobody watches.
//
// Observers are kept in plain copy-on-write lists of their RxJS Subscribers rather than in
// Subjects: a Subject's `next` allocates a closure and an iterator on every call (rxjs's ES5
// build), which was most of the cost of a publish to one observer (bench/fanout/). Delivery is
// the same as a Subject's: each observer's own Subscriber catches and reports what it throws,
// and one added or removed during a delivery is not called for that event.
import { Observable, type Subscriber } from 'rxjs';

import { SparkGenericModuleDispatcher } from './dispatcher.js';
import type { EventBusInstrumentation, PublishTrace } from './event-bus-instrumentation.js';
import {
  type CommandSink,
  ModuleSubscriber,
  type Overflow,
  reportUnhandled,
} from './internal/events/module-subscriber.js';
import { RingQueue } from './internal/channel/ring-queue.js';
import { RESOLVED } from './internal/reply.js';
import { checkOptions, describe, failure, readable } from './internal/validate.js';
import { TypedDispatcher } from './typed-dispatcher.js';

/**
 * The events a bus carries: each event type mapped to its payload (without `type`). Write it as
 * a `type` alias, not an `interface` (an interface has no index signature, so it is no `Record`).
 *
 * @example
 * type ShopEvents = {
 *   OrderPlaced: { orderId: string; total: number };
 *   OrderShipped: { orderId: string };
 * };
 */
export type EventMap = Record<string, object>;

/**
 * An event of type `K` (every type by default): its payload with its `type` beside it.
 *
 * @example
 * const placed: EventOf<ShopEvents, 'OrderPlaced'> = { type: 'OrderPlaced', orderId: 'o-1', total: 20 };
 */
export type EventOf<Ev extends EventMap, K extends keyof Ev = keyof Ev> = K extends keyof Ev
  ? { type: K } & Ev[K]
  : never;

/**
 * What a module subscriber does with an event when its module's channel is full:
 * - `wait` (the default): `publish` waits until it has room; nothing is dropped.
 * - `drop-newest`: the new event is dropped for this subscriber.
 * - `drop-oldest`: this subscriber's oldest queued event is dropped to make room for it.
 *
 * A drop is reported on the module's `deadLetters$` (`reason: 'dropped'`, `CHANNEL_FULL`).
 *
 * @example
 * bus.subscribe('PriceTicked', chart.dispatcher, undefined, { overflow: 'drop-oldest' satisfies EventOverflow });
 */
export type EventOverflow = 'wait' | 'drop-newest' | 'drop-oldest';

/**
 * `createEventBus` options.
 *
 * @example
 * const bus = createEventBus<ShopEvents>({ replay: 1 } satisfies EventBusOptions);
 */
export interface EventBusOptions {
  /** A new `on(...)` / `events$` subscriber first receives the last `replay` events of each of its types. 0 (the default): none. */
  replay?: number;
  /**
   * Traces every publish and every delivery to a module subscriber: pass `openTelemetryEvents()`
   * of `spark-channel/otel` (docs/observability.md). Without it the bus pays nothing for tracing.
   */
  instrument?: EventBusInstrumentation;
}

/**
 * A typed event bus: every event goes to every subscriber present when it is published, once,
 * in publish order — RxJS observers through {@link EventBus.on} and {@link EventBus.events$},
 * modules as commands through {@link EventBus.subscribe}. See docs/events.md.
 *
 * @example
 * const bus = createEventBus<ShopEvents>();
 * bus.on('OrderPlaced').subscribe((event) => console.log(event.orderId, event.total));
 * await bus.publish({ type: 'OrderPlaced', orderId: 'o-1', total: 20 });
 */
export interface EventBus<Ev extends EventMap> {
  /**
   * Publishes `event`: observers get it at once; each module subscriber gets it as a command.
   * Resolves once every module subscriber's channel has accepted it (not handled it): at once
   * when all had room (the shared resolved promise), else when the last `wait` subscriber got
   * room. Later publishes queue behind it and never overtake it. A subscriber's failure (its
   * module stopped, its `toCommand` threw) never rejects it.
   *
   * Rejects with `SEND_FAILED` once the bus is closed, with a `TypeError` naming `event` when it
   * is not an object with a string `type`.
   *
   * @example
   * await bus.publish({ type: 'OrderPlaced', orderId: 'o-1', total: 20 });
   */
  publish(event: EventOf<Ev>): Promise<void>;
  /**
   * Publishes `event` now or not at all: when a `wait` module subscriber has no room, throws
   * `CHANNEL_FULL` naming every such subscriber, and nobody gets the event (drop-policy
   * subscribers drop instead and never count as full).
   *
   * Throws `SEND_FAILED` once the bus is closed, a `TypeError` naming `event` for a bad event.
   *
   * @example
   * try { bus.tryPublish({ type: 'PriceTicked', price }); } catch { skipped++; }
   */
  tryPublish(event: EventOf<Ev>): void;
  /**
   * A hot Observable of the events of `type` (or of any of several types), narrowed to them.
   * With `replay`, each new subscriber first gets the last events of those types. Completes when
   * the bus closes (at once when it is closed).
   *
   * @throws TypeError naming `type` when it is not a string or an array of strings; RangeError
   * for an empty array.
   *
   * @example
   * bus.on(['OrderPlaced', 'OrderShipped']).subscribe((event) => log(event.type, event.orderId));
   */
  on<K extends keyof Ev>(type: K | readonly K[]): Observable<EventOf<Ev, K>>;
  /**
   * Every event, hot (with `replay`, the last events of each type first). Completes on `close()`.
   *
   * @example
   * bus.events$.subscribe((event) => audit.push(event.type));
   */
  readonly events$: Observable<EventOf<Ev>>;
  /**
   * Delivers every event of `type` (or of several types) to a module, as a command: `toCommand`'s
   * result, or the event itself. The module handles them one at a time, in publish order; its
   * failures go to its `errors$`. A module that stops leaves the bus (what it had not started is
   * a dead letter of its own). A `toCommand` that throws costs this subscriber that event only,
   * reported on RxJS's `config.onUnhandledError`. `overflow` (for a dispatcher; a plain
   * `{ sendCommand }` object can only `wait`): see {@link EventOverflow}.
   *
   * On a closed bus, returns a handle that does nothing: nothing will be published again.
   *
   * @throws TypeError naming `type`, `dispatcher` (neither a dispatcher nor an object with a
   * `sendCommand` method), `toCommand` (not a function) or `options`; RangeError naming
   * `overflow` for an unknown policy, or a drop policy on a plain `{ sendCommand }` object.
   *
   * @example
   * const handle = bus.subscribe('OrderPlaced', stock.dispatcher, (event) => ({
   *   type: 'Reserve' as const, orderId: event.orderId,
   * }));
   * handle.unsubscribe();
   */
  subscribe<K extends keyof Ev, M>(
    type: K | readonly K[],
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- API.md §8: any C and E
    dispatcher: SparkGenericModuleDispatcher<M, unknown, any, any> | { sendCommand(m: M): Promise<void> },
    toCommand?: (event: EventOf<Ev, K>) => M,
    options?: { overflow?: EventOverflow },
  ): {
    /** Removes this subscription: later events no longer reach the module. Idempotent. */
    unsubscribe(): void;
  };
  /**
   * Closes the bus: completes every `on(...)` and `events$` stream and removes every module
   * subscriber (commands already handed over stay with their modules). A later `publish`
   * rejects and `tryPublish` throws with `SEND_FAILED`. Idempotent.
   *
   * @example
   * bus.close();
   */
  close(): void;
}

/**
 * Creates an {@link EventBus} for the events of `Ev`.
 *
 * @throws TypeError naming `options` when it is not an object; RangeError naming `replay` when
 * it is not a non-negative integer.
 *
 * @example
 * type ShopEvents = { OrderPlaced: { orderId: string; total: number }; OrderShipped: { orderId: string } };
 * const bus = createEventBus<ShopEvents>({ replay: 1 });
 */
export function createEventBus<Ev extends EventMap>(options?: EventBusOptions): EventBus<Ev> {
  checkOptions('options', options);
  const replay = readable('options', () => options?.replay) ?? 0;
  if (typeof replay !== 'number' || !Number.isInteger(replay) || replay < 0) {
    throw new RangeError(`Expected \`replay\` to be a non-negative integer, got ${describe(replay)}`);
  }
  const instrument = readable('options', () => options?.instrument);
  if (
    instrument !== undefined &&
    typeof (instrument as { publish?: unknown } | null)?.publish !== 'function'
  ) {
    throw new TypeError(
      `Expected \`instrument\` to be what openTelemetryEvents() returns (an object with a publish method), got ${describe(instrument)}`,
    );
  }
  return new Bus(replay, instrument) as unknown as EventBus<Ev>;
}

type AnyEvent = { readonly type: string };
interface Recorded {
  readonly seq: number;
  readonly event: AnyEvent;
}
/** A publish made while the bus was delivering (from a subscriber): run after the current one. */
interface Pending {
  readonly event: AnyEvent;
  readonly type: string;
  readonly resolve: (accepted: Promise<void>) => void;
  readonly reject: (error: unknown) => void;
  readonly trace: PublishTrace | undefined;
}

const OVERFLOWS: readonly string[] = ['wait', 'drop-newest', 'drop-oldest'];

/** The bus, untyped inside: `createEventBus` gives it its types. */
class Bus {
  /** The observers of events$, copy-on-write: a delivery walks the list of its moment. */
  #all: readonly Subscriber<AnyEvent>[] = [];
  /** The observers of each type (`on`), copy-on-write; a type nobody observes has no entry. */
  readonly #byType = new Map<string, readonly Subscriber<AnyEvent>[]>();
  /** Module subscribers per type, copy-on-write: a publish walks the list of its moment. */
  readonly #modules = new Map<string, readonly ModuleSubscriber[]>();
  readonly #replay: number;
  readonly #instrument: EventBusInstrumentation | undefined;
  readonly #history = new Map<string, RingQueue<Recorded>>();
  #seq = 0;
  #ids = 0;
  /** The channels whose stop this bus listens for. */
  readonly #watching = new WeakSet<object>();
  #closed = false;
  #delivering = false;
  readonly #backlog = new RingQueue<Pending>();
  readonly events$: Observable<AnyEvent>;

  constructor(replay: number, instrument: EventBusInstrumentation | undefined) {
    this.#replay = replay;
    this.#instrument = instrument;
    this.events$ = new Observable<AnyEvent>((subscriber) => {
      if (this.#closed) return subscriber.complete();
      if (replay > 0) this.#replayTo(subscriber, undefined);
      if (subscriber.closed) return; // it had enough of the replay (a `take(n)`)
      this.#all = [...this.#all, subscriber];
      return () => {
        this.#all = this.#all.filter((s) => s !== subscriber);
      };
    });
  }

  publish(event: unknown): Promise<void> {
    let type: string;
    try {
      type = typeOf(event);
    } catch (error: unknown) {
      return Promise.reject(error);
    }
    if (this.#closed) return Promise.reject(closed());
    const trace = this.#instrument?.publish(event as AnyEvent, type);
    if (this.#delivering) return this.#defer(event as AnyEvent, type, trace);
    return this.#run(event as AnyEvent, type, false, trace);
  }

  tryPublish(event: unknown): void {
    const type = typeOf(event);
    if (this.#closed) throw closed();
    const subscribers = this.#modules.get(type);
    if (subscribers !== undefined) {
      let full: string[] | undefined;
      for (const subscriber of subscribers) {
        const why = subscriber.wouldWait();
        if (why !== undefined) (full ??= []).push(why);
      }
      if (full !== undefined) {
        throw failure('CHANNEL_FULL', `Event "${type}" not published: no room in ${full.join(', ')}`);
      }
    }
    // From inside a subscriber: after the event being delivered (every subscriber had room just
    // now; one that filled up since takes it as publish would, in order, nothing lost).
    const trace = this.#instrument?.publish(event as AnyEvent, type);
    if (this.#delivering) void this.#defer(event as AnyEvent, type, trace);
    else void this.#run(event as AnyEvent, type, true, trace);
  }

  on(type: unknown): Observable<AnyEvent> {
    const types = typesOf(type);
    return new Observable<AnyEvent>((subscriber) => {
      if (this.#closed) return subscriber.complete();
      if (this.#replay > 0) this.#replayTo(subscriber, types);
      if (subscriber.closed) return;
      for (const t of types) this.#byType.set(t, [...(this.#byType.get(t) ?? []), subscriber]);
      return () => {
        for (const t of types) {
          const rest = (this.#byType.get(t) ?? []).filter((s) => s !== subscriber);
          if (rest.length === 0) this.#byType.delete(t);
          else this.#byType.set(t, rest);
        }
      };
    });
  }

  subscribe(
    type: unknown,
    dispatcher: unknown,
    toCommand?: unknown,
    options?: unknown,
  ): { unsubscribe(): void } {
    const types = typesOf(type);
    const target = targetOf(dispatcher);
    if (toCommand !== undefined && typeof toCommand !== 'function') {
      throw new TypeError(`Expected \`toCommand\` to be a function, got ${describe(toCommand)}`);
    }
    checkOptions('options', options);
    const overflow =
      readable('options', () => (options as { overflow?: unknown } | undefined)?.overflow) ?? 'wait';
    if (typeof overflow !== 'string' || !OVERFLOWS.includes(overflow)) {
      throw new RangeError(
        `Expected \`overflow\` to be 'wait', 'drop-newest' or 'drop-oldest', got ${describe(overflow)}`,
      );
    }
    if (overflow !== 'wait' && !(target instanceof SparkGenericModuleDispatcher)) {
      throw new RangeError(
        `Expected \`overflow\` to be 'wait' for a plain { sendCommand } object (a drop policy needs a dispatcher), got "${overflow}"`,
      );
    }
    if (this.#closed) return { unsubscribe: noop };
    const subscriber = new ModuleSubscriber(
      ++this.#ids,
      target,
      toCommand as ((event: object) => unknown) | undefined,
      overflow as Overflow,
      (s) => this.#remove(s, types),
    );
    for (const t of types) this.#modules.set(t, [...(this.#modules.get(t) ?? []), subscriber]);
    const port = subscriber.port;
    if (port !== undefined && !this.#watching.has(port)) {
      // One stop listener per channel and bus, not per subscription: a channel keeps its
      // listeners until it stops, so subscribing and unsubscribing a long-lived module in a loop
      // must not add one each time. A module that stopped leaves the bus at once (or, subscribed
      // again after its stop, at its next event).
      this.#watching.add(port);
      port.onStop(() => this.#removeChannel(port));
    }
    return { unsubscribe: () => this.#remove(subscriber, types) };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#modules.clear();
    this.#history.clear();
    this.#backlog.clear(rejectClosed);
    // Each observer once (one of several types is on several lists), events$'s first.
    const observers = new Set<Subscriber<AnyEvent>>(this.#all);
    for (const list of this.#byType.values()) for (const s of list) observers.add(s);
    this.#all = [];
    this.#byType.clear();
    for (const subscriber of observers) subscriber.complete();
  }

  /** Delivers `event`, then every publish its subscribers made meanwhile, in order. */
  #run(event: AnyEvent, type: string, now: boolean, trace: PublishTrace | undefined): Promise<void> {
    this.#delivering = true;
    try {
      const accepted = this.#deliver(event, type, now, trace);
      for (let pending = this.#backlog.shift(); pending !== undefined; pending = this.#backlog.shift()) {
        if (this.#closed) rejectClosed(pending);
        else pending.resolve(this.#deliver(pending.event, pending.type, false, pending.trace));
      }
      return accepted;
    } finally {
      this.#delivering = false;
    }
  }

  #defer(event: AnyEvent, type: string, trace: PublishTrace | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#backlog.push({ event, type, resolve, reject, trace });
    });
  }

  #deliver(event: AnyEvent, type: string, now: boolean, trace: PublishTrace | undefined): Promise<void> {
    if (trace === undefined) return this.#fanOut(event, type, now, undefined);
    const accepted = trace.run(() => this.#fanOut(event, type, now, trace));
    if (accepted === RESOLVED) {
      trace.settled();
      return RESOLVED;
    }
    return accepted.then(() => trace.settled());
  }

  #fanOut(event: AnyEvent, type: string, now: boolean, trace: PublishTrace | undefined): Promise<void> {
    let waits: Promise<void>[] | undefined;
    const subscribers = this.#modules.get(type);
    if (subscribers !== undefined) {
      for (const subscriber of subscribers) {
        if (!subscriber.active) continue; // removed by an earlier delivery of this very event
        const waiting =
          trace === undefined
            ? subscriber.deliver(event, now)
            : trace.deliver(subscriber.id, (report) => subscriber.deliver(event, now, report));
        if (waiting !== undefined) (waits ??= []).push(waiting);
      }
    }
    if (this.#replay > 0) this.#record(event, type);
    notify(this.#all, event);
    const observers = this.#byType.get(type);
    if (observers !== undefined) notify(observers, event);
    if (waits === undefined) return RESOLVED;
    return waits.length === 1 ? (waits[0] as Promise<void>) : Promise.all(waits).then(noop);
  }

  #record(event: AnyEvent, type: string): void {
    let history = this.#history.get(type);
    if (history === undefined) this.#history.set(type, (history = new RingQueue()));
    history.push({ seq: this.#seq++, event });
    if (history.length > this.#replay) history.shift();
  }

  /** The last events of `types` (every type when undefined), in publish order. */
  #replayTo(subscriber: Subscriber<AnyEvent>, types: readonly string[] | undefined): void {
    const recorded: Recorded[] = [];
    for (const [type, history] of this.#history) {
      if (types !== undefined && !types.includes(type)) continue;
      for (let i = 0, r = history.at(0); r !== undefined; r = history.at(++i)) recorded.push(r);
    }
    recorded.sort((a, b) => a.seq - b.seq);
    for (const { event } of recorded) subscriber.next(event);
  }

  /** A channel's server stopped: every subscriber on it leaves the bus. */
  #removeChannel(port: object): void {
    for (const subscribers of [...this.#modules.values()]) {
      for (const subscriber of subscribers) if (subscriber.port === port) subscriber.remove(subscriber);
    }
  }

  #remove(subscriber: ModuleSubscriber, types: readonly string[]): void {
    if (!subscriber.active) return;
    subscriber.active = false;
    if (this.#closed) return;
    for (const t of types) {
      const rest = (this.#modules.get(t) ?? []).filter((s) => s !== subscriber);
      if (rest.length === 0) this.#modules.delete(t);
      else this.#modules.set(t, rest);
    }
  }
}

function noop(): void {}

/**
 * Hands `event` to each observer of `list`. A throwing observer is caught and reported by its own
 * Subscriber (RxJS's SafeSubscriber, or the operator's); the catch here is for a Subscriber that
 * does not (a custom one), so that the others still get the event.
 */
function notify(list: readonly Subscriber<AnyEvent>[], event: AnyEvent): void {
  for (let i = 0; i < list.length; i++) {
    try {
      (list[i] as Subscriber<AnyEvent>).next(event);
    } catch (error: unknown) {
      reportUnhandled(error);
    }
  }
}

function closed(): Error {
  return failure('SEND_FAILED', 'Event not published: the event bus is closed');
}

function rejectClosed(pending: Pending): void {
  const error = closed();
  pending.trace?.settled(error);
  pending.reject(error);
}

/** An event's `type`, read once (a getter or a Proxy trap that throws is a bad event). */
function typeOf(event: unknown): string {
  if (typeof event !== 'object' || event === null) {
    throw new TypeError(`Expected \`event\` to be an object with a string \`type\`, got ${describe(event)}`);
  }
  let type: unknown;
  try {
    type = (event as { type?: unknown }).type; // read here, not in a closure: this runs on every publish
  } catch (error: unknown) {
    return readable('event', () => {
      throw error; // what `readable` makes of it: the TypeError naming `event`
    });
  }
  if (typeof type !== 'string') {
    throw new TypeError(`Expected \`event.type\` to be a string, got ${describe(type)}`);
  }
  return type;
}

function typesOf(type: unknown): readonly string[] {
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) {
    const types = [...new Set<unknown>(type)];
    if (types.length === 0) throw new RangeError('Expected `type` to name at least one event type, got []');
    if (types.every((t): t is string => typeof t === 'string')) return types;
  }
  throw new TypeError(`Expected \`type\` to be an event type or an array of them, got ${describe(type)}`);
}

function targetOf(
  dispatcher: unknown,
): SparkGenericModuleDispatcher<unknown, unknown, unknown, unknown> | CommandSink {
  const raw: unknown = dispatcher instanceof TypedDispatcher ? (dispatcher.raw as unknown) : dispatcher;
  if (raw instanceof SparkGenericModuleDispatcher)
    return raw as SparkGenericModuleDispatcher<unknown, unknown, unknown, unknown>;
  const sendCommand =
    typeof raw === 'object' && raw !== null
      ? readable('dispatcher', () => (raw as { sendCommand?: unknown }).sendCommand)
      : undefined;
  if (typeof sendCommand !== 'function') {
    throw new TypeError(
      `Expected \`dispatcher\` to be a SparkGenericModuleDispatcher, a TypedDispatcher or an object with a sendCommand method, got ${describe(dispatcher)}`,
    );
  }
  return raw as CommandSink;
}
