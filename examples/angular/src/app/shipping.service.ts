import { inject, Injectable } from '@angular/core';
import { concatMap, type Observable, timer } from 'rxjs';
import type { EventBus, SparkGenericModuleHandler } from 'spark-channel';
import { ModuleService } from 'spark-channel/angular';

import { AppInspector } from './app-inspector';
import { SHOP_EVENTS, type ShopEvents } from './shop-events';

export type ShippingMessage = { type: 'Ship'; orderId: string };

/** Ships one order at a time (packing takes a while), then announces it. */
class ShippingHandler implements SparkGenericModuleHandler<ShippingMessage, never> {
  constructor(private readonly events: EventBus<ShopEvents>) {}

  handleRequest(): never {
    throw new Error('Shipping takes commands only');
  }

  handleCommand({ orderId }: ShippingMessage): Observable<unknown> {
    return timer(150).pipe(concatMap(() => this.events.publish({ type: 'OrderShipped', orderId })));
  }
}

/** The module that subscribes: every OrderPlaced becomes a Ship command in its mailbox. */
@Injectable({ providedIn: 'root' })
export class ShippingService extends ModuleService<ShippingMessage, never> {
  constructor() {
    const events = inject(SHOP_EVENTS);
    super(new ShippingHandler(events));
    inject(AppInspector).inspector.watch('shipping', this.server); // the inspector panel's card
    // One at a time, in publish order, with this module's own queue, stats and errors.
    events.subscribe('OrderPlaced', this.dispatcher, (event) => ({
      type: 'Ship' as const,
      orderId: event.orderId,
    }));
  }
}
