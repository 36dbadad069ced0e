import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { MessageOf, ResponseOf } from 'spark-channel';
import { provideModuleProbe } from 'spark-channel/angular/testing';
import { createProbe, type TestProbe } from 'spark-channel/testing';

import { SearchBox } from './search-box';
import { SEARCH_MS, type SearchApi, SearchService } from './search.service';

/** The search box's DOM: type into it, read what it shows. */
function page(fixture: { nativeElement: unknown }) {
  const root = fixture.nativeElement as HTMLElement;
  const byTestId = (id: string) => root.querySelector(`[data-testid="${id}"]`);
  return {
    type(text: string): void {
      const input = byTestId('search-input') as HTMLInputElement;
      input.value = text;
      input.dispatchEvent(new Event('input'));
    },
    results: () =>
      Array.from(byTestId('search-results')?.querySelectorAll('li') ?? [], (li) => li.textContent?.trim()),
    aborted: () => byTestId('search-aborted')?.textContent?.trim(),
  };
}

describe('SearchBox, with a probe in place of the search module', () => {
  let probe: TestProbe<MessageOf<SearchApi>, ResponseOf<SearchApi>>;
  beforeEach(() => {
    probe = createProbe<MessageOf<SearchApi>, ResponseOf<SearchApi>>();
    TestBed.configureTestingModule({ providers: [provideModuleProbe(SearchService, probe)] });
  });
  afterEach(() => probe.stop());

  it('sends nothing until something is typed', async () => {
    const fixture = TestBed.createComponent(SearchBox);
    await fixture.whenStable();
    expect(page(fixture).results()).toEqual(['type to search']);
    probe.expectNoMessage();
  });

  it('searches as you type, abandons the superseded search, shows the last answer', async () => {
    const fixture = TestBed.createComponent(SearchBox);
    const view = page(fixture);
    view.type('an');
    TestBed.tick(); // the resource's effect sends the Search
    const first = await probe.expectRequest({ type: 'Search', query: 'an' });

    view.type('ang');
    TestBed.tick();
    const second = await probe.expectRequest({ type: 'Search', query: 'ang' });
    expect(first.signal.aborted).toBe(true); // the handler's context.signal: its caller gave up
    expect(first.status).toBe('abandoned');

    second.reply(['angular', 'angular-cli']);
    await fixture.whenStable();
    expect(view.results()).toEqual(['angular', 'angular-cli']);
    probe.expectNoMessage();
  });

  it('shows the failure when the search fails', async () => {
    const fixture = TestBed.createComponent(SearchBox);
    page(fixture).type('x');
    TestBed.tick();
    (await probe.expectRequest({ type: 'Search' })).fail(new Error('index offline'));
    await fixture.whenStable();
    const error = (fixture.nativeElement as HTMLElement).querySelector('[data-testid="search-error"]');
    expect(error?.textContent).toBe('search failed: index offline');
  });
});

describe('SearchService, its real module, on fake timers', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('answers after SEARCH_MS, and counts the search a newer query aborted', async () => {
    const service = TestBed.inject(SearchService);
    const query = TestBed.runInInjectionContext(() => {
      const text = signal('an');
      return { text, results: service.resultsFor(text) };
    });
    TestBed.tick();
    await vi.advanceTimersByTimeAsync(SEARCH_MS - 50); // 'an' is still running
    query.text.set('rx');
    TestBed.tick();
    await vi.advanceTimersByTimeAsync(0);
    expect(service.aborted()).toBe(1);
    expect(query.results.isLoading()).toBe(true);

    await vi.advanceTimersByTimeAsync(SEARCH_MS);
    expect(query.results.value()).toEqual(['rxjs', 'rxdb']);
    expect(service.stats()).toMatchObject({ handled: 2, failed: 0 }); // a search its caller gave up is no failure
  });
});
