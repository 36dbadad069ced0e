// An event bus owned by an Angular injector: `injectEventBus`, `provideEventBus`.
import {
  assertInInjectionContext,
  DestroyRef,
  inject,
  type InjectionToken,
  type Injector,
  type Provider,
  runInInjectionContext,
} from '@angular/core';

import { createEventBus, type EventBus, type EventBusOptions, type EventMap } from '../index.js';

/**
 * Options of {@link injectEventBus}: those of `createEventBus`, and an `injector` to use
 * outside an injection context.
 *
 * @example
 * const options: InjectEventBusOptions = { replay: 1, injector: inject(Injector) };
 */
export interface InjectEventBusOptions extends EventBusOptions {
  /** Creates the bus in this injector's context (and closes it with this injector). */
  injector?: Injector;
}

/**
 * An event bus owned by the current injection context: it is closed (every stream completes,
 * every module subscriber leaves) when that injector is destroyed. Must be called in an injection
 * context (a constructor, a field initializer, a factory), or given an `injector`. A bus's
 * streams are RxJS observables: read one as a signal with Angular's `toSignal(bus.on('…'))`.
 *
 * @throws Angular's NG0203 outside an injection context; `createEventBus`'s errors for bad options.
 *
 * @example
 * \@Injectable({ providedIn: 'root' })
 * export class ShopEventsService {
 *   readonly bus = injectEventBus<ShopEvents>();
 *   readonly lastOrder = toSignal(this.bus.on('OrderPlaced'));
 * }
 */
export function injectEventBus<Ev extends EventMap>(options?: InjectEventBusOptions): EventBus<Ev> {
  if (options?.injector !== undefined) {
    const { injector, ...rest } = options;
    return runInInjectionContext(injector, () => injectEventBus<Ev>(rest));
  }
  assertInInjectionContext(injectEventBus);
  const destroyRef = inject(DestroyRef);
  const bus = createEventBus<Ev>(options);
  destroyRef.onDestroy(() => bus.close());
  return bus;
}

/**
 * Provides an event bus under `token`, created the first time `token` is injected and closed
 * when the providing injector is destroyed.
 *
 * @example
 * export const SHOP_EVENTS = new InjectionToken<EventBus<ShopEvents>>('SHOP_EVENTS');
 * bootstrapApplication(App, { providers: [provideEventBus(SHOP_EVENTS)] });
 * // anywhere below: inject(SHOP_EVENTS).publish({ type: 'OrderPlaced', orderId, total });
 */
export function provideEventBus<Ev extends EventMap>(
  token: InjectionToken<EventBus<Ev>>,
  options?: EventBusOptions,
): Provider {
  return { provide: token, useFactory: () => injectEventBus<Ev>(options) };
}
