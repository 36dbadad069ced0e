import { inject, Injectable } from '@angular/core';
import type { EventBus, SparkGenericModuleHandler } from 'spark-channel';
import { ModuleService } from 'spark-channel/angular';

import { AppInspector } from './app-inspector';
import { SHOP_EVENTS, type ShopEvents } from './shop-events';

export type OrderMessage = { type: 'PlaceOrder'; total: number };

/** Takes orders one at a time, numbers them, and announces each one on the bus. */
class OrdersHandler implements SparkGenericModuleHandler<OrderMessage, string> {
  #next = 1;

  constructor(private readonly events: EventBus<ShopEvents>) {}

  async handleRequest({ total }: OrderMessage): Promise<string> {
    const orderId = `o-${this.#next++}`;
    // Resolves once every subscriber accepted the event (the shipping module's mailbox has room).
    await this.events.publish({ type: 'OrderPlaced', orderId, total });
    return orderId;
  }

  handleCommand(): void {}
}

/** The module that publishes: the page asks it to place orders, it tells everyone else. */
@Injectable({ providedIn: 'root' })
export class OrdersService extends ModuleService<OrderMessage, string> {
  constructor() {
    super(new OrdersHandler(inject(SHOP_EVENTS)));
    inject(AppInspector).inspector.watch('orders', this.server); // the inspector panel's card
  }

  placeOrder(total: number): Promise<string> {
    return this.dispatcher.request({ type: 'PlaceOrder', total });
  }
}
