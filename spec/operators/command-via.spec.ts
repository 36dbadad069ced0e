import fc from 'fast-check';
import { from, lastValueFrom, map, Subject, toArray } from 'rxjs';

import { commandVia, createRouter, spawnModule, spawnTypedModule } from '../../lib/index.js';
import { deferred, flush, recordingLogger } from '../support/helpers.js';

describe('commandVia', () => {
  it('sends each value as a command and passes it on, synchronously while the channel has room', async () => {
    const handled: number[] = [];
    const { dispatcher } = spawnModule<number, never>({
      handleRequest: () => {
        throw new Error('no requests');
      },
      handleCommand: (n) => void handled.push(n),
    });
    const out: number[] = [];
    from([1, 2, 3])
      .pipe(commandVia(dispatcher))
      .subscribe((n) => out.push(n));
    expect(out).toEqual([1, 2, 3]);
    // The first command of a synchronous burst runs at once; the rest a microtask later, as one batch.
    expect(handled).toEqual([1]);
    await Promise.resolve();
    expect(handled).toEqual([1, 2, 3]);
    await dispatcher.shutdown();
  });

  it('waits for room before sending the next value (backpressure), keeping the order', async () => {
    const gates = [deferred(), deferred(), deferred()];
    const handled: number[] = [];
    const { dispatcher } = spawnModule<number, never>(
      {
        handleRequest: () => {
          throw new Error('no requests');
        },
        handleCommand: (n) => {
          handled.push(n);
          return gates[n]?.promise;
        },
      },
      { capacity: 1 },
    );
    const passed: number[] = [];
    from([0, 1, 2, 3])
      .pipe(commandVia(dispatcher))
      .subscribe((n) => passed.push(n));
    // 0 runs, 1 takes the one slot; 2 waits for room, and 3 waits behind it.
    expect(passed).toEqual([0, 1]);
    expect(dispatcher.sender.size).toBe(1);
    gates[0]?.resolve();
    await flush();
    expect(handled).toEqual([0, 1]);
    expect(passed).toEqual([0, 1, 2]);
    gates[1]?.resolve();
    gates[2]?.resolve();
    await flush();
    expect(passed).toEqual([0, 1, 2, 3]);
    await dispatcher.shutdown();
    expect(handled).toEqual([0, 1, 2, 3]);
  });

  it('delivers every value in source order, with any capacity, rate limit and handler timing (property)', () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer(), { maxLength: 30 }),
        fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        fc.boolean(),
        fc.scheduler(),
        async (xs, capacity, rateLimited, s) => {
          const handled: number[] = [];
          const { dispatcher } = spawnModule<number, never>(
            {
              handleRequest: () => {
                throw new Error('no requests');
              },
              handleCommand: (x) => {
                handled.push(x);
                return s.schedule(Promise.resolve());
              },
            },
            {
              ...(capacity !== undefined && { capacity }),
              ...(rateLimited && { rateLimit: { limit: 1000, intervalMs: 1000 } }),
            },
          );
          let passed: number[] | undefined;
          lastValueFrom(from(xs).pipe(commandVia(dispatcher), toArray())).then(
            (values) => (passed = values),
            () => undefined,
          );
          while (passed === undefined) {
            if (s.count() > 0) await s.waitOne();
            else await flush();
          }
          await s.waitAll();
          expect(passed).toEqual(xs);
          expect(handled).toEqual(xs);
          const stopped = dispatcher.shutdown();
          while (s.count() > 0) await s.waitAll();
          await stopped;
        },
      ),
    ));

  it('leaves command failures to errors$: the pipeline goes on', async () => {
    const { dispatcher, server } = spawnModule<number, never>(
      {
        handleRequest: () => {
          throw new Error('no requests');
        },
        handleCommand: (n) => {
          if (n === 2) throw new Error('two');
        },
      },
      { logger: recordingLogger() },
    );
    const errors = lastValueFrom(server.errors$.pipe(toArray()));
    await expect(lastValueFrom(from([1, 2, 3]).pipe(commandVia(dispatcher), toArray()))).resolves.toEqual([
      1, 2, 3,
    ]);
    await dispatcher.shutdown();
    expect(await errors).toMatchObject([{ kind: 'command', message: 2, error: new Error('two') }]);
  });

  it('errors the pipeline with SEND_FAILED once the module has shut down', async () => {
    const { dispatcher } = spawnModule<number, never>({
      handleRequest: () => {
        throw new Error('no requests');
      },
      handleCommand: () => undefined,
    });
    const source = new Subject<number>();
    const out = lastValueFrom(source.pipe(commandVia(dispatcher), toArray()));
    source.next(1);
    await dispatcher.shutdown();
    source.next(2);
    await expect(out).rejects.toMatchObject({ code: 'SEND_FAILED' });
  });

  it('stops sending when unsubscribed; a command already waiting for room still gets in', async () => {
    const gate = deferred();
    const handled: number[] = [];
    const { dispatcher } = spawnModule<number, never>(
      {
        handleRequest: () => {
          throw new Error('no requests');
        },
        handleCommand: (n) => {
          handled.push(n);
          return n === 0 ? gate.promise : undefined;
        },
      },
      { capacity: 1 },
    );
    const source = new Subject<number>();
    const subscription = source.pipe(commandVia(dispatcher)).subscribe();
    source.next(0); // runs until the gate opens
    source.next(1); // takes the slot
    source.next(2); // waits for room
    source.next(3); // waits in the operator
    subscription.unsubscribe();
    source.next(4);
    gate.resolve();
    await dispatcher.shutdown();
    expect(handled).toEqual([0, 1, 2]);
  });

  it('takes a TypedDispatcher', async () => {
    type Api = { LogEvent: { command: { event: string } } };
    const events: string[] = [];
    const { dispatcher } = spawnTypedModule(
      createRouter<Api>({ LogEvent: { command: ({ event }) => void events.push(event) } }),
    );
    const out = await lastValueFrom(
      from(['a', 'b']).pipe(
        map((event) => ({ type: 'LogEvent' as const, event })),
        commandVia(dispatcher),
        toArray(),
      ),
    );
    expect(out).toEqual([
      { type: 'LogEvent', event: 'a' },
      { type: 'LogEvent', event: 'b' },
    ]);
    await dispatcher.shutdown();
    expect(events).toEqual(['a', 'b']);
  });

  it('needs a dispatcher', () => {
    expect(() => commandVia(undefined as never)).toThrow(
      /Expected `dispatcher` to be a SparkGenericModuleDispatcher or a TypedDispatcher, got undefined/,
    );
  });
});
