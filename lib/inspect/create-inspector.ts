import type { SchedulerAction, SchedulerLike } from 'rxjs';

import type { DeadLetter } from '../dead-letter.js';
import type { EventBus, EventMap } from '../event-bus.js';
import { checkOptions, checkScheduler, describe, readable } from '../internal/validate.js';
import type { ModuleError, ModuleServer } from '../module-server-types.js';
import { BoundedList } from './bounded-list.js';
import { BusWatch, targetOf } from './bus-watch.js';
import type { DeadLetterEntry, ErrorEntry, InspectorSnapshot } from './inspector-snapshot.js';
import { mountInspector, type InspectorMount, type MountOptions } from './mount.js';
import { ModuleWatch, type WatchContext } from './module-watch.js';
import { codeOf, errorPreviewOf, previewOf } from './preview.js';
import { serveInspector, type InspectorServer, type InspectorServeOptions } from './serve.js';

/**
 * `createInspector` options. Every one bounds memory or work; none is needed.
 *
 * @example
 * const inspector = createInspector({ timelineSize: 2_000, sampleMs: 500 } satisfies InspectorOptions);
 */
export interface InspectorOptions {
  /** Messages kept on the timeline, per watched module: the newest ones (default 5,000). */
  timelineSize?: number;
  /** Dead letters kept, and handler errors kept, over every module (default 500 each). */
  listSize?: number;
  /** Settled messages the latency percentiles are taken over, per module (default 1,000). */
  latencySamples?: number;
  /** How often queue depth, throughput and rates are sampled, in ms (default 1,000). */
  sampleMs?: number;
  /**
   * The inspector's clock, for its sampling and for stamping dead letters and errors: any RxJS
   * scheduler (a `TestScheduler` in tests). By default `performance.now()` (the modules' default
   * clock too) and an unref'd timer that keeps no Node process alive.
   */
  scheduler?: SchedulerLike;
}

/**
 * What a module is watched as: its server, or what `spawnModule` / `spawnTypedModule` return
 * (the dispatcher lets a watched event bus tell which module a subscription feeds).
 *
 * @example
 * const billing = spawnModule<Charge, string>(billingHandler);
 * const watched: InspectedModule<Charge, Error> = billing; // or billing.server alone
 * inspector.watch('billing', watched);
 */
export type InspectedModule<M, E> =
  ModuleServer<M, E> | { readonly server: ModuleServer<M, E>; readonly dispatcher?: object };

/**
 * What `watch` returns.
 *
 * @example
 * const handle: InspectorWatch = inspector.watch('billing', billing);
 * handle.unwatch(); // billing, its messages, dead letters and errors leave the page
 */
export interface InspectorWatch {
  /** Stops recording the module and removes it (its messages, dead letters and errors) from the page. */
  unwatch(): void;
}

/**
 * A live view of modules, their queues and the messages flowing through them: register what to
 * watch, then render it in a page (`mount`) or serve it from Node (`serve`). See docs/inspector.md.
 *
 * @example
 * const inspector = createInspector();
 * inspector.watch('orders', spawnModule(ordersHandler));
 * const server = await inspector.serve({ port: 9230 }); // open server.url in a browser
 */
export interface Inspector {
  /**
   * Watches a module under `name`: subscribes to its `events$`, `errors$` and `deadLetters$`
   * and samples its `stats()`. A module that stops stays on the page, as stopped, until
   * unwatched.
   *
   * @throws TypeError naming `name` (not a non-empty string) or `module` (not a server, nor an
   * object with one); RangeError naming `name` when a watched module already has it; an Error
   * once the inspector is closed.
   *
   * @example
   * const orders = spawnTypedModule(ordersRouter);
   * const handle = inspector.watch('orders', orders);
   * // later: handle.unwatch();
   */
  watch<M, E>(name: string, module: InspectedModule<M, E>): InspectorWatch;
  /**
   * Watches an event bus: counts its events by type, and returns the bus to use instead of it,
   * whose `subscribe` records which module subscribes to which types (the topology). Everything
   * else is the bus's own. Subscriptions made on the bus itself, not on the returned one, are not
   * seen.
   *
   * @throws TypeError naming `bus` or `name`; RangeError naming `name` when a watched bus has it.
   *
   * @example
   * const bus = inspector.watchBus(createEventBus<ShopEvents>());
   * bus.subscribe('OrderPlaced', stock.dispatcher, toReserve); // an edge OrderPlaced → stock
   */
  watchBus<Ev extends EventMap>(bus: EventBus<Ev>, name?: string): EventBus<Ev>;
  /**
   * Everything the inspector holds, as plain data. With `since` (a previous snapshot's `cursor`),
   * only the timeline messages, dead letters and errors that changed after it; with `limit`, at
   * most that many of the newest changed messages per module.
   *
   * @throws TypeError / RangeError naming `since` or `limit`.
   *
   * @example
   * const first = inspector.snapshot();
   * const next = inspector.snapshot({ since: first.cursor });
   */
  snapshot(options?: { since?: number; limit?: number }): InspectorSnapshot;
  /**
   * Renders the inspector page inside `element` and keeps it live: framework-free DOM, no
   * dependency. `unmount()` stops it and empties the element.
   *
   * @throws TypeError naming `element` when it is not a DOM element; RangeError naming `refreshMs`.
   *
   * @example
   * const view = inspector.mount(document.getElementById('inspector')!);
   * // later: view.unmount();
   */
  mount(element: HTMLElement, options?: MountOptions): InspectorMount;
  /**
   * Node only: serves the page over HTTP, live through Server-Sent Events, on `127.0.0.1` unless
   * `host` says otherwise. The page shows the messages' contents: see docs/inspector.md, Security.
   *
   * Rejects with a RangeError naming `port`, a TypeError naming `host`, or the listen error
   * (`EADDRINUSE`, …).
   *
   * @example
   * const { url, close } = await inspector.serve({ port: 9230 });
   */
  serve(options?: InspectorServeOptions): Promise<InspectorServer>;
  /** Stops recording everything, unmounts every page and closes every server. Idempotent. */
  close(): void;
}

const DEFAULTS = { timelineSize: 5_000, listSize: 500, latencySamples: 1_000, sampleMs: 1_000 };
/** The sparkline covers the last minute, however often it is sampled (up to 600 points). */
const DEPTH_WINDOW_MS = 60_000;

/**
 * Creates an {@link Inspector}. Nothing is recorded until a module is watched, and nothing for a
 * module nobody watches.
 *
 * @throws TypeError naming `options` or `scheduler`; RangeError naming a bound that is not a
 * positive integer.
 *
 * @example
 * const inspector = createInspector();
 * inspector.watch('orders', orders);
 * inspector.mount(document.querySelector('#inspector')!);
 */
export function createInspector(options?: InspectorOptions): Inspector {
  checkOptions('options', options);
  const read = readable('options', () => ({
    timelineSize: options?.timelineSize,
    listSize: options?.listSize,
    latencySamples: options?.latencySamples,
    sampleMs: options?.sampleMs,
    scheduler: options?.scheduler,
  }));
  const bound = (name: keyof typeof DEFAULTS): number => {
    const value = read[name] ?? DEFAULTS[name];
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
    throw new RangeError(`Expected \`${name}\` to be a positive integer, got ${describe(value)}`);
  };
  const scheduler = read.scheduler === undefined ? undefined : checkScheduler(read.scheduler);
  return new InspectorImpl(
    bound('timelineSize'),
    bound('listSize'),
    bound('latencySamples'),
    bound('sampleMs'),
    scheduler,
  );
}

class InspectorImpl implements Inspector, WatchContext {
  readonly depthPoints: number;
  readonly #modules = new Map<string, ModuleWatch>();
  readonly #buses = new Map<string, BusWatch>();
  readonly #deadLetters: BoundedList<DeadLetterRecord>;
  readonly #errors: BoundedList<ErrorRecord>;
  readonly #mounts = new Set<InspectorMount>();
  readonly #servers = new Set<InspectorServer>();
  #rev = 0;
  #serials = 0;
  #stopTicking: (() => void) | undefined;
  #closed = false;

  constructor(
    readonly timelineSize: number,
    readonly listSize: number,
    readonly latencySamples: number,
    readonly sampleMs: number,
    readonly scheduler: SchedulerLike | undefined,
  ) {
    this.depthPoints = Math.min(600, Math.ceil(DEPTH_WINDOW_MS / sampleMs));
    this.#deadLetters = new BoundedList(listSize);
    this.#errors = new BoundedList(listSize);
  }

  now(): number {
    return this.scheduler?.now() ?? performance.now();
  }

  nextRev(): number {
    return ++this.#rev;
  }

  deadLetter(watch: ModuleWatch, letter: DeadLetter<unknown>): void {
    this.#deadLetters.push({ seq: this.nextRev(), watch, at: this.now(), letter, entry: undefined });
  }

  error(watch: ModuleWatch, error: ModuleError<unknown, unknown>): void {
    this.#errors.push({ seq: this.nextRev(), watch, at: this.now(), error, entry: undefined });
  }

  watch<M, E>(name: string, module: InspectedModule<M, E>): InspectorWatch {
    this.#checkOpen(name);
    checkName('name', name);
    if (this.#modules.has(name)) {
      throw new RangeError(
        `Expected \`name\` to be unique: a module named ${JSON.stringify(name)} is already watched (unwatch it first)`,
      );
    }
    const { server, dispatcher } = readable('module', () => serverOf(module));
    const watch = new ModuleWatch(
      name,
      ++this.#serials,
      server,
      dispatcher === undefined ? undefined : targetOf(dispatcher),
      this,
    );
    this.#modules.set(name, watch);
    this.#startTicking();
    return { unwatch: () => this.#unwatch(watch) };
  }

  watchBus<Ev extends EventMap>(bus: EventBus<Ev>, name = 'bus'): EventBus<Ev> {
    this.#checkOpen(name);
    checkName('name', name);
    const events$ = readable('bus', () => (bus as { events$?: unknown } | null | undefined)?.events$);
    const subscribe = readable('bus', () => (bus as { subscribe?: unknown }).subscribe);
    if (
      typeof (events$ as { subscribe?: unknown } | undefined)?.subscribe !== 'function' ||
      typeof subscribe !== 'function'
    ) {
      throw new TypeError(`Expected \`bus\` to be an event bus (createEventBus), got ${describe(bus)}`);
    }
    if (this.#buses.has(name)) {
      throw new RangeError(
        `Expected \`name\` to be unique: a bus named ${JSON.stringify(name)} is already watched`,
      );
    }
    const watch = new BusWatch(name, bus as unknown as EventBus<EventMap>, () => this.now());
    this.#buses.set(name, watch);
    this.#startTicking();
    return watch.view(bus);
  }

  snapshot(options?: { since?: number; limit?: number }): InspectorSnapshot {
    checkOptions('options', options);
    const { since = 0, limit = Infinity } = readable('options', () => ({
      since: options?.since,
      limit: options?.limit,
    }));
    if (typeof since !== 'number' || Number.isNaN(since)) {
      throw new TypeError(`Expected \`since\` to be a number (a snapshot's cursor), got ${describe(since)}`);
    }
    if (limit !== Infinity && !(typeof limit === 'number' && Number.isInteger(limit) && limit > 0)) {
      throw new RangeError(`Expected \`limit\` to be a positive integer, got ${describe(limit)}`);
    }
    const now = this.now();
    const cursor = this.#rev;
    const modules = [...this.#modules.values()];
    const lookup = (target: object): string | undefined =>
      modules.find((module) => module.channel === target)?.name;
    return {
      now,
      cursor,
      limits: { timelineSize: this.timelineSize, listSize: this.listSize, sampleMs: this.sampleMs },
      modules: modules.map((module) => module.snapshot()),
      timeline: modules.flatMap((module) => module.timeline(since, limit)),
      deadLetters: this.#deadLetters.since(since).map(deadLetterEntry),
      errors: this.#errors.since(since).map(errorEntry),
      buses: [...this.#buses.values()].map((bus) => bus.snapshot(now, lookup)),
    };
  }

  mount(element: HTMLElement, options?: MountOptions): InspectorMount {
    this.#checkOpen('a page');
    const mounted = mountInspector(this, element, options, () => this.#mounts.delete(mounted));
    this.#mounts.add(mounted);
    return mounted;
  }

  async serve(options?: InspectorServeOptions): Promise<InspectorServer> {
    this.#checkOpen('a server');
    const server = await serveInspector(this, options, () => this.#servers.delete(server));
    if (this.#closed)
      void server.close(); // closed while it was starting
    else this.#servers.add(server);
    return server;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTicking?.();
    for (const watch of [...this.#modules.values()]) this.#unwatch(watch);
    for (const bus of this.#buses.values()) bus.unwatch();
    this.#buses.clear();
    for (const mounted of [...this.#mounts]) mounted.unmount();
    for (const server of [...this.#servers]) void server.close();
  }

  #unwatch(watch: ModuleWatch): void {
    if (this.#modules.get(watch.name) !== watch) return;
    watch.unwatch();
    this.#modules.delete(watch.name);
    this.#deadLetters.retain((record) => record.watch !== watch);
    this.#errors.retain((record) => record.watch !== watch);
    this.nextRev();
  }

  #checkOpen(what: string): void {
    if (this.#closed)
      throw new Error(`The inspector is closed: cannot watch or show ${what}; create a new one`);
  }

  /** One timer for every module and bus, from the first watch to `close()`. */
  #startTicking(): void {
    if (this.#stopTicking !== undefined) return;
    const tick = (): void => {
      const now = this.now();
      for (const module of this.#modules.values()) if (!module.isStopped) module.sample();
      for (const bus of this.#buses.values()) bus.sample(now);
    };
    tick(); // rates and depth start from the moment of the first watch
    const ms = this.sampleMs;
    if (this.scheduler !== undefined) {
      const action = this.scheduler.schedule(function (this: SchedulerAction<undefined>) {
        tick();
        this.schedule(undefined, ms);
      }, ms);
      this.#stopTicking = () => action.unsubscribe();
    } else {
      const id = setInterval(tick, ms);
      (id as { unref?: () => void }).unref?.(); // Node: the inspector alone keeps no process alive
      this.#stopTicking = () => clearInterval(id);
    }
  }
}

interface DeadLetterRecord {
  readonly seq: number;
  readonly watch: ModuleWatch;
  readonly at: number;
  readonly letter: DeadLetter<unknown>;
  /** Made at the first snapshot that includes it. */
  entry: DeadLetterEntry | undefined;
}

interface ErrorRecord {
  readonly seq: number;
  readonly watch: ModuleWatch;
  readonly at: number;
  readonly error: ModuleError<unknown, unknown>;
  entry: ErrorEntry | undefined;
}

function deadLetterEntry(record: DeadLetterRecord): DeadLetterEntry {
  if (record.entry !== undefined) return record.entry;
  const { letter } = record;
  const code = letter.error === undefined ? undefined : codeOf(letter.error);
  return (record.entry = {
    seq: record.seq,
    module: record.watch.name,
    at: record.at,
    reason: letter.reason,
    kind: letter.kind,
    message: previewOf(letter.message),
    ...(letter.error !== undefined && { error: errorPreviewOf(letter.error) }),
    ...(code !== undefined && { code }),
  });
}

function errorEntry(record: ErrorRecord): ErrorEntry {
  if (record.entry !== undefined) return record.entry;
  const { error } = record;
  const code = codeOf(error.error);
  return (record.entry = {
    seq: record.seq,
    module: record.watch.name,
    at: record.at,
    kind: error.kind,
    message: previewOf(error.message),
    error: errorPreviewOf(error.error),
    ...(code !== undefined && { code }),
  });
}

function checkName(argument: string, name: unknown): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`Expected \`${argument}\` to be a non-empty string, got ${describe(name)}`);
  }
}

const STREAMS = ['events$', 'errors$', 'deadLetters$'] as const;

/** The server of `module` (itself, or its `server`), checked for what the inspector reads. */
function serverOf(module: unknown): {
  server: ModuleServer<unknown, unknown>;
  dispatcher: object | undefined;
} {
  const wrapped =
    typeof module === 'object' && module !== null && !('events$' in module) && 'server' in module;
  const server: unknown = wrapped ? module.server : module;
  const dispatcher: unknown = wrapped ? (module as { dispatcher?: unknown }).dispatcher : undefined;
  const ok =
    typeof server === 'object' &&
    server !== null &&
    STREAMS.every(
      (key) =>
        typeof (server as Record<string, { subscribe?: unknown } | undefined>)[key]?.subscribe === 'function',
    ) &&
    typeof (server as { stats?: unknown }).stats === 'function' &&
    typeof (server as { stopped?: { then?: unknown } }).stopped?.then === 'function';
  if (!ok) {
    throw new TypeError(
      `Expected \`module\` to be a module server, or an object with one as \`server\` (what spawnModule returns), got ${describe(module)}`,
    );
  }
  return {
    server: server as ModuleServer<unknown, unknown>,
    dispatcher: typeof dispatcher === 'object' && dispatcher !== null ? dispatcher : undefined,
  };
}
