// spark-channel/angular's event bus under Angular's real injector: created in an injection
// context, provided under a token, closed with its injector.
import {
  createEnvironmentInjector,
  type EnvironmentInjector,
  Injector,
  InjectionToken,
  runInInjectionContext,
} from '@angular/core';

import { injectEventBus, injectModule, provideEventBus } from '../../lib/angular/index.js';
import type { EventBus } from '../../lib/index.js';

type ShopEvents = { OrderPlaced: { orderId: string }; OrderShipped: { orderId: string } };
const SHOP_EVENTS = new InjectionToken<EventBus<ShopEvents>>('SHOP_EVENTS');

const environment = (providers: Parameters<typeof createEnvironmentInjector>[0]): EnvironmentInjector =>
  createEnvironmentInjector(providers, Injector.create({ providers: [] }) as EnvironmentInjector);

describe('provideEventBus / injectEventBus', () => {
  it('provides one bus per injector, delivers to observers and modules, and closes it on destroy', async () => {
    const injector = environment([provideEventBus(SHOP_EVENTS, { replay: 1 })]);
    const bus = injector.get(SHOP_EVENTS);
    expect(injector.get(SHOP_EVENTS)).toBe(bus);
    const shipped: string[] = [];
    const handled: string[] = [];
    const stock = runInInjectionContext(injector, () =>
      injectModule<{ orderId: string }, never>({
        handleRequest: () => {
          throw new Error('no requests');
        },
        handleCommand: (event) => void handled.push(event.orderId),
      }),
    );
    bus.subscribe('OrderPlaced', stock.dispatcher);
    let completed = false;
    bus
      .on('OrderShipped')
      .subscribe({ next: (e) => shipped.push(e.orderId), complete: () => (completed = true) });
    await bus.publish({ type: 'OrderPlaced', orderId: 'o-1' });
    await bus.publish({ type: 'OrderShipped', orderId: 'o-1' });
    const replayed: string[] = [];
    bus.on('OrderPlaced').subscribe((e) => replayed.push(e.orderId)); // replay: 1
    expect({ shipped, handled, replayed }).toEqual({ shipped: ['o-1'], handled: ['o-1'], replayed: ['o-1'] });

    injector.destroy();
    expect(completed).toBe(true);
    await expect(bus.publish({ type: 'OrderPlaced', orderId: 'o-2' })).rejects.toMatchObject({
      code: 'SEND_FAILED',
    });
  });

  it('creates a bus with an injector given outside an injection context, closed with that injector', () => {
    const injector = environment([]);
    const bus = injectEventBus<ShopEvents>({ injector });
    let completed = false;
    bus.events$.subscribe({ complete: () => (completed = true) });
    injector.destroy();
    expect(completed).toBe(true);
    expect(() => bus.tryPublish({ type: 'OrderShipped', orderId: 'o-1' })).toThrow(
      expect.objectContaining({ code: 'SEND_FAILED' }),
    );
  });

  it('refuses to run outside an injection context, and passes bad options on as createEventBus does', () => {
    expect(() => injectEventBus<ShopEvents>()).toThrow(/NG0203|injection context/);
    const injector = environment([]);
    expect(() => injectEventBus<ShopEvents>({ injector, replay: -1 })).toThrow(RangeError);
    injector.destroy();
  });
});
