// Modules for the event-bus specs: a module whose handler can be held (slow), fail, or record.
import type { DeadLetter } from '../../lib/index.js';
import { spawnModule } from '../../lib/index.js';

export type ShopEvents = {
  OrderPlaced: { orderId: string; total: number };
  OrderShipped: { orderId: string };
  PriceTicked: { price: number };
};

export const quiet = { error: (): void => undefined };

/** Lets the event loop run: every pending promise job and timer at 0 ms has run. */
export const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

export interface Recorder<C> {
  readonly dispatcher: ReturnType<typeof spawnModule<C, never>>['dispatcher'];
  readonly server: ReturnType<typeof spawnModule<C, never>>['server'];
  /** Every command the handler started, in order. */
  readonly seen: C[];
  readonly dead: DeadLetter<C>[];
  /** Holds every later command's handler until `release()`. */
  hold(): void;
  /** Lets every held handler (and every later one) finish. */
  release(): void;
}

/**
 * A module that records the commands it handles; `capacity` bounds its channel; `fail(c)` makes
 * a handler throw.
 */
export function recorder<C>(capacity = Infinity, fail?: (command: C) => boolean): Recorder<C> {
  const seen: C[] = [];
  const dead: DeadLetter<C>[] = [];
  let held = false;
  let waiting: (() => void)[] = [];
  const { dispatcher, server } = spawnModule<C, never>(
    {
      handleRequest: () => {
        throw new Error('no requests here');
      },
      handleCommand: (command) => {
        seen.push(command);
        if (fail?.(command) === true) throw new Error(`failed ${String(command)}`);
        if (!held) return;
        return new Promise<void>((resolve) => waiting.push(resolve));
      },
    },
    { capacity, logger: quiet },
  );
  server.deadLetters$.subscribe((d) => dead.push(d));
  return {
    dispatcher,
    server,
    seen,
    dead,
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      const resolves = waiting;
      waiting = [];
      resolves.forEach((resolve) => resolve());
    },
  };
}
