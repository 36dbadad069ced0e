/** @jest-environment jsdom */
// provideModuleProbe / provideTypedModuleProbe under Angular's TestBed (zoneless): a service or
// component talks to a test probe in place of its module, and the test checks what it sent and
// answers it, as docs/testing.md does without Angular. Type-level checks compile only if the
// types hold.
import '../support/angular-testbed';

import {
  Component,
  inject,
  Injectable,
  InjectionToken,
  Injector,
  provideZonelessChangeDetection,
  signal,
} from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { expectTypeOf } from 'expect-type';

import {
  type InjectedModule,
  type InjectedTypedModule,
  type InjectModuleOptions,
  moduleResource,
  ModuleService,
  provideModule,
  TypedModuleService,
} from '../../lib/angular/index.js';
import { provideModuleProbe, provideTypedModuleProbe } from '../../lib/angular/testing/index.js';
import {
  createRouter,
  isSparkChannelError,
  type MessageOf,
  type ResponseOf,
  type SparkGenericModuleHandler,
} from '../../lib/index.js';
import { createProbe, type TestProbe } from '../../lib/testing/index.js';

type DataMessage = { type: 'GetData'; key: string } | { type: 'LogEvent'; event: string };
type DataResponse = { type: 'Data'; data: number[] };

/** The real handler: a test that uses a probe must never reach it. */
const realHandler = (): SparkGenericModuleHandler<DataMessage, DataResponse> => ({
  handleRequest: () => {
    throw new Error('the real handler ran');
  },
  handleCommand: () => {
    throw new Error('the real handler ran');
  },
});

// Injectable() called as a function: jest compiles the spec with TypeScript's standard
// decorators, which Angular's are not; the JIT compiler reads the same metadata either way.
class DataService extends ModuleService<DataMessage, DataResponse> {
  constructor() {
    super(realHandler(), { capacity: 8 });
  }

  async getData(key: string): Promise<number[]> {
    const response = await this.dispatcher.request({ type: 'GetData', key }, { timeoutMs: 1_000 });
    return response.data;
  }

  logEvent(event: string): Promise<void> {
    return this.dispatcher.sendCommand({ type: 'LogEvent', event });
  }
}
Injectable({ providedIn: 'root' })(DataService);

/** A component over the service: a button that loads, and what came back. */
class DataView {
  readonly #data = inject(DataService);
  readonly shown = signal('nothing yet');

  async load(): Promise<void> {
    try {
      this.shown.set(`[${(await this.#data.getData('user123')).join(', ')}]`);
    } catch (error: unknown) {
      this.shown.set(isSparkChannelError(error) ? error.code : String(error));
    }
  }
}
Component({
  selector: 'app-data-view',
  template: `<button type="button" (click)="load()">Load</button><output>{{ shown() }}</output>`,
})(DataView);

type Api = {
  Search: { request: { query: string }; response: string[] };
  Audit: { command: { event: string } };
};

class SearchService extends TypedModuleService<Api> {
  constructor() {
    super(
      createRouter<Api>({
        Search: {
          request: () => {
            throw new Error('the real router ran');
          },
        },
        Audit: { command: () => undefined },
      }),
    );
  }

  search(query: string): Promise<string[]> {
    return this.dispatcher.request({ type: 'Search', query });
  }
}
Injectable({ providedIn: 'root' })(SearchService);

const DATA = new InjectionToken<InjectedModule<DataMessage, DataResponse>>('DATA');
const API = new InjectionToken<InjectedTypedModule<Api>>('API');

/** A component whose search box drives a moduleResource over the token's module. */
class SearchBox {
  readonly query = signal('an');
  readonly results = moduleResource(inject(API).dispatcher, () => ({ type: 'Search', query: this.query() }), {
    defaultValue: [],
  });
}
Component({
  selector: 'app-search-box',
  template: `<ul>@for (hit of results.value(); track hit) {<li>{{ hit }}</li>}</ul>`,
})(SearchBox);

let probe: TestProbe<DataMessage, DataResponse>;
beforeEach(() => {
  probe = createProbe<DataMessage, DataResponse>();
});
afterEach(() => probe.stop());

describe('provideModuleProbe(ModuleService subclass, probe)', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideModuleProbe(DataService, probe)],
    });
  });

  it('builds the service as usual, with the probe as its module', async () => {
    const service = TestBed.inject(DataService);
    const values = service.getData('user123');
    const request = await probe.expectRequest({ type: 'GetData', key: 'user123' });
    expect(service.stats()).toMatchObject({ running: 1 });
    request.reply({ type: 'Data', data: [1, 2, 3] });
    await expect(values).resolves.toEqual([1, 2, 3]);

    await service.logEvent('seen');
    await expect(probe.expectCommand({ type: 'LogEvent' })).resolves.toEqual({
      type: 'LogEvent',
      event: 'seen',
    });
    probe.expectNoMessage();
    await Promise.resolve();
    expect(service.stats()).toMatchObject({ handled: 2, failed: 0 });
  });

  it('shows the probe’s failures on the errors signal, and stops the probe with the injector', async () => {
    const service = TestBed.inject(DataService);
    const first = service.getData('a');
    const failure = new Error('index offline');
    (await probe.expectRequest({ type: 'GetData' })).fail(failure);
    await expect(first).rejects.toBe(failure);
    expect(service.errors()).toEqual([
      { kind: 'request', message: { type: 'GetData', key: 'a' }, error: failure },
    ]);

    const pending = service.getData('b');
    await probe.expectRequest({ type: 'GetData', key: 'b' });
    TestBed.resetTestingModule(); // TestBed's teardown: the service's injector is destroyed
    await expect(pending).rejects.toMatchObject({ code: 'RECEIVE_FAILED' });
    expect(probe.server.isRunning).toBe(false);
    expect(service.isRunning()).toBe(false);
  });

  it('drives a component: a click sends, the probe answers, the view shows it', async () => {
    const fixture = TestBed.createComponent(DataView);
    await fixture.whenStable();
    const view = fixture.nativeElement as HTMLElement;
    expect(view.querySelector('output')?.textContent).toBe('nothing yet');

    view.querySelector('button')?.click();
    (await probe.expectRequest({ type: 'GetData', key: 'user123' })).reply({ type: 'Data', data: [4, 2] });
    await fixture.whenStable();
    expect(view.querySelector('output')?.textContent).toBe('[4, 2]');
  });

  it('lets the component meet the real semantics: a request left unanswered times out', async () => {
    jest.useFakeTimers();
    try {
      const fixture = TestBed.createComponent(DataView);
      const view = fixture.nativeElement as HTMLElement;
      view.querySelector('button')?.click();
      const request = await probe.expectRequest({ type: 'GetData' }); // and leave it hanging
      await jest.advanceTimersByTimeAsync(999);
      expect(request.status).toBe('pending');
      await jest.advanceTimersByTimeAsync(1);
      // Zoneless change detection is scheduled on a timer too, which the fake clock holds: run it now.
      fixture.detectChanges();
      expect(view.querySelector('output')?.textContent).toBe('TIMEOUT');
      expect(request.status).toBe('abandoned');
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('provideModuleProbe(token, probe) and provideTypedModuleProbe(token, probe)', () => {
  it('stands in for a provideModule token', async () => {
    TestBed.configureTestingModule({
      providers: [
        provideZonelessChangeDetection(),
        provideModule(DATA, realHandler),
        provideModuleProbe(DATA, probe),
      ],
    });
    const data = TestBed.inject(DATA);
    expect(data.dispatcher).toBe(probe.dispatcher);
    expect(data.server).toBe(probe.server);
    probe.replyToRequests({ type: 'GetData' }, ({ key }) => ({ type: 'Data', data: [key.length] }));
    await expect(data.dispatcher.request({ type: 'GetData', key: 'abc' })).resolves.toEqual({
      type: 'Data',
      data: [3],
    });
  });

  it('stands in for a typed token: a component’s moduleResource renders what the probe answers', async () => {
    const search = createProbe<MessageOf<Api>, ResponseOf<Api>>();
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideTypedModuleProbe(API, search)],
    });
    search.replyToRequests({ type: 'Search' }, ({ query }) => [`${query}gular`, `${query}t`]);
    const fixture = TestBed.createComponent(SearchBox);
    await fixture.whenStable();
    const items = () =>
      Array.from((fixture.nativeElement as HTMLElement).querySelectorAll('li'), (li) => li.textContent);
    expect(items()).toEqual(['angular', 'ant']);

    fixture.componentInstance.query.set('ra');
    await fixture.whenStable();
    expect(items()).toEqual(['ragular', 'rat']);
    expect(search.received.map((m) => m.message)).toEqual([
      { type: 'Search', query: 'an' },
      { type: 'Search', query: 'ra' },
    ]);
    fixture.destroy();
    TestBed.resetTestingModule();
    expect(search.server.isRunning).toBe(false);
  });

  it('stands in for a TypedModuleService subclass: typed, with no guard', async () => {
    const search = createProbe<MessageOf<Api>, ResponseOf<Api>>();
    TestBed.configureTestingModule({ providers: [provideModuleProbe(SearchService, search)] });
    const hits = TestBed.inject(SearchService).search('rx');
    expectTypeOf(hits).toEqualTypeOf<Promise<string[]>>();
    (await search.expectRequest({ type: 'Search', query: 'rx' })).reply(['rxjs']);
    await expect(hits).resolves.toEqual(['rxjs']);
    search.stop();
  });

  it('uses the stand-in of that service only, in the injector a service names with `injector`', async () => {
    class OtherService extends ModuleService<DataMessage, DataResponse> {
      constructor(options?: InjectModuleOptions) {
        super(
          {
            handleRequest: () => ({ type: 'Data', data: [0] }),
            handleCommand: () => undefined,
          },
          options,
        );
      }

      get(): Promise<DataResponse> {
        return this.dispatcher.request({ type: 'GetData', key: 'k' });
      }
    }
    class ProbedOther extends OtherService {}
    TestBed.configureTestingModule({
      providers: [provideModuleProbe(DataService, probe), provideModuleProbe(ProbedOther, probe)],
    });
    const injector = TestBed.inject(Injector);
    // OtherService has no stand-in: its real module answers.
    await expect(new OtherService({ injector }).get()).resolves.toEqual({ type: 'Data', data: [0] });
    const probed = new ProbedOther({ injector }).get();
    (await probe.expectRequest({ type: 'GetData', key: 'k' })).reply({ type: 'Data', data: [9] });
    await expect(probed).resolves.toEqual({ type: 'Data', data: [9] });
    expect(() => new ProbedOther()).toThrow(/NG0203/);
  });

  it('refuses a target that is not a token or a module service, and a probe that is not one', () => {
    expect(() => provideModuleProbe(class NotAService {} as never, probe)).toThrow(
      new TypeError(
        'Expected `target` to be an InjectionToken or a ModuleService or TypedModuleService subclass, got the function NotAService',
      ),
    );
    expect(() => provideModuleProbe('DATA' as never, probe)).toThrow(/got string/);
    expect(() => provideModuleProbe(DATA, {} as never)).toThrow(
      new TypeError(
        'Expected `probe` to be a test probe from createProbe (spark-channel/testing), got an object ([object Object])',
      ),
    );
    expect(() => provideModuleProbe(DATA, null as never)).toThrow(/`probe`.*got null/);
    expect(() => provideTypedModuleProbe({} as never, createProbe() as never)).toThrow(
      /Expected `token` to be an InjectionToken, got an object/,
    );
    expect(() => provideTypedModuleProbe(API, probe.dispatcher as never)).toThrow(/`probe`/);
    expect(() => provideModuleProbe((() => 1) as never, probe)).toThrow(
      /the function \(anonymous\)|the function/,
    );
  });

  it('types: the probe must fit the module it stands in for', () => {
    const search = createProbe<MessageOf<Api>, ResponseOf<Api>>();
    // @ts-expect-error a probe of another module's messages
    provideModuleProbe(DataService, search);
    // @ts-expect-error a probe of another module's messages
    provideModuleProbe(DATA, search);
    // @ts-expect-error a probe of another module's messages
    provideTypedModuleProbe(API, probe);
    // @ts-expect-error a typed service needs a probe of its definition's messages
    provideModuleProbe(SearchService, probe);
    expectTypeOf(provideModuleProbe(SearchService, search)).not.toBeAny();
    search.stop();
  });
});
