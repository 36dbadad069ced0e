// Why a server render waits for a module: an injected module holds one of Angular's
// `PendingTasks` while it has work, so `ApplicationRef.whenStable()` (what `renderApplication`
// and `AngularNodeAppEngine` await before serialising) resolves only once the module is idle.
//
// The count comes from the server's own instrumentation points: `sent` runs inside the sender's
// call (so the task exists before the call returns, before any render could be judged stable)
// and `settled` runs once per message on every path out (answered, failed, timed out, cancelled,
// dropped, refused while waiting for room, rejected by a stop). One task per busy module, not one
// per message: nothing is allocated per message beyond what the instrumentation already makes.
import type { PendingTasks } from '@angular/core';

import type { InstrumentedMessage, InstrumentedSettlement, ModuleInstrumentation } from '../index.js';

/** What {@link holdWhileBusy} gives `injectModule`: the server's `instrument`, and a last release. */
export interface BusyHold<M> {
  /** The instrumentation to spawn the server with: the count, then the user's own hooks. */
  readonly instrument: ModuleInstrumentation<M>;
  /** Drops the task whatever the count says: for the server's stop, a belt to the count's braces. */
  readonly release: () => void;
}

/**
 * An instrumentation that holds one Angular pending task from the first message sent to an idle
 * module until the last one settles, composed with the caller's own `instrument` (whose hooks
 * run as before, on the caller's object, with their own state).
 *
 * @throws TypeError naming `instrument` or `instrument.<hook>` when the caller's instrument is
 * not an object of functions: the message `spawnModule` gives, thrown before anything starts.
 *
 * @example
 * const hold = holdWhileBusy<Msg>(inject(PendingTasks), options.instrument);
 * const { dispatcher, server } = spawnModule(handler, { ...options, instrument: hold.instrument });
 * void server.stopped.then(hold.release);
 */
export function holdWhileBusy<M>(
  pendingTasks: PendingTasks,
  user: ModuleInstrumentation<M> | undefined,
): BusyHold<M> {
  const { sent, run, settled } = userHooks(user);
  let busy = 0;
  let removeTask: (() => void) | undefined;
  const release = (): void => {
    busy = 0;
    const remove = removeTask;
    removeTask = undefined;
    // Angular's remover schedules a change detection before it drops the task, so the app is
    // stable only after the views have seen the answer (the caller's `await` runs first).
    remove?.();
  };
  const instrument: ModuleInstrumentation<M> = {
    sent(message: InstrumentedMessage<M>): unknown {
      if (busy++ === 0) removeTask = pendingTasks.add();
      return sent?.call(user, message);
    },
    settled(state: unknown, message: InstrumentedMessage<M>, settlement: InstrumentedSettlement): void {
      try {
        settled?.call(user, state, message, settlement);
      } finally {
        // Every instrumented message was `sent` first (the server is instrumented from its start),
        // so the count cannot go below zero; the guard keeps a surprise from releasing twice.
        if (busy > 0 && --busy === 0) release();
      }
    },
  };
  if (run !== undefined) {
    instrument.run = <T>(state: unknown, message: InstrumentedMessage<M>, handle: () => T): T =>
      run.call(user, state, message, handle) as T;
  }
  return { instrument, release };
}

/** The caller's hooks, detached: each is called on the caller's object, as the server would. */
interface Hooks<M> {
  sent?: (this: unknown, message: InstrumentedMessage<M>) => unknown;
  run?: (this: unknown, state: unknown, message: InstrumentedMessage<M>, handle: () => unknown) => unknown;
  settled?: (
    this: unknown,
    state: unknown,
    message: InstrumentedMessage<M>,
    settlement: InstrumentedSettlement,
  ) => void;
}

/** The caller's hooks, read once and checked as `spawnModule` checks them. */
function userHooks<M>(user: ModuleInstrumentation<M> | undefined): Hooks<M> {
  if (user === undefined) return {};
  if (typeof user !== 'object' || user === null) {
    throw new TypeError(`Expected \`instrument\` to be an object of hooks, got ${typeof user}`);
  }
  const hooks: Record<string, unknown> = {};
  for (const name of ['sent', 'run', 'settled'] as const) {
    const hook: unknown = (user as Record<string, unknown>)[name];
    if (hook === undefined) continue;
    if (typeof hook !== 'function') {
      throw new TypeError(`Expected \`instrument.${name}\` to be a function, got ${typeof hook}`);
    }
    hooks[name] = hook;
  }
  return hooks;
}
