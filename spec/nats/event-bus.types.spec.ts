import type { NatsConnection } from '@nats-io/transport-node';
import { expectTypeOf } from 'expect-type';
import type { Observable } from 'rxjs';

import {
  createEventBus,
  createRouter,
  type EventBus,
  type EventOf,
  spawnModule,
  spawnTypedModule,
  type SparkChannelError,
} from '../../lib/index.js';
import {
  natsEventBus,
  type NatsEventBus,
  type NatsEventConnection,
  NatsPayloadError,
} from '../../lib/nats/index.js';
import { openTelemetryEvents } from '../../lib/otel/index.js';

// Type-level tests of natsEventBus (and of the event bus's `instrument` option): every
// `@ts-expect-error` line must fail to compile, every `expectTypeOf` must hold. The `typeChecks*`
// functions are never called.

type Events = {
  UserLoggedIn: { userId: string };
  OrderPlaced: { orderId: string; total: number };
};
type StockApi = {
  Reserve: { command: { orderId: string } };
  Count: { request: object; response: number };
};

function typeChecksConnection(nc: NatsConnection): void {
  // The official client's connection fits as it is.
  expectTypeOf(nc).toMatchTypeOf<NatsEventConnection>();
  expectTypeOf(natsEventBus<Events>(nc, { prefix: 'shop' })).toEqualTypeOf<NatsEventBus<Events>>();
  // @ts-expect-error the prefix is required
  natsEventBus<Events>(nc, {});
  // @ts-expect-error a guard says yes or no
  natsEventBus<Events>(nc, { prefix: 'shop', guard: () => 'yes' });
}

function typeChecksSurface(bus: NatsEventBus<Events>): void {
  expectTypeOf(bus.publish({ type: 'OrderPlaced', orderId: 'o', total: 1 })).toEqualTypeOf<Promise<void>>();
  // @ts-expect-error the payload is checked per type
  void bus.publish({ type: 'OrderPlaced', orderId: 'o' });
  // @ts-expect-error an unknown type does not compile
  bus.tryPublish({ type: 'OrderCancelled', orderId: 'o' });
  expectTypeOf(bus.on('OrderPlaced')).toEqualTypeOf<Observable<EventOf<Events, 'OrderPlaced'>>>();
  bus.on(['OrderPlaced', 'UserLoggedIn']).subscribe((event) => {
    if (event.type === 'OrderPlaced') expectTypeOf(event.total).toEqualTypeOf<number>();
  });
  // @ts-expect-error an unknown type does not compile
  bus.on('OrderCancelled');
  expectTypeOf(bus.events$).toEqualTypeOf<Observable<EventOf<Events>>>();
  expectTypeOf(bus.errors$).toEqualTypeOf<Observable<NatsPayloadError | SparkChannelError>>();
  expectTypeOf(bus.close()).toEqualTypeOf<Promise<void>>();
  expectTypeOf(bus.flush()).toEqualTypeOf<Promise<void>>();

  const stock = spawnTypedModule(
    createRouter<StockApi>({ Reserve: { command: () => undefined }, Count: { request: () => 0 } }),
  );
  bus.subscribe('OrderPlaced', stock.dispatcher, (event) => ({
    type: 'Reserve' as const,
    orderId: event.orderId,
  }));
  // @ts-expect-error a request type is no command
  bus.subscribe('OrderPlaced', stock.dispatcher, () => ({ type: 'Count' as const }));
  const { dispatcher } = spawnModule<string, number>({
    handleRequest: () => 1,
    handleCommand: () => undefined,
  });
  bus.subscribe('OrderPlaced', dispatcher, (event) => event.orderId, { overflow: 'drop-newest' });
  // @ts-expect-error toCommand must give the module's message type
  bus.subscribe('OrderPlaced', dispatcher, (event) => event.total);
}

// Code written against the local EventBus takes a NATS one.
function typeChecksStandsIn(bus: NatsEventBus<Events>): void {
  const takesLocal = (local: EventBus<Events>): Promise<void> =>
    local.publish({ type: 'UserLoggedIn', userId: 'u' });
  void takesLocal(bus);
  // but not a bus of other events
  type Other = { Ping: { at: number } };
  // @ts-expect-error a bus of another event map
  void takesLocal(null as unknown as NatsEventBus<Other>);
}

function typeChecksInstrument(): void {
  createEventBus<Events>({ instrument: openTelemetryEvents({ name: 'shop' }) });
  // the attributes callback is typed by the bus's events
  openTelemetryEvents<Events>({
    attributes: (event) => (event.type === 'OrderPlaced' ? { 'app.total': event.total } : {}),
  });
  // @ts-expect-error an instrument is what openTelemetryEvents() returns
  createEventBus<Events>({ instrument: {} });
}

describe('natsEventBus types', () => {
  it('compiles the type-level checks above', () => {
    const checks = [typeChecksConnection, typeChecksSurface, typeChecksStandsIn, typeChecksInstrument];
    expect(checks.every((check) => typeof check === 'function')).toBe(true);
    expect(new NatsPayloadError('x', new Uint8Array(0), undefined)).toBeInstanceOf(Error);
  });
});
