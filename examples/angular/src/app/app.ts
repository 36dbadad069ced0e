import { Component, computed, inject, signal, VERSION } from '@angular/core';

import { InspectorPanel } from './app-inspector';
import { DataService } from './data.service';
import { HashPanel } from './hash-panel';
import { LastOrder, OrderFeed } from './order-feed';
import { OrdersService } from './orders.service';
import { PanelModules, PingPanel } from './ping-panel';
import { RenderedReport } from './rendered-report';
import { SearchBox } from './search-box';
import { ShippingService } from './shipping.service';

@Component({
  selector: 'app-root',
  imports: [PingPanel, OrderFeed, LastOrder, InspectorPanel, RenderedReport, HashPanel, SearchBox],
  templateUrl: './app.html',
  styleUrl: './app.css',
})
export class App {
  protected readonly data = inject(DataService);
  protected readonly angularVersion = VERSION.full;
  protected readonly response = signal('no request sent yet');
  protected readonly busy = computed(() => this.data.stats().queued + this.data.stats().running > 0);
  protected readonly panels = inject(PanelModules);
  protected readonly panelOpen = signal(false);
  protected readonly orders = inject(OrdersService);
  /** Subscribed to OrderPlaced from its constructor: injecting it here starts it with the app. */
  protected readonly shipping = inject(ShippingService);
  protected readonly receipts = signal('no order placed yet');
  protected readonly lastOpen = signal(false);
  protected readonly inspectorOpen = signal(false);
  /** Mounted on demand: its Web Worker starts with it and is terminated when it closes. */
  protected readonly hashOpen = signal(false);

  protected async requestData(): Promise<void> {
    try {
      const values = await this.data.getData('user123');
      this.response.set(`user123 → [${values.join(', ')}]`);
    } catch (error: unknown) {
      this.response.set(`request failed: ${String(error)}`);
    }
  }

  protected sendFailingCommand(): void {
    void this.data.sendUnsupportedCommand();
  }

  protected queueSlowCommands(): void {
    for (let i = 1; i <= 5; i++) void this.data.logEvent(`event ${i}`, 300);
  }

  protected async placeOrders(): Promise<void> {
    // Three at once: the orders module takes them one at a time, each publishes OrderPlaced.
    const ids = await Promise.all([20, 35, 50].map((total) => this.orders.placeOrder(total)));
    this.receipts.set(`placed ${ids.join(', ')}`);
  }
}
