// Typed modules in DI (injectTypedModule, provideTypedModule, TypedModuleService) under Angular's
// real injector: the dispatcher is typed by the definition, and the module lives and dies with
// its injector as injectModule's does. The type-level checks compile only if the types hold
// (`npm run typecheck`); the runtime checks run under jest.
import {
  createEnvironmentInjector,
  type EnvironmentInjector,
  inject,
  InjectionToken,
  Injector,
  type Provider,
  runInInjectionContext,
} from '@angular/core';
import { expectTypeOf } from 'expect-type';

import {
  type InjectedTypedModule,
  injectTypedModule,
  provideTypedModule,
  TypedModuleService,
} from '../../lib/angular/index.js';
import {
  createRouter,
  type MessageOf,
  type ResponseOf,
  type SparkGenericModuleHandler,
} from '../../lib/index.js';

type Api = {
  GetData: { request: { key: string }; response: number[] };
  Clear: { request: object; response: boolean };
  LogEvent: { command: { event: string } };
};

const STORE = new InjectionToken<Map<string, number[]>>('STORE');

/** The router of `Api` over a store it injects: built in an injection context. */
function apiRouter(log: string[] = []) {
  const store = inject(STORE);
  return createRouter<Api>({
    GetData: { request: ({ key }) => store.get(key) ?? [] },
    Clear: {
      request: () => {
        store.clear();
        return true;
      },
    },
    LogEvent: { command: ({ event }) => void log.push(event) },
  });
}

const API = new InjectionToken<InjectedTypedModule<Api>>('API');

// Provided with useFactory: @Injectable() would need the JIT compiler under jest (no AOT here).
class DataService extends TypedModuleService<Api> {
  constructor() {
    super(apiRouter(), { capacity: 8 });
  }

  /** A domain method over the typed dispatcher: no guard, no cast. */
  getData(key: string): Promise<number[]> {
    return this.dispatcher.request({ type: 'GetData', key });
  }
}

function environment(providers: Provider[]): EnvironmentInjector {
  const root = Injector.create({ providers: [], name: 'root' }) as EnvironmentInjector;
  return createEnvironmentInjector(
    [{ provide: STORE, useFactory: () => new Map([['user123', [1, 2, 3]]]) }, ...providers],
    root,
    'test',
  );
}

describe('injectTypedModule', () => {
  it('types the dispatcher by the router, answers, and stops with its injector', async () => {
    const injector = environment([]);
    const log: string[] = [];
    const api = runInInjectionContext(injector, () => injectTypedModule(apiRouter(log)));
    const data = await api.dispatcher.request({ type: 'GetData', key: 'user123' });
    expectTypeOf(data).toEqualTypeOf<number[]>();
    expect(data).toEqual([1, 2, 3]);
    await api.dispatcher.sendCommand({ type: 'LogEvent', event: 'seen' });
    await expect(api.dispatcher.request({ type: 'Clear' })).resolves.toBe(true);
    expect(log).toEqual(['seen']);
    expect(api.stats()).toMatchObject({ handled: 3, failed: 0 });
    expect(api.isRunning()).toBe(true);

    injector.destroy();
    expect(api.server.isRunning).toBe(false);
    expect(api.isRunning()).toBe(false);
    await expect(api.dispatcher.request({ type: 'GetData', key: 'x' })).rejects.toMatchObject({
      code: 'SEND_FAILED',
    });
  });

  it('runs in a given injector outside an injection context, and refuses to run without one', () => {
    const injector = environment([]);
    const handler: SparkGenericModuleHandler<MessageOf<Api>, ResponseOf<Api>> = {
      handleRequest: () => [],
      handleCommand: () => undefined,
    };
    const api = injectTypedModule<Api>(handler, { injector, onDestroy: { drainMs: 100 } });
    expectTypeOf(api.dispatcher).toEqualTypeOf<InjectedTypedModule<Api>['dispatcher']>();
    expect(api.server.isRunning).toBe(true);
    expect(() => injectTypedModule<Api>(handler)).toThrow(/NG0203|injection context/);
    injector.destroy();
  });

  it('fails a request of a type the router does not answer as the router does, typed or not', async () => {
    const injector = environment([]);
    const api = runInInjectionContext(injector, () => injectTypedModule(apiRouter()));
    // A type outside the definition does not compile; at run time the router refuses it.
    // @ts-expect-error -- 'Nope' is not a request type of Api
    const refused = api.dispatcher.request({ type: 'Nope' });
    await expect(refused).rejects.toThrow(/Nope/);
    expect(api.errors()).toHaveLength(1);
    injector.destroy();
  });
});

describe('provideTypedModule', () => {
  it('provides one typed module per injector, its handler built lazily in an injection context', async () => {
    let built = 0;
    const injector = environment([provideTypedModule(API, () => (built++, apiRouter()))]);
    expect(built).toBe(0);
    const api = injector.get(API);
    expect(injector.get(API)).toBe(api);
    expect(built).toBe(1);
    await expect(api.dispatcher.request({ type: 'GetData', key: 'user123' })).resolves.toEqual([1, 2, 3]);
    injector.destroy();
    expect(api.isRunning()).toBe(false);
  });
});

describe('TypedModuleService', () => {
  it('gives the subclass a typed dispatcher and public signals, and stops with its injector', async () => {
    const injector = environment([{ provide: DataService, useFactory: () => new DataService() }]);
    const service = injector.get(DataService);
    await expect(service.getData('user123')).resolves.toEqual([1, 2, 3]);
    expect(service.stats()).toMatchObject({ handled: 1 });
    injector.destroy();
    expect(service.isRunning()).toBe(false);
  });
});

// Compile-time only: never called.
function typeChecks(api: InjectedTypedModule<Api>): void {
  expectTypeOf(api.dispatcher.request({ type: 'GetData', key: 'k' })).resolves.toEqualTypeOf<number[]>();
  expectTypeOf(api.dispatcher.request({ type: 'Clear' })).resolves.toEqualTypeOf<boolean>();
  // @ts-expect-error -- a command type through request does not compile
  void api.dispatcher.request({ type: 'LogEvent', event: 'x' });
  // @ts-expect-error -- a request type through sendCommand does not compile
  void api.dispatcher.sendCommand({ type: 'GetData', key: 'k' });
  // @ts-expect-error -- a missing field does not compile
  void api.dispatcher.request({ type: 'GetData' });
  // @ts-expect-error -- the router must answer every type of its definition
  provideTypedModule(API, () => createRouter<Api>({ GetData: { request: () => [] } }));
  expectTypeOf(api.errors()[0]?.message).toEqualTypeOf<MessageOf<Api> | undefined>();
}
void typeChecks;
