import { Component, computed, inject, signal, VERSION } from '@angular/core';

import { DataService } from './data.service';

@Component({
  selector: 'app-root',
  templateUrl: './app.html',
  styleUrl: './app.css',
})
export class App {
  protected readonly data = inject(DataService);
  protected readonly angularVersion = VERSION.full;
  protected readonly response = signal('no request sent yet');
  protected readonly busy = computed(() => this.data.stats().queued + this.data.stats().running > 0);

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
