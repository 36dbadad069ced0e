import { expectTypeOf } from 'expect-type';
import type { Observable } from 'rxjs';

import {
  createEventBus,
  createRouter,
  type EventBus,
  type EventOf,
  spawnModule,
  spawnTypedModule,
  SparkGenericModuleDispatcher,
} from '../../lib/index.js';

// Type-level tests: every `@ts-expect-error` line must fail to compile, every `expectTypeOf` must
// hold, or `npm run typecheck` fails. The `typeChecks*` functions are never called.

type Events = {
  UserLoggedIn: { userId: string };
  OrderPlaced: { orderId: string; total: number };
};

type StockApi = {
  Reserve: { command: { orderId: string } };
  Count: { request: object; response: number };
};

function typeChecksPublish(bus: EventBus<Events>): void {
  expectTypeOf(createEventBus<Events>()).toEqualTypeOf<EventBus<Events>>();
  expectTypeOf(bus.publish({ type: 'OrderPlaced', orderId: 'o', total: 1 })).toEqualTypeOf<Promise<void>>();
  bus.tryPublish({ type: 'UserLoggedIn', userId: 'u' });
  // @ts-expect-error the payload is checked per type
  void bus.publish({ type: 'OrderPlaced', orderId: 'o' });
  // @ts-expect-error the payload of another type does not fit
  bus.tryPublish({ type: 'UserLoggedIn', orderId: 'o', total: 1 });
  // @ts-expect-error an unknown type does not compile
  void bus.publish({ type: 'OrderCancelled', orderId: 'o' });
  // @ts-expect-error an event needs its type
  void bus.publish({ orderId: 'o', total: 1 });
  expectTypeOf<EventOf<Events, 'OrderPlaced'>>().toEqualTypeOf<
    { type: 'OrderPlaced' } & { orderId: string; total: number }
  >();
}

function typeChecksOn(bus: EventBus<Events>): void {
  expectTypeOf(bus.on('OrderPlaced')).toEqualTypeOf<Observable<EventOf<Events, 'OrderPlaced'>>>();
  bus.on('OrderPlaced').subscribe((event) => {
    expectTypeOf(event.total).toEqualTypeOf<number>();
    expectTypeOf(event.type).toEqualTypeOf<'OrderPlaced'>();
  });
  bus.on(['OrderPlaced', 'UserLoggedIn']).subscribe((event) => {
    expectTypeOf(event).toEqualTypeOf<EventOf<Events, 'OrderPlaced' | 'UserLoggedIn'>>();
    if (event.type === 'UserLoggedIn') expectTypeOf(event.userId).toEqualTypeOf<string>();
  });
  expectTypeOf(bus.events$).toEqualTypeOf<Observable<EventOf<Events>>>();
  // @ts-expect-error an unknown type does not compile
  bus.on('OrderCancelled');
  // @ts-expect-error nor in an array
  bus.on(['OrderPlaced', 'OrderCancelled']);
}

function typeChecksSubscribe(bus: EventBus<Events>): void {
  const stock = spawnTypedModule(
    createRouter<StockApi>({ Reserve: { command: () => undefined }, Count: { request: () => 0 } }),
  );
  // A typed dispatcher (it has sendCommand): toCommand must give one of its command types.
  bus.subscribe('OrderPlaced', stock.dispatcher, (event) => {
    expectTypeOf(event).toEqualTypeOf<EventOf<Events, 'OrderPlaced'>>();
    return { type: 'Reserve' as const, orderId: event.orderId };
  });
  // @ts-expect-error a request type is no command
  bus.subscribe('OrderPlaced', stock.dispatcher, () => ({ type: 'Count' as const }));
  // @ts-expect-error the command's payload is checked
  bus.subscribe('OrderPlaced', stock.dispatcher, (event) => ({
    type: 'Reserve' as const,
    id: event.orderId,
  }));

  // A raw dispatcher: toCommand gives its message type.
  const { dispatcher } = spawnModule<string, number>({
    handleRequest: () => 1,
    handleCommand: () => undefined,
  });
  expectTypeOf(dispatcher).toEqualTypeOf<SparkGenericModuleDispatcher<string, number>>();
  const handle = bus.subscribe(['OrderPlaced', 'UserLoggedIn'], dispatcher, (event) => event.type, {
    overflow: 'drop-oldest',
  });
  expectTypeOf(handle).toEqualTypeOf<{ unsubscribe(): void }>();
  // @ts-expect-error toCommand must give the module's message type
  bus.subscribe('OrderPlaced', dispatcher, (event) => event.total);
  // @ts-expect-error an unknown overflow policy
  bus.subscribe('OrderPlaced', dispatcher, (event) => event.orderId, { overflow: 'drop-all' });
  // @ts-expect-error an unknown event type
  bus.subscribe('OrderCancelled', dispatcher);

  // A plain { sendCommand } object.
  bus.subscribe('UserLoggedIn', { sendCommand: (m: { userId: string }) => Promise.resolve(void m) }, (e) => ({
    userId: e.userId,
  }));
}

describe('event bus types', () => {
  it('compiles the type-level checks above', () => {
    const checks = [typeChecksPublish, typeChecksOn, typeChecksSubscribe];
    expect(checks.every((check) => typeof check === 'function')).toBe(true);
  });

  it('narrows at run time as it does at compile time', async () => {
    const bus = createEventBus<Events>();
    const totals: number[] = [];
    bus.on('OrderPlaced').subscribe((event) => totals.push(event.total));
    await bus.publish({ type: 'UserLoggedIn', userId: 'u' });
    await bus.publish({ type: 'OrderPlaced', orderId: 'o', total: 3 });
    expect(totals).toEqual([3]);
  });
});
