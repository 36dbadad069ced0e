// inspect: a watched event bus — how many events of each type are published (from its
// events$), and which modules subscribe to which types (recorded by the view the inspector
// hands out, whose `subscribe` wraps `toCommand` to count what each subscriber is given).
// Per event: one Map lookup and a count for its type, one count per module subscriber.
import type { Observable, Subscription } from 'rxjs';

import type { EventBus, EventMap, EventOf, EventOverflow } from '../event-bus.js';
import type { BusSnapshot } from './inspector-snapshot.js';
import { RateWindow } from './rate-window.js';

interface TypeCount {
  published: number;
  readonly rate: RateWindow;
}

/** One module subscription, per event type it covers. */
interface Edge {
  readonly type: string;
  /** The subscriber's channel (for a dispatcher) or the object itself: what finds its module. */
  readonly target: object;
  /** Its number in this view, in subscription order, for a subscriber nobody watches. */
  readonly number: number;
  readonly overflow: EventOverflow;
  delivered: number;
  readonly rate: RateWindow;
}

/** Finds the watched module whose channel (or subscriber object) is `target`. */
export type ModuleLookup = (target: object) => string | undefined;

export class BusWatch {
  readonly #types = new Map<string, TypeCount>();
  readonly #edges = new Set<Edge>();
  #subscribers = 0;
  #closed = false;
  readonly #subscription: Subscription;

  constructor(
    readonly name: string,
    bus: EventBus<EventMap>,
    /** The inspector's clock: a new type or edge starts its rate from now. */
    readonly now: () => number,
  ) {
    this.#subscription = (bus.events$ as Observable<{ readonly type: string }>).subscribe({
      next: (event) => {
        const count = this.#types.get(event.type);
        if (count !== undefined) count.published++;
        else {
          const rate = new RateWindow();
          rate.tick(0, now());
          this.#types.set(event.type, { published: 1, rate });
        }
      },
      complete: () => {
        this.#closed = true;
      },
    });
  }

  unwatch(): void {
    this.#subscription.unsubscribe();
  }

  sample(now: number): void {
    for (const count of this.#types.values()) count.rate.tick(count.published, now);
    for (const edge of this.#edges) edge.rate.tick(edge.delivered, now);
  }

  snapshot(now: number, lookup: ModuleLookup): BusSnapshot {
    return {
      name: this.name,
      closed: this.#closed,
      types: [...this.#types].map(([type, count]) => ({
        type,
        published: count.published,
        perSecond: count.rate.perSecond(count.published, now),
      })),
      edges: [...this.#edges].map((edge) => {
        const module = lookup(edge.target);
        return {
          type: edge.type,
          module: module ?? `subscriber #${edge.number}`,
          watched: module !== undefined,
          overflow: edge.overflow,
          delivered: edge.delivered,
          perSecond: edge.rate.perSecond(edge.delivered, now),
        };
      }),
    };
  }

  /**
   * The bus as its users see it, with `subscribe` recorded: every other member is the bus's
   * own. Bad arguments reach the bus unchanged, so they fail as they would there.
   */
  view<Ev extends EventMap>(bus: EventBus<Ev>): EventBus<Ev> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the view's methods are the bus's `this`
    const watch = this;
    const subscribe: EventBus<Ev>['subscribe'] = (type, dispatcher, toCommand, options) => {
      const types = (typeof type === 'string' ? [type] : Array.isArray(type) ? type : []) as string[];
      const edges = new Map<string, Edge>();
      const number = ++watch.#subscribers;
      const overflow = overflowOf(options);
      const target = targetOf(dispatcher);
      for (const t of new Set(types)) {
        const rate = new RateWindow();
        rate.tick(0, watch.now());
        edges.set(t, { type: t, target, number, overflow, delivered: 0, rate });
      }
      const only = edges.size === 1 ? [...edges.values()][0] : undefined;
      const count = (event: { readonly type: string }): void => {
        const edge = only ?? edges.get(event.type);
        if (edge !== undefined) edge.delivered++;
      };
      // `toCommand` keeps its meaning: the same result (or the event itself), the same throw.
      const counted =
        toCommand === undefined
          ? (event: EventOf<Ev, never>) => (count(event), event)
          : typeof toCommand === 'function'
            ? (event: EventOf<Ev, never>) => {
                const command = toCommand(event);
                count(event);
                return command;
              }
            : toCommand;
      const handle = bus.subscribe(type, dispatcher, counted as typeof toCommand, options);
      for (const edge of edges.values()) watch.#edges.add(edge);
      return {
        unsubscribe: () => {
          handle.unsubscribe();
          for (const edge of edges.values()) watch.#edges.delete(edge);
        },
      };
    };
    return {
      publish: (event) => bus.publish(event),
      tryPublish: (event) => bus.tryPublish(event),
      on: (type) => bus.on(type),
      get events$() {
        return bus.events$;
      },
      subscribe,
      close: () => bus.close(),
    };
  }
}

function overflowOf(options: unknown): EventOverflow {
  try {
    const overflow = (options as { overflow?: unknown } | undefined)?.overflow;
    return overflow === 'drop-newest' || overflow === 'drop-oldest' ? overflow : 'wait';
  } catch {
    return 'wait'; // the bus reads it too, and refuses it
  }
}

/** A dispatcher's channel (a typed one's through `raw`), else the subscriber object itself. */
export function targetOf(dispatcher: unknown): object {
  try {
    const raw = (dispatcher as { raw?: unknown }).raw ?? dispatcher;
    const sender = (raw as { sender?: unknown }).sender;
    if (typeof sender === 'object' && sender !== null) return sender;
  } catch {
    // the bus reads it too, and refuses it
  }
  return typeof dispatcher === 'object' && dispatcher !== null ? dispatcher : {};
}
