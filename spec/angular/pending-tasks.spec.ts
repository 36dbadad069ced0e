// An injected module holds Angular's `PendingTasks` while it has work, so
// `ApplicationRef.whenStable()` — what a server render awaits before it serialises the page —
// waits for the module's answers. Each test runs in a real zoneless application from
// `createApplication` (its ApplicationRef, PendingTasks and change-detection scheduler), with no
// component: a module needs no DOM, no more than the stability of a server render does.
import '@angular/compiler'; // createApplication's providers are compiled just in time

import { IMAGE_CONFIG } from '@angular/common';
import {
  ApplicationRef,
  createEnvironmentInjector,
  type EnvironmentInjector,
  InjectionToken,
  Injector,
  type Provider,
  provideZonelessChangeDetection,
} from '@angular/core';
import { createApplication } from '@angular/platform-browser';
import { Observable, Subject } from 'rxjs';

import {
  type InjectedModule,
  type InjectedTypedModule,
  injectModule,
  provideModule,
  provideTypedModule,
} from '../../lib/angular/index.js';
import {
  createEventBus,
  createRouter,
  type HandlerContext,
  type ModuleInstrumentation,
  type SparkGenericModuleHandler,
} from '../../lib/index.js';
import { gc, withGc } from '../support/heap.js';
import { codeOf, deferred, flush, recordingLogger } from '../support/helpers.js';

type Msg = { type: 'get'; gate: Promise<void> } | { type: 'work'; done: Subject<void> } | { type: 'now' };

/** `get` answers when its gate opens, `work` (a command) runs until `done` emits, `now` at once. */
class GatedHandler implements SparkGenericModuleHandler<Msg, string> {
  readonly aborted: string[] = [];

  async handleRequest(message: Msg, context: HandlerContext): Promise<string> {
    if (message.type === 'now') return 'now';
    if (message.type !== 'get') throw new Error(`not a request: ${message.type}`);
    context.signal.addEventListener('abort', () => this.aborted.push(message.type));
    await message.gate;
    return 'answer';
  }

  handleCommand(message: Msg): Observable<void> {
    if (message.type !== 'work') throw new Error(`not a command: ${message.type}`);
    return new Observable<void>((subscriber) => message.done.subscribe(() => subscriber.complete()));
  }
}

const GATED = new InjectionToken<InjectedModule<Msg, string>>('GATED');

let app: ApplicationRef;

/** A zoneless application with `providers`; dev mode's image check would want a document. */
async function start(providers: Provider[]): Promise<void> {
  app = await createApplication({
    providers: [
      provideZonelessChangeDetection(),
      {
        provide: IMAGE_CONFIG,
        useValue: { disableImageSizeWarning: true, disableImageLazyLoadWarning: true },
      },
      ...providers,
    ],
  });
}

beforeEach(() => start([provideModule(GATED, () => new GatedHandler(), { logger: recordingLogger() })]));

afterEach(() => app.destroy());

/** Whether `whenStable()`, asked now, has resolved; read it after giving the app a few turns. */
function stability(): { readonly stable: boolean } {
  const state = { stable: false };
  void app.whenStable().then(() => (state.stable = true));
  return state;
}

/** A few macrotasks: time for a scheduled change detection, and for whenStable to resolve. */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await flush();
}

describe('injected modules and PendingTasks (application stability)', () => {
  it('the app is stable with an idle module (the baseline the other tests move away from)', async () => {
    app.injector.get(GATED);
    const watch = stability();
    await turns();
    expect(watch.stable).toBe(true);
  });

  it('a request in flight keeps the app unstable until it is answered', async () => {
    const gated = app.injector.get(GATED);
    const gate = deferred();
    const answer = gated.dispatcher.request({ type: 'get', gate: gate.promise });
    const watch = stability();
    await turns();
    expect(watch.stable).toBe(false);

    gate.resolve();
    await expect(answer).resolves.toBe('answer');
    await app.whenStable();
    expect(watch.stable).toBe(true);
  });

  it('the caller sees the answer before the app is stable: its awaits run ahead of stability', async () => {
    const gated = app.injector.get(GATED);
    const gate = deferred();
    let rendered = 'nothing';
    // A component's async method: three awaits deep before it sets what the template shows.
    void (async () => {
      const value = await gated.dispatcher.request({ type: 'get', gate: gate.promise });
      await Promise.resolve();
      await Promise.resolve();
      rendered = value;
    })();
    const watch = stability();
    await turns();
    gate.resolve();
    await app.whenStable();
    expect(watch.stable).toBe(true);
    expect(rendered).toBe('answer');
  });

  it('a command keeps it unstable until it is handled, not only until it is accepted', async () => {
    const gated = app.injector.get(GATED);
    const done = new Subject<void>();
    await gated.dispatcher.sendCommand({ type: 'work', done }); // accepted
    const watch = stability();
    await turns();
    expect(watch.stable).toBe(false);
    expect(gated.stats()).toMatchObject({ running: 1 });

    done.next();
    await app.whenStable();
    expect(gated.stats()).toMatchObject({ running: 0, handled: 1 });
  });

  it('a message from another sender counts too: an event bus delivering into the module', async () => {
    const gated = app.injector.get(GATED);
    const bus = createEventBus<{ Work: { done: Subject<void> } }>();
    bus.subscribe('Work', gated.dispatcher, (event) => ({ type: 'work' as const, done: event.done }));
    const done = new Subject<void>();
    await bus.publish({ type: 'Work', done });
    const watch = stability();
    await turns();
    expect(watch.stable).toBe(false);

    done.next();
    await app.whenStable();
    expect(watch.stable).toBe(true);
    bus.close();
  });

  it('several messages hold one task: stable only when the last of them settles', async () => {
    const gated = app.injector.get(GATED);
    const first = deferred();
    const second = deferred();
    const answers = [
      gated.dispatcher.request({ type: 'get', gate: first.promise }),
      gated.dispatcher.request({ type: 'get', gate: second.promise }),
    ];
    const watch = stability();
    first.resolve();
    await answers[0];
    await turns();
    expect(watch.stable).toBe(false); // the second is still queued behind it

    second.resolve();
    await answers[1];
    await app.whenStable();
    expect(watch.stable).toBe(true);
  });

  it('a timed-out request whose handler goes on keeps the module busy until the handler returns', async () => {
    const gated = app.injector.get(GATED);
    const gate = deferred();
    const late = gated.dispatcher.request({ type: 'get', gate: gate.promise }, { timeoutMs: 20 });
    await expect(codeOf(late)).resolves.toBe('TIMEOUT');
    const watch = stability();
    await turns();
    expect(watch.stable).toBe(false); // the handler did not heed context.signal: still running
    expect(gated.stats()).toMatchObject({ running: 1 });

    gate.resolve();
    await app.whenStable();
    expect(gated.stats()).toMatchObject({ running: 0 });
  });

  it("a stop on the owner's destroy releases it: the request rejects, the app is stable", async () => {
    const parent = app.injector;
    const child = createEnvironmentInjector([], parent, 'a route');
    const handler = new GatedHandler();
    const owned = injectModule(handler, { injector: child, logger: recordingLogger() });
    const never = deferred();
    const answer = owned.dispatcher.request({ type: 'get', gate: never.promise });
    const watch = stability();
    await turns();
    expect(watch.stable).toBe(false);

    child.destroy();
    await expect(codeOf(answer)).resolves.toBe('RECEIVE_FAILED');
    await app.whenStable();
    expect(handler.aborted).toEqual(['get']);
  });

  it('pendingTasks: false — the app goes stable while the module is still busy', async () => {
    const parent = app.injector;
    const poller = injectModule(new GatedHandler(), {
      injector: parent,
      pendingTasks: false,
      logger: recordingLogger(),
    });
    const never = deferred();
    void poller.dispatcher.request({ type: 'get', gate: never.promise }).catch(() => undefined);
    await flush();
    await app.whenStable();
    expect(poller.stats()).toMatchObject({ running: 1 });
  });

  it('a typed module (provideTypedModule) holds the app the same way', async () => {
    type Api = { GetData: { request: { type: 'GetData'; gate: Promise<void> }; response: number[] } };
    const API = new InjectionToken<InjectedTypedModule<Api>>('API');
    app.destroy();
    await start([
      provideTypedModule(API, () =>
        createRouter<Api>({
          GetData: {
            request: async ({ gate }) => {
              await gate;
              return [1, 2, 3];
            },
          },
        }),
      ),
    ]);
    const api = app.injector.get(API);
    const gate = deferred();
    const data = api.dispatcher.request({ type: 'GetData', gate: gate.promise });
    const watch = stability();
    await turns();
    expect(watch.stable).toBe(false);

    gate.resolve();
    await expect(data).resolves.toEqual([1, 2, 3]);
    await app.whenStable();
    expect(watch.stable).toBe(true);
  });

  it("the caller's own instrument still sees every message, with its own state", async () => {
    const seen: string[] = [];
    const instrument: ModuleInstrumentation<Msg> = {
      sent: ({ message }) => `state of ${message.type}`,
      run(state, _message, handle) {
        seen.push(`run ${String(state)}`);
        return handle();
      },
      settled: (state, _message, { outcome }) => void seen.push(`settled ${String(state)}: ${outcome}`),
    };
    const parent = app.injector;
    const module = injectModule(new GatedHandler(), { injector: parent, instrument });
    await expect(module.dispatcher.request({ type: 'now' })).resolves.toBe('now');
    await app.whenStable();
    expect(seen).toEqual(['run state of now', 'settled state of now: ok']);
  });

  it('a hook of the caller that throws is logged, and the task is still released', async () => {
    const logger = recordingLogger();
    const instrument: ModuleInstrumentation<Msg> = {
      settled: () => {
        throw new Error('broken hook');
      },
    };
    const parent = app.injector;
    const module = injectModule(new GatedHandler(), { injector: parent, instrument, logger });
    await expect(module.dispatcher.request({ type: 'now' })).resolves.toBe('now');
    await app.whenStable();
    expect(logger.errors.map(([message]) => message)).toEqual(['spark-channel: instrument.settled threw:']);
  });

  it('bad options are refused before anything starts: a TypeError naming what is wrong', () => {
    const injector = app.injector;
    const handler = new GatedHandler();
    expect(() => injectModule(handler, { injector, pendingTasks: 'yes' as unknown as boolean })).toThrow(
      new TypeError('Expected `pendingTasks` to be a boolean, got string'),
    );
    const notHooks = 'hooks' as unknown as ModuleInstrumentation<Msg>;
    expect(() => injectModule(handler, { injector, instrument: notHooks })).toThrow(
      new TypeError('Expected `instrument` to be an object of hooks, got string'),
    );
    const badHook = { sent: 42 } as unknown as ModuleInstrumentation<Msg>;
    expect(() => injectModule(handler, { injector, instrument: badHook })).toThrow(
      new TypeError('Expected `instrument.sent` to be a function, got number'),
    );
  });

  // A server render is one application per request: its modules must go with it.
  withGc("one render's modules stop with its injector, and none outlives it", async () => {
    const servers: WeakRef<object>[] = [];
    for (let render = 0; render < 50; render++) servers.push(await renderOnce(render));
    await app.whenStable();
    for (let i = 0; i < 6; i++) {
      gc?.();
      await flush();
    }
    expect(servers.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  });
});

/**
 * What a server render does to a module: an injector below the app provides it, a request is
 * answered, the injector is destroyed. Its own function, so no local of the caller's frame can
 * keep the last server reachable.
 */
async function renderOnce(render: number): Promise<WeakRef<object>> {
  const injector = createEnvironmentInjector(
    [provideModule(GATED, () => new GatedHandler(), { logger: recordingLogger() })],
    app.injector,
    `render ${render}`,
  );
  const module = injector.get(GATED);
  await expect(module.dispatcher.request({ type: 'now' })).resolves.toBe('now');
  injector.destroy();
  await module.server.stopped;
  expect(module.isRunning()).toBe(false);
  return new WeakRef(module.server);
}

describe('injectModule without an application above it', () => {
  it('a bare Injector.create root has no PendingTasks: the module works, nothing is held', async () => {
    const root = Injector.create({ providers: [] }) as EnvironmentInjector;
    const module = injectModule(new GatedHandler(), { injector: root });
    await expect(module.dispatcher.request({ type: 'now' })).resolves.toBe('now');
    root.destroy();
    await module.server.stopped;
  });
});
