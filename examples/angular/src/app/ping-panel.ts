import { Component, Injectable, inject, signal } from '@angular/core';
import type { SparkGenericModuleHandler } from 'spark-channel';
import { injectModule } from 'spark-channel/angular';

class PingHandler implements SparkGenericModuleHandler<'ping', string> {
  #count = 0;

  handleRequest(): string {
    return `pong #${++this.#count}`;
  }

  handleCommand(): void {}
}

/** Counts the panels' modules that have stopped, so the page can show it after a panel is gone. */
@Injectable({ providedIn: 'root' })
export class PanelModules {
  readonly stopped = signal(0);
}

@Component({
  selector: 'app-ping-panel',
  template: `
    <button type="button" data-testid="ping" (click)="ping()">Ping</button>
    <output data-testid="pong">{{ reply() }}</output>
    <small>this panel's module has handled {{ pings.stats().handled }}</small>
  `,
})
export class PingPanel {
  /** A module of this component's own: it starts with the component and stops when it is destroyed. */
  protected readonly pings = injectModule(new PingHandler());
  protected readonly reply = signal('no ping yet');

  constructor() {
    const panels = inject(PanelModules);
    void this.pings.server.stopped.then(() => panels.stopped.update((n) => n + 1));
  }

  protected async ping(): Promise<void> {
    this.reply.set(await this.pings.dispatcher.request('ping'));
  }
}
