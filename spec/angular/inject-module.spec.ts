// spark-channel/angular under Angular's real injector: R3Injector from `createEnvironmentInjector`,
// `inject()` in factories and constructors, DestroyRef on `destroy()`, signals and `computed`.
import {
  computed,
  createEnvironmentInjector,
  type EnvironmentInjector,
  inject,
  Injector,
  InjectionToken,
  type Provider,
  runInInjectionContext,
} from '@angular/core';
import { EMPTY, NEVER } from 'rxjs';

import {
  injectModule,
  type InjectedModule,
  ModuleService,
  provideModule,
  type InjectModuleOptions,
} from '../../lib/angular/index.js';
import { type HandlerContext, type SparkGenericModuleHandler } from '../../lib/index.js';
import { codeOf, deferred, flush, recordingLogger } from '../support/helpers.js';

type Msg =
  { type: 'double'; n: number } | { type: 'wait'; gate: Promise<void> } | { type: 'fail'; reason: string };

/** A handler whose `wait` requests block until their gate opens, and whose `fail` messages throw. */
class TestHandler implements SparkGenericModuleHandler<Msg, number> {
  readonly seen: Msg['type'][] = [];
  readonly aborted: boolean[] = [];

  constructor(private readonly factor = 2) {}

  async handleRequest(message: Msg, context: HandlerContext): Promise<number> {
    this.seen.push(message.type);
    if (message.type === 'fail') throw new Error(message.reason);
    if (message.type === 'wait') {
      context.signal.addEventListener('abort', () => this.aborted.push(true));
      await message.gate;
      return -1;
    }
    return message.n * this.factor;
  }

  handleCommand(message: Msg): void {
    this.seen.push(message.type);
    if (message.type === 'fail') throw new Error(message.reason);
  }
}

const MATH = new InjectionToken<InjectedModule<Msg, number>>('MATH');
const FACTOR = new InjectionToken<number>('FACTOR');

/** A fresh application-like root injector, and one below it for the providers under test. */
function environment(providers: Provider[]): { root: EnvironmentInjector; injector: EnvironmentInjector } {
  const root = Injector.create({ providers: [], name: 'root' }) as EnvironmentInjector;
  return { root, injector: createEnvironmentInjector(providers, root, 'test') };
}

const quiet = (): InjectModuleOptions => ({ logger: recordingLogger() });

describe('provideModule', () => {
  it('provides the module as a singleton of its injector; a request round-trips', async () => {
    const { injector } = environment([provideModule(MATH, () => new TestHandler())]);
    const math = injector.get(MATH);

    expect(injector.get(MATH)).toBe(math);
    await expect(math.dispatcher.request({ type: 'double', n: 21 })).resolves.toBe(42);
    expect(math.server.isRunning).toBe(true);
    expect(math.isRunning()).toBe(true);
    injector.destroy();
  });

  it('builds the handler lazily, in an injection context, so it can inject() what it needs', async () => {
    let built = 0;
    const { injector } = environment([
      { provide: FACTOR, useValue: 10 },
      provideModule(MATH, () => (built++, new TestHandler(inject(FACTOR)))),
    ]);
    expect(built).toBe(0);

    await expect(injector.get(MATH).dispatcher.request({ type: 'double', n: 4 })).resolves.toBe(40);
    expect(built).toBe(1);
    injector.destroy();
  });

  it('stops the server when its injector is destroyed: unanswered requests reject with RECEIVE_FAILED', async () => {
    const { injector } = environment([provideModule(MATH, () => new TestHandler(), quiet())]);
    const math = injector.get(MATH);
    const gate = deferred();
    const running = math.dispatcher.request({ type: 'wait', gate: gate.promise });
    const queued = math.dispatcher.request({ type: 'double', n: 1 });
    await flush();
    expect(math.stats()).toMatchObject({ queued: 1, running: 1 });

    injector.destroy();

    expect(math.server.isRunning).toBe(false);
    expect(math.isRunning()).toBe(false);
    await expect(codeOf(running)).resolves.toBe('RECEIVE_FAILED');
    await expect(codeOf(queued)).resolves.toBe('RECEIVE_FAILED');
    await expect(codeOf(math.dispatcher.sendCommand({ type: 'double', n: 2 }))).resolves.toBe('SEND_FAILED');
    gate.resolve();
  });

  it('aborts the running handler’s context.signal on destroy', async () => {
    const handler = new TestHandler();
    const { injector } = environment([provideModule(MATH, () => handler, quiet())]);
    const math = injector.get(MATH);
    const running = math.dispatcher.request({ type: 'wait', gate: new Promise<void>(() => undefined) });
    await flush();

    injector.destroy();

    expect(handler.aborted).toEqual([true]);
    await expect(codeOf(running)).resolves.toBe('RECEIVE_FAILED');
  });

  it('with onDestroy: { drainMs }, lets everything already sent finish, then stops', async () => {
    const handler = new TestHandler();
    const { injector } = environment([
      provideModule(MATH, () => handler, { onDestroy: { drainMs: 10_000 } }),
    ]);
    const math = injector.get(MATH);
    const gate = deferred();
    const running = math.dispatcher.request({ type: 'wait', gate: gate.promise });
    const queued = math.dispatcher.request({ type: 'double', n: 5 });
    await flush();

    injector.destroy();
    expect(math.server.isRunning).toBe(true); // draining
    await expect(codeOf(math.dispatcher.request({ type: 'double', n: 1 }))).resolves.toBe('SEND_FAILED');
    gate.resolve();

    await expect(running).resolves.toBe(-1);
    await expect(queued).resolves.toBe(10);
    await math.server.stopped;
    expect(math.server.isRunning).toBe(false);
  });

  it('cuts a drain off at its deadline', async () => {
    jest.useFakeTimers();
    try {
      const { injector } = environment([
        provideModule(MATH, () => new TestHandler(), { onDestroy: { drainMs: 50 }, ...quiet() }),
      ]);
      const math = injector.get(MATH);
      const stuck = math.dispatcher.request({ type: 'wait', gate: new Promise<void>(() => undefined) });
      await Promise.resolve();
      injector.destroy();
      expect(math.server.isRunning).toBe(true);

      jest.advanceTimersByTime(50);

      expect(math.server.isRunning).toBe(false);
      await expect(codeOf(stuck)).resolves.toBe('RECEIVE_FAILED');
    } finally {
      jest.useRealTimers();
    }
  });

  it('ties a module to the injector that provides it: a child’s module stops with the child, not the parent', async () => {
    const OTHER = new InjectionToken<InjectedModule<Msg, number>>('OTHER');
    const { root, injector: parent } = environment([provideModule(MATH, () => new TestHandler())]);
    const child = createEnvironmentInjector(
      [provideModule(OTHER, () => new TestHandler(3))],
      parent,
      'child',
    );
    const fromParent = child.get(MATH);
    const fromChild = child.get(OTHER);

    child.destroy();

    expect(fromChild.server.isRunning).toBe(false);
    expect(fromParent.server.isRunning).toBe(true);
    await expect(fromParent.dispatcher.request({ type: 'double', n: 2 })).resolves.toBe(4);
    root.destroy();
    expect(fromParent.server.isRunning).toBe(true); // `root` does not own `parent`
    parent.destroy();
    expect(fromParent.server.isRunning).toBe(false);
  });
});

describe('signals', () => {
  it('stats follows queued, running, handled and failed', async () => {
    const { injector } = environment([provideModule(MATH, () => new TestHandler(), quiet())]);
    const math = injector.get(MATH);
    const load = computed(() => math.stats().queued + math.stats().running);
    expect(math.stats()).toEqual({ queued: 0, running: 0, handled: 0, failed: 0 });
    expect(load()).toBe(0);

    const gate = deferred();
    const first = math.dispatcher.request({ type: 'wait', gate: gate.promise });
    const rest = [1, 2, 3].map((n) => math.dispatcher.request({ type: 'double', n }));
    void math.dispatcher.sendCommand({ type: 'fail', reason: 'boom' });
    await flush();
    expect(math.stats()).toEqual({ queued: 4, running: 1, handled: 0, failed: 0 });
    expect(load()).toBe(5);

    gate.resolve();
    await first;
    await Promise.all(rest);
    await flush();
    expect(math.stats()).toEqual({ queued: 0, running: 0, handled: 5, failed: 1 });
    expect(load()).toBe(0);
    injector.destroy();
  });

  it('errors receives a failed command and a failed request, with the handler’s own error', async () => {
    const { injector } = environment([provideModule(MATH, () => new TestHandler(), quiet())]);
    const math = injector.get(MATH);
    const last = computed(() => math.errors().at(-1)?.error.message);
    expect(math.errors()).toEqual([]);

    await math.dispatcher.sendCommand({ type: 'fail', reason: 'command went wrong' });
    await flush();
    expect(math.errors()).toEqual([
      {
        kind: 'command',
        message: { type: 'fail', reason: 'command went wrong' },
        error: new Error('command went wrong'),
      },
    ]);
    expect(last()).toBe('command went wrong');

    const failed = math.dispatcher.request({ type: 'fail', reason: 'request went wrong' });
    await expect(failed).rejects.toThrow('request went wrong');
    expect(math.errors().map((e) => e.kind)).toEqual(['command', 'request']);
    expect(last()).toBe('request went wrong');
    injector.destroy();
  });

  it('errors keeps the most recent maxErrors failures', async () => {
    const { injector } = environment([
      provideModule(MATH, () => new TestHandler(), { maxErrors: 2, ...quiet() }),
    ]);
    const math = injector.get(MATH);
    for (const reason of ['a', 'b', 'c']) await math.dispatcher.sendCommand({ type: 'fail', reason });
    await flush();

    expect(math.errors().map((e) => e.error.message)).toEqual(['b', 'c']);
    injector.destroy();
  });

  it('keeps the final values once the server has stopped', async () => {
    const { injector } = environment([provideModule(MATH, () => new TestHandler())]);
    const math = injector.get(MATH);
    await math.dispatcher.request({ type: 'double', n: 1 });
    await math.dispatcher.shutdown();

    expect(math.isRunning()).toBe(false);
    expect(math.stats()).toEqual({ queued: 0, running: 0, handled: 1, failed: 0 });
    injector.destroy(); // stopping a stopped server is fine
    expect(math.stats().handled).toBe(1);
  });
});

describe('ModuleService', () => {
  class MathService extends ModuleService<Msg, number> {
    constructor() {
      super(new TestHandler(inject(FACTOR)), { capacity: 8, logger: recordingLogger() });
    }
    double(n: number): Promise<number> {
      return this.dispatcher.request({ type: 'double', n });
    }
    fail(reason: string): Promise<void> {
      return this.dispatcher.sendCommand({ type: 'fail', reason });
    }
    get capacity(): number {
      return this.dispatcher.sender.capacity;
    }
  }

  const providers: Provider[] = [
    { provide: FACTOR, useValue: 2 },
    { provide: MathService, useFactory: () => new MathService() },
  ];

  it('is an injectable service over its own module', async () => {
    const { injector } = environment(providers);
    const math = injector.get(MathService);

    await expect(math.double(8)).resolves.toBe(16);
    expect(math.capacity).toBe(8);
    await math.fail('no');
    await flush();
    expect(math.stats()).toMatchObject({ handled: 2, failed: 1 });
    expect(math.errors().map((e) => e.kind)).toEqual(['command']);
    injector.destroy();
  });

  it('stops with its injector', async () => {
    const { injector } = environment(providers);
    const math = injector.get(MathService);
    const pending = math.double(1);

    injector.destroy();

    expect(math.isRunning()).toBe(false);
    await expect(codeOf(pending)).resolves.toBe('RECEIVE_FAILED');
  });

  it('works as a StaticClassProvider with Injector.create', async () => {
    const injector = Injector.create({
      providers: [
        { provide: FACTOR, useValue: 3 },
        { provide: MathService, useClass: MathService, deps: [] },
      ],
    });
    const math = injector.get(MathService);
    await expect(math.double(3)).resolves.toBe(9);
    injector.destroy();
    expect(math.isRunning()).toBe(false);
  });
});

describe('injectModule', () => {
  const handler = (): SparkGenericModuleHandler<number, number> => ({
    handleRequest: (n) => n + 1,
    handleCommand: () => EMPTY,
  });

  it('refuses to run outside an injection context, with Angular’s own error', () => {
    expect(() => injectModule(handler())).toThrow(/NG0203.*injectModule/s);
  });

  it('runs in the given injector when called outside an injection context', async () => {
    const { injector } = environment([]);
    const module = injectModule(handler(), { injector, onDestroy: { drainMs: 1_000 } });

    await expect(module.dispatcher.request(1)).resolves.toBe(2);
    injector.destroy();
    await module.server.stopped; // drained: nothing was queued
    expect(module.isRunning()).toBe(false);
  });

  it('works inside runInInjectionContext', async () => {
    const { injector } = environment([]);
    const module = runInInjectionContext(injector, () => injectModule(handler()));

    await expect(module.dispatcher.request(41)).resolves.toBe(42);
    injector.destroy();
    expect(module.server.isRunning).toBe(false);
  });

  it('throws a RangeError naming a bad option', () => {
    const { injector } = environment([]);
    const inContext = (options: InjectModuleOptions) => () =>
      runInInjectionContext(injector, () => injectModule(handler(), options));

    expect(inContext({ onDestroy: { drainMs: 0 } })).toThrow(/`onDestroy`/);
    expect(inContext({ onDestroy: 'later' as never })).toThrow(/`onDestroy`/);
    expect(inContext({ maxErrors: 0 })).toThrow(/`maxErrors`/);
    expect(inContext({ maxErrors: 1.5 })).toThrow(/`maxErrors`/);
    expect(inContext({ capacity: 0 })).toThrow(/`capacity`/);
    injector.destroy();
  });

  it('a handler may return an observable that never emits: destroy still settles its request', async () => {
    const { injector } = environment([]);
    const module = injectModule<number, number>(
      { handleRequest: () => NEVER, handleCommand: () => EMPTY },
      { injector },
    );
    const pending = module.dispatcher.request(1);
    await flush();

    injector.destroy();

    await expect(codeOf(pending)).resolves.toBe('RECEIVE_FAILED');
  });
});
