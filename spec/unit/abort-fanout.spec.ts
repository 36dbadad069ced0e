import { getEventListeners } from 'node:events';

import { type AbortMember, join, leave, onAbort } from '../../lib/internal/signal/abort-fanout.js';

function member(onAbort: (reason: unknown) => void = () => undefined): AbortMember {
  return { onAbort, abortFanout: undefined, abortPrev: undefined, abortNext: undefined };
}

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;
const macrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('abort fan-out', () => {
  it('tells every member once, in join order, through one native listener', () => {
    const controller = new AbortController();
    const told: [string, unknown][] = [];
    const members = ['a', 'b', 'c'].map((name) => member((reason) => told.push([name, reason])));
    for (const m of members) join(controller.signal, m);
    expect(listeners(controller.signal)).toBe(1);
    leave(members[1] as AbortMember);
    controller.abort('why');
    expect(told).toEqual([
      ['a', 'why'],
      ['c', 'why'],
    ]);
    expect(listeners(controller.signal)).toBe(0);
  });

  it('does not tell a member that another one makes leave while the signal aborts', () => {
    const controller = new AbortController();
    const told: string[] = [];
    const second = member(() => told.push('second'));
    join(
      controller.signal,
      member(() => {
        told.push('first');
        leave(second);
      }),
    );
    join(controller.signal, second);
    controller.abort();
    expect(told).toEqual(['first']);
  });

  it('keeps the native listener while members come and go, and removes it one macrotask after the last leaves', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 100; i++) {
      const m = member();
      join(controller.signal, m);
      leave(m);
      leave(m); // leaving twice is harmless
    }
    const first = getEventListeners(controller.signal, 'abort')[0];
    const m = member();
    join(controller.signal, m);
    expect(getEventListeners(controller.signal, 'abort')).toEqual([first]);
    leave(m);
    expect(listeners(controller.signal)).toBe(1);
    await macrotask();
    expect(listeners(controller.signal)).toBe(0);
  });

  it('keeps the listener a member joined again before the sweep', async () => {
    const controller = new AbortController();
    const told: unknown[] = [];
    const a = member();
    join(controller.signal, a);
    leave(a);
    join(
      controller.signal,
      member((reason) => told.push(reason)),
    );
    await macrotask();
    expect(listeners(controller.signal)).toBe(1);
    controller.abort('late');
    expect(told).toEqual(['late']);
  });

  it('sweeps on the current timers when a sweep was left pending on fake ones', async () => {
    jest.useFakeTimers();
    const controller = new AbortController();
    const a = member();
    join(controller.signal, a);
    leave(a); // its sweep is a fake timer that will never run
    jest.useRealTimers();
    const b = member();
    join(controller.signal, b);
    leave(b);
    await macrotask();
    expect(listeners(controller.signal)).toBe(0);
  });

  it('onAbort removes the native listener as soon as its last callback stops listening', () => {
    const controller = new AbortController();
    const stopA = onAbort(controller.signal, () => undefined);
    const stopB = onAbort(controller.signal, () => undefined);
    stopA();
    expect(listeners(controller.signal)).toBe(1);
    stopB();
    stopB(); // idempotent
    expect(listeners(controller.signal)).toBe(0);
  });
});

describe('under a test DOM that replaces the global EventTarget (jsdom in vitest)', () => {
  it('listens through AbortSignal’s own addEventListener, not the global EventTarget’s', () => {
    const realEventTarget = globalThis.EventTarget;
    // A stand-in for jsdom's EventTarget: its methods refuse Node's signals, as jsdom's do.
    class ForeignEventTarget {
      addEventListener(): void {
        throw new TypeError(
          "'addEventListener' called on an object that is not a valid instance of EventTarget.",
        );
      }
      removeEventListener(): void {
        throw new TypeError(
          "'removeEventListener' called on an object that is not a valid instance of EventTarget.",
        );
      }
    }
    globalThis.EventTarget = ForeignEventTarget as unknown as typeof EventTarget;
    try {
      jest.isolateModules(() => {
        type Fanout = typeof import('../../lib/internal/signal/abort-fanout');
        // Loaded fresh, under the foreign global: it takes its natives at load.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const fresh = require('../../lib/internal/signal/abort-fanout') as Fanout;
        const controller = new AbortController();
        const told: unknown[] = [];
        fresh.join(controller.signal, {
          onAbort: (reason: unknown) => told.push(reason),
          abortFanout: undefined,
          abortPrev: undefined,
          abortNext: undefined,
        });
        controller.abort('gone');
        expect(told).toEqual(['gone']);
      });
    } finally {
      globalThis.EventTarget = realEventTarget;
    }
  });
});
