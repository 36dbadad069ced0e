import { expectTypeOf } from 'expect-type';
import { filter, type Observable } from 'rxjs';

import {
  type DeadLetter,
  type MessageSettledEvent,
  type ModuleEvent,
  type ModuleInstrumentation,
  type ModuleServer,
  spawnModule,
  type SparkGenericModuleHandler,
  supervise,
  SupervisedHandler,
} from '../../lib/index.js';

// Type-level tests: every `@ts-expect-error` line must fail to compile, every `expectTypeOf` must
// hold, or `npm run typecheck` (tsc over spec/) fails. The `typeChecks*` functions are never called.

type Msg = { type: 'Get'; key: string } | { type: 'Log'; line: string };

class Store implements SparkGenericModuleHandler<Msg, number> {
  handleRequest(message: Msg): number {
    return message.type === 'Get' ? message.key.length : 0;
  }
  handleCommand(): void {}
}

function typeChecksEvents(server: ModuleServer<Msg, Error>): void {
  expectTypeOf(server.events$).toEqualTypeOf<Observable<ModuleEvent<Msg>>>();
  expectTypeOf(server.deadLetters$).toEqualTypeOf<Observable<DeadLetter<Msg>>>();
  server.events$.subscribe((event) => {
    if (event.type === 'settled') {
      expectTypeOf(event.message).toEqualTypeOf<Msg>();
      expectTypeOf(event.outcome).toEqualTypeOf<'ok' | 'error' | 'timeout' | 'cancelled'>();
      expectTypeOf(event.handlingMs).toEqualTypeOf<number | undefined>();
    } else if (event.type === 'stopped') {
      expectTypeOf(event.reason).toEqualTypeOf<string>();
      // @ts-expect-error a module event has no message
      void event.message;
    } else if (event.type === 'started') {
      expectTypeOf(event.queuedMs).toEqualTypeOf<number | undefined>();
      // @ts-expect-error only settled events have an outcome
      void event.outcome;
    }
  });
  server.events$
    .pipe(filter((e): e is MessageSettledEvent<Msg> => e.type === 'settled'))
    .subscribe((e) => expectTypeOf(e.id).toEqualTypeOf<number>());
  server.deadLetters$.subscribe((letter) => {
    expectTypeOf(letter.message).toEqualTypeOf<Msg>();
    expectTypeOf(letter.reason).toEqualTypeOf<'refused' | 'dropped' | 'late-reply' | 'no-route' | 'policy'>();
  });
}

function typeChecksInstrument(): void {
  const instrument: ModuleInstrumentation<Msg> = {
    sent: ({ message }) => (message.type === 'Get' ? message.key : message.line),
    run: (_state, _message, handle) => handle(),
  };
  spawnModule(new Store(), { instrument });
  // The hooks see the module's messages.
  spawnModule(new Store(), {
    instrument: {
      sent: ({ message }) => {
        expectTypeOf(message).toEqualTypeOf<Msg>();
      },
    },
  });
  const numbers: ModuleInstrumentation<number> = { sent: ({ message }) => message + 1 };
  // @ts-expect-error an instrument for other messages
  spawnModule(new Store(), { instrument: numbers });
  // @ts-expect-error run must hand back what the handler returned
  const bad: ModuleInstrumentation<Msg> = { run: () => 'not the handler result' };
  void bad;
}

function typeChecksSupervise(): void {
  const handler = supervise(() => new Store(), {
    maxRestarts: 3,
    withinMs: 1_000,
    isFatal: (error, message) => {
      expectTypeOf(message).toEqualTypeOf<Msg>();
      return error instanceof RangeError;
    },
  });
  expectTypeOf(handler).toEqualTypeOf<SupervisedHandler<Msg, number, Error>>();
  const { dispatcher } = spawnModule(handler);
  expectTypeOf(dispatcher.request({ type: 'Get', key: 'k' })).toEqualTypeOf<Promise<number>>();
  // @ts-expect-error the factory must build a handler
  supervise(() => ({ handleRequest: () => 1 }), { maxRestarts: 1, withinMs: 1, isFatal: () => true });
  // @ts-expect-error isFatal is required: which failures are fatal is the point
  supervise(() => new Store(), { maxRestarts: 1, withinMs: 1 });
  // @ts-expect-error isFatal sees the module's messages, not something else
  supervise(() => new Store(), { maxRestarts: 1, withinMs: 1, isFatal: (_e, m: number) => m > 0 });
}

describe('observability types', () => {
  it('compiles the type-level checks above', () => {
    expect([typeChecksEvents, typeChecksInstrument, typeChecksSupervise]).toHaveLength(3);
  });
});
