import { Component, computed, inject, signal, VERSION } from '@angular/core';

import { DataService } from './data.service';
import { PanelModules, PingPanel } from './ping-panel';

@Component({
  selector: 'app-root',
  imports: [PingPanel],
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
}
