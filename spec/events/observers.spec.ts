// The bus keeps its observers in copy-on-write lists of their Subscribers (not Subjects): these
// pin down that delivery behaves as a Subject's did — an observer added or removed during a
// delivery is not called for that event, a Subscriber that throws does not stop the others, an
// observer of several types completes once, and one that had enough of the replay is not kept.
import { config, Subscriber, take } from 'rxjs';

import { createEventBus } from '../../lib/index.js';
import { settle, type ShopEvents } from './support.js';

const unhandled: unknown[] = [];
beforeEach(() => {
  unhandled.length = 0;
  config.onUnhandledError = (error) => unhandled.push(error);
});
afterEach(() => {
  config.onUnhandledError = null;
});

const placed = (orderId: string) => ({ type: 'OrderPlaced' as const, orderId, total: 1 });

describe('observer lists', () => {
  it('an observer added during a delivery gets only later events; one removed is not called again', async () => {
    const bus = createEventBus<ShopEvents>();
    const seen: string[] = [];
    const late = bus.on('OrderPlaced');
    const first = bus.on('OrderPlaced').subscribe((e) => {
      seen.push(`first ${e.orderId}`);
      if (e.orderId === 'a') late.subscribe((l) => seen.push(`late ${l.orderId}`));
      if (e.orderId === 'b') second.unsubscribe();
    });
    const second = bus.on('OrderPlaced').subscribe((e) => seen.push(`second ${e.orderId}`));
    await bus.publish(placed('a'));
    await bus.publish(placed('b'));
    await bus.publish(placed('c'));
    expect(seen).toEqual(['first a', 'second a', 'first b', 'late b', 'first c', 'late c']);
    first.unsubscribe();
  });

  it('a Subscriber that throws from next (no SafeSubscriber around it) is reported; the others still get the event', async () => {
    const bus = createEventBus<ShopEvents>();
    const seen: string[] = [];
    const boom = new Error('raw subscriber');
    bus.events$.subscribe(
      new Subscriber({
        next: () => {
          throw boom;
        },
        error: () => undefined,
        complete: () => undefined,
      }),
    );
    bus.events$.subscribe((e) => seen.push(`all ${e.type}`));
    bus.on('OrderPlaced').subscribe((e) => seen.push(`placed ${e.orderId}`));
    await expect(bus.publish(placed('a'))).resolves.toBeUndefined();
    expect(seen).toEqual(['all OrderPlaced', 'placed a']);
    await settle();
    expect(unhandled).toEqual([boom]);
  });

  it('an observer of several types completes once on close, and its teardown after close is harmless', () => {
    const bus = createEventBus<ShopEvents>();
    let completions = 0;
    const both = bus.on(['OrderPlaced', 'OrderShipped']).subscribe({ complete: () => completions++ });
    bus.events$.subscribe({ complete: () => completions++ });
    bus.close();
    expect(completions).toBe(2);
    expect(both.closed).toBe(true);
    both.unsubscribe();
  });

  it('unsubscribing the last observer of a type leaves nothing behind; a new one starts afresh', async () => {
    const bus = createEventBus<ShopEvents>();
    const seen: string[] = [];
    bus
      .on(['OrderPlaced', 'OrderShipped'])
      .subscribe((e) => seen.push(e.type))
      .unsubscribe();
    await bus.publish(placed('a'));
    bus.on('OrderShipped').subscribe((e) => seen.push(`shipped ${e.orderId}`));
    await bus.publish({ type: 'OrderShipped', orderId: 'a' });
    expect(seen).toEqual(['shipped a']);
  });

  it('an observer satisfied by the replay alone (take) is not kept on the bus', async () => {
    const bus = createEventBus<ShopEvents>({ replay: 2 });
    await bus.publish(placed('a'));
    await bus.publish(placed('b'));
    const fromReplay: string[] = [];
    const all: string[] = [];
    bus
      .on('OrderPlaced')
      .pipe(take(1))
      .subscribe((e) => fromReplay.push(e.orderId));
    bus.events$.pipe(take(2)).subscribe((e) => all.push(e.type));
    await bus.publish(placed('c'));
    expect(fromReplay).toEqual(['a']);
    expect(all).toEqual(['OrderPlaced', 'OrderPlaced']);
  });
});
