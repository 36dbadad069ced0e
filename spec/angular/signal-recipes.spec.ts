/** @jest-environment jsdom */
// The recipes of docs/angular.md, each a real component rendered under TestBed (zoneless) and
// checked: a response as a signal with toSignal(dispatcher.request$(…)), a search box whose
// queries go through requestVia({ strategy: 'switch' }), and stats badges from a module's signals.
import '../support/angular-testbed';

import {
  Component,
  computed,
  inject,
  InjectionToken,
  provideZonelessChangeDetection,
  signal,
} from '@angular/core';
import { toObservable, toSignal } from '@angular/core/rxjs-interop';
import { TestBed } from '@angular/core/testing';
import { filter, map } from 'rxjs';

import { type InjectedTypedModule, injectModule, provideTypedModule } from '../../lib/angular/index.js';
import { createRouter, type HandlerContext, requestVia } from '../../lib/index.js';

type Api = {
  GetData: { request: { key: string }; response: number[] };
  Search: { request: { query: string }; response: string[] };
};

const started: string[] = [];
const aborted: string[] = [];
const API = new InjectionToken<InjectedTypedModule<Api>>('API');
const apiRouter = () =>
  createRouter<Api>({
    GetData: { request: ({ key }) => [key.length, 2, 3] },
    Search: {
      // Answers on the next macrotask, unless its caller gave up first.
      request: ({ query }, { signal }: HandlerContext) =>
        new Promise<string[]>((resolve, reject) => {
          started.push(query);
          const done = setTimeout(() => resolve([`${query}-1`, `${query}-2`]), 0);
          signal.addEventListener('abort', () => {
            clearTimeout(done);
            aborted.push(query);
            reject(signal.reason);
          });
        }),
    },
  });

// Recipe: one response as a signal. request$ is cold: toSignal subscribes (and so sends) when the
// component is created, and unsubscribes (withdrawing an unanswered request) when it is destroyed.
class UserData {
  readonly #api = inject(API).dispatcher;
  readonly data = toSignal(this.#api.request$({ type: 'GetData', key: 'user123' }), { initialValue: [] });
}
Component({ selector: 'app-user-data', template: `{{ data().join(', ') }}` })(UserData);

// Recipe: a search box through requestVia's 'switch': a newer query aborts the search in flight.
class SearchBox {
  readonly #api = inject(API).dispatcher;
  readonly query = signal('');
  readonly results = toSignal(
    toObservable(this.query).pipe(
      filter((query) => query !== ''),
      map((query) => ({ type: 'Search' as const, query })),
      requestVia(this.#api, { strategy: 'switch' }),
    ),
    { initialValue: [] },
  );
}
Component({
  selector: 'app-search-box',
  template: `<ul>@for (hit of results(); track hit) {<li>{{ hit }}</li>}</ul>`,
})(SearchBox);

// Recipe: badges from a module's stats signal, with computed.
class QueueBadge {
  readonly jobs = injectModule<number, number>({
    handleRequest: (n) => n,
    handleCommand: () => new Promise<void>((resolve) => setTimeout(resolve, 0)),
  });
  readonly busy = computed(() => this.jobs.stats().queued + this.jobs.stats().running > 0);
  readonly label = computed(() => (this.busy() ? `busy, ${this.jobs.stats().queued} waiting` : 'idle'));
}
Component({
  selector: 'app-queue-badge',
  template: `<span class="badge" [class.busy]="busy()">{{ label() }}</span>`,
})(QueueBadge);

beforeEach(() => {
  started.length = aborted.length = 0;
  TestBed.configureTestingModule({
    providers: [provideZonelessChangeDetection(), provideTypedModule(API, apiRouter)],
  });
});

const text = (fixture: { nativeElement: unknown }): string =>
  ((fixture.nativeElement as HTMLElement).textContent ?? '').trim();

describe('docs/angular.md recipes', () => {
  it('toSignal(dispatcher.request$(…)): the response as a signal', async () => {
    const fixture = TestBed.createComponent(UserData);
    await fixture.whenStable();
    expect(text(fixture)).toBe('7, 2, 3');
  });

  it('a search box through requestVia({ strategy: "switch" }): superseded searches are aborted', async () => {
    const fixture = TestBed.createComponent(SearchBox);
    const macrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
    fixture.componentInstance.query.set('a');
    TestBed.tick(); // toObservable emits from an effect: 'a' is sent
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(started).toEqual(['a']);
    fixture.componentInstance.query.set('ab'); // before 'a' is answered
    TestBed.tick();
    expect(aborted).toEqual(['a']); // its handler's context.signal aborted
    await macrotask(); // 'ab' starts, and answers on the macrotask after
    await macrotask();
    await fixture.whenStable();
    expect(started).toEqual(['a', 'ab']);
    expect(text(fixture)).toBe('ab-1ab-2');
  });

  it('stats badges: computed over the stats signal', async () => {
    const fixture = TestBed.createComponent(QueueBadge);
    await fixture.whenStable();
    expect(text(fixture)).toBe('idle');
    const { jobs } = fixture.componentInstance;
    for (let i = 0; i < 3; i++) void jobs.dispatcher.sendCommand(i);
    await Promise.resolve();
    fixture.detectChanges();
    expect(text(fixture)).toBe('busy, 2 waiting');
    await jobs.dispatcher.request(0);
    await fixture.whenStable();
    expect(text(fixture)).toBe('idle');
  });
});
