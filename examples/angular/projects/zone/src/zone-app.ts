import {
  ApplicationRef,
  Component,
  Injectable,
  inject,
  NgZone,
  type OnInit,
  signal,
  VERSION,
} from '@angular/core';
import { ModuleService } from 'spark-channel/angular';

import { type DataMessage, type DataResponse, DataHandler, isData } from '../../../src/app/data.handler';

/** The zoneless example's module service, unchanged in substance: the same handler, the same calls. */
@Injectable({ providedIn: 'root' })
export class ZoneDataService extends ModuleService<DataMessage, DataResponse> {
  constructor() {
    super(new DataHandler(), { capacity: 32, maxErrors: 5 });
  }

  async getData(key: string): Promise<number[]> {
    const response = await this.dispatcher.request(
      { type: 'GetData', key },
      { guard: isData, timeoutMs: 1_000 },
    );
    return response.data;
  }

  /** The server's live count, read without a signal: what a template must not bind (see below). */
  handledNow(): number {
    return this.server.stats().handled;
  }
}

/**
 * Sends a request from `ngOnInit`, in the middle of its parent's change detection. The handler
 * is synchronous, so the server handles it on this very stack; the `stats` signal still changes
 * only on the next microtask, after the check, so the parent's binding of it cannot trip NG0100.
 */
@Component({
  selector: 'app-eager-request',
  template: `<output data-testid="eager">{{ eager }}</output>`,
})
export class EagerRequest implements OnInit {
  readonly #data = inject(ZoneDataService);
  /** A plain field: only a change detection that zone.js triggers after the answer shows it. */
  protected eager = 'requesting…';

  ngOnInit(): void {
    void this.#data.getData('user123').then((values) => (this.eager = `on init → [${values.join(', ')}]`));
  }
}

@Component({
  selector: 'app-root',
  imports: [EagerRequest],
  template: `
    <main>
      <h1>
        spark-channel <small>on Angular {{ angularVersion }}, with zone.js</small>
      </h1>
      <p data-testid="mode">{{ mode }}</p>
      <dl>
        <dt>handled</dt>
        <dd data-testid="handled">{{ data.stats().handled }}</dd>
        <!-- With ?provoke-ng0100, the live count without a signal: the child below changes it
             mid-check (its ngOnInit runs after this binding, before the dev-mode check). -->
        <dt>handled, read live</dt>
        <dd data-testid="handled-live">{{ provoke ? data.handledNow() : 'not bound' }}</dd>
      </dl>
      <app-eager-request />
      <button type="button" data-testid="request" (click)="request()">Request data</button>
      <output data-testid="response">{{ response }}</output>
      <output data-testid="in-zone">{{ continuedInZone }}</output>
      <button type="button" data-testid="stable" (click)="checkStable()">Wait for stability</button>
      <output data-testid="stability">{{ stability() }}</output>
    </main>
  `,
})
export class ZoneApp {
  protected readonly data = inject(ZoneDataService);
  readonly #appRef = inject(ApplicationRef);
  protected readonly angularVersion = VERSION.full;
  protected readonly mode = `zone.js ${typeof Zone === 'undefined' ? 'absent' : 'loaded'}, ngDevMode ${typeof ngDevMode === 'undefined' || !!ngDevMode ? 'on' : 'off'}`;
  /** `?provoke-ng0100` shows the check working: it binds the count that NG0100 catches changing. */
  protected readonly provoke = new URLSearchParams(location.search).has('provoke-ng0100');
  // Plain fields, not signals: the page shows them only because zone.js ran change detection.
  protected response = 'no request sent yet';
  protected continuedInZone = '';
  protected readonly stability = signal('not asked');

  protected async request(): Promise<void> {
    const values = await this.data.getData('user123');
    this.response = `user123 → [${values.join(', ')}]`;
    this.continuedInZone = `answer handled in the Angular zone: ${NgZone.isInAngularZone()}`;
  }

  protected async checkStable(): Promise<void> {
    const asked = performance.now();
    await this.#appRef.whenStable();
    this.stability.set(`stable after ${Math.round(performance.now() - asked)} ms`);
  }
}

declare const Zone: unknown;
declare const ngDevMode: unknown;
