import { TestBed } from '@angular/core/testing';
import { provideEventBus } from 'spark-channel/angular';
import { provideModuleProbe } from 'spark-channel/angular/testing';
import { createProbe, type TestProbe } from 'spark-channel/testing';

import { App } from './app';
import type { DataMessage, DataResponse } from './data.handler';
import { DataService } from './data.service';
import { SHOP_EVENTS } from './shop-events';

describe('App, with a probe in place of the data module', () => {
  let probe: TestProbe<DataMessage, DataResponse>;
  beforeEach(() => {
    probe = createProbe<DataMessage, DataResponse>();
    TestBed.configureTestingModule({
      providers: [provideEventBus(SHOP_EVENTS, { replay: 1 }), provideModuleProbe(DataService, probe)],
    });
  });
  afterEach(() => probe.stop());

  const text = (root: HTMLElement, id: string) =>
    root.querySelector(`[data-testid="${id}"]`)?.textContent?.trim();

  it('renders the response to “Request data”', async () => {
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    const root = fixture.nativeElement as HTMLElement;
    expect(text(root, 'response')).toBe('no request sent yet');

    (root.querySelector('[data-testid="request"]') as HTMLButtonElement).click();
    (await probe.expectRequest({ type: 'GetData', key: 'user123' })).reply({ type: 'Data', data: [7, 8] });
    await fixture.whenStable();
    expect(text(root, 'response')).toBe('user123 → [7, 8]');
    expect(text(root, 'handled')).toBe('1');
  });

  it('renders a failed request as such', async () => {
    const fixture = TestBed.createComponent(App);
    const root = fixture.nativeElement as HTMLElement;
    (root.querySelector('[data-testid="request"]') as HTMLButtonElement).click();
    (await probe.expectRequest({ type: 'GetData' })).fail(new Error('store offline'));
    await fixture.whenStable();
    expect(text(root, 'response')).toBe('request failed: Error: store offline');
    expect(text(root, 'errors')).toBe('request failed: store offline');
  });
});
