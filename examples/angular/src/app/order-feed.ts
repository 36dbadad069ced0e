import { Component, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { scan } from 'rxjs';

import { SHOP_EVENTS } from './shop-events';

/** Every order event since this component mounted, oldest first. */
@Component({
  selector: 'app-order-feed',
  template: `
    <ol data-testid="feed">
      @for (line of feed(); track $index) {
        <li>{{ line }}</li>
      } @empty {
        <li class="none">no events yet</li>
      }
    </ol>
  `,
})
export class OrderFeed {
  readonly #events = inject(SHOP_EVENTS);
  /** toSignal subscribes now and unsubscribes when this component is destroyed. */
  protected readonly feed = toSignal(
    this.#events
      .on(['OrderPlaced', 'OrderShipped'])
      .pipe(
        scan(
          (lines: readonly string[], event) => [
            ...lines,
            event.type === 'OrderPlaced'
              ? `OrderPlaced ${event.orderId} (${event.total} €)`
              : `OrderShipped ${event.orderId}`,
          ],
          [],
        ),
      ),
    { initialValue: [] },
  );
}

/** The last order placed, for a component that mounts late: the bus replays it (`replay: 1`). */
@Component({
  selector: 'app-last-order',
  template: `<output data-testid="last-order">{{ last()?.orderId ?? 'no order yet' }}</output>`,
})
export class LastOrder {
  protected readonly last = toSignal(inject(SHOP_EVENTS).on('OrderPlaced'));
}
