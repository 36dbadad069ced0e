import { InjectionToken } from '@angular/core';
import type { EventBus } from 'spark-channel';

/** What happens in the shop, for whoever cares: a map from event type to payload. */
export type ShopEvents = {
  OrderPlaced: { orderId: string; total: number };
  OrderShipped: { orderId: string };
};

/** The app's event bus: provided in app.config.ts, closed when the app is destroyed. */
export const SHOP_EVENTS = new InjectionToken<EventBus<ShopEvents>>('SHOP_EVENTS');
