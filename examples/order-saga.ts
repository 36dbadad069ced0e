/**
 * An order flow on an event bus, driven by sagas: an order is placed → stock is reserved →
 * payment is taken → the order is shipped. Payment is the step that can fail: its saga turns
 * the failure into a `PaymentFailed` event, and the compensation saga releases the stock that
 * was reserved for it. A reservation the stock module refuses (out of stock) errors its saga:
 * `saga()` reports it (here: as an `OrderRejected` event) and keeps the saga running for the
 * next order.
 *
 * Run it with `npx tsx examples/order-saga.ts`; spec/events/saga.spec.ts runs the same flow.
 */
import { catchError, concatMap, filter, firstValueFrom, from, map, of } from 'rxjs';

import {
  commandVia,
  createEventBus,
  createRouter,
  requestVia,
  saga,
  spawnTypedModule,
} from '../lib/index.js';

/** The events of the flow: each type with its payload. */
export type OrderEvents = {
  OrderPlaced: { orderId: string; total: number };
  StockReserved: { orderId: string; total: number };
  PaymentSucceeded: { orderId: string };
  PaymentFailed: { orderId: string; reason: string };
  StockReleased: { orderId: string };
  OrderShipped: { orderId: string };
  OrderRejected: { orderId: string; reason: string };
};

type StockApi = {
  Reserve: { request: { orderId: string; total: number }; response: { orderId: string; total: number } };
  Release: { command: { orderId: string } };
  Available: { request: object; response: number };
};
type PaymentsApi = { Charge: { request: { orderId: string; total: number }; response: { orderId: string } } };
type ShippingApi = { Ship: { command: { orderId: string } } };

/** The stock module refuses a reservation it has no stock for. */
export class OutOfStock extends Error {
  constructor(readonly orderId: string) {
    super(`Out of stock for order ${orderId}`);
  }
}

const quiet = { error: (): void => undefined };

/** Builds the modules, the bus and the four sagas between them. */
export function createOrderFlow(options: { stock: number; paymentLimit: number }) {
  const bus = createEventBus<OrderEvents>();
  let available = options.stock;
  const reserved = new Set<string>();
  const shipped: string[] = [];

  // Each module owns its state and handles one message at a time.
  const stock = spawnTypedModule(
    createRouter<StockApi>({
      Reserve: {
        request: (order) => {
          if (available === 0) throw new OutOfStock(order.orderId);
          available--;
          reserved.add(order.orderId);
          return order;
        },
      },
      Release: {
        command: ({ orderId }) => {
          if (reserved.delete(orderId)) available++;
        },
      },
      Available: { request: () => available },
    }),
    { logger: quiet },
  );
  const payments = spawnTypedModule(
    createRouter<PaymentsApi>({
      Charge: {
        request: ({ orderId, total }) => {
          if (total > options.paymentLimit) throw new Error(`Card declined for ${total}`);
          return { orderId };
        },
      },
    }),
    { logger: quiet },
  );
  const shipping = spawnTypedModule(
    createRouter<ShippingApi>({ Ship: { command: ({ orderId }) => void shipped.push(orderId) } }),
    { logger: quiet },
  );

  const sagas = [
    // 1. Reserve stock for each order. OutOfStock errors this pipeline: saga() reports it and
    //    subscribes again, so the next order is reserved as usual.
    saga(
      bus.on('OrderPlaced').pipe(
        map(({ orderId, total }) => ({ type: 'Reserve' as const, orderId, total })),
        requestVia(stock.dispatcher),
        concatMap(({ orderId, total }) => bus.publish({ type: 'StockReserved', orderId, total })),
      ),
      {
        onError: (error) => {
          const orderId = error instanceof OutOfStock ? error.orderId : 'unknown';
          void bus.publish({ type: 'OrderRejected', orderId, reason: String(error) });
        },
      },
    ),
    // 2. Take payment; a declined card is an outcome (an event), not a saga failure.
    saga(
      bus.on('StockReserved').pipe(
        concatMap(({ orderId, total }) =>
          from(payments.dispatcher.request({ type: 'Charge', orderId, total })).pipe(
            map(() => ({ type: 'PaymentSucceeded' as const, orderId })),
            catchError((error: unknown) =>
              of({ type: 'PaymentFailed' as const, orderId, reason: String(error) }),
            ),
          ),
        ),
        concatMap((event) => bus.publish(event)),
      ),
    ),
    // 3. Ship what was paid for.
    saga(
      bus.on('PaymentSucceeded').pipe(
        map(({ orderId }) => ({ type: 'Ship' as const, orderId })),
        commandVia(shipping.dispatcher),
        concatMap(({ orderId }) => bus.publish({ type: 'OrderShipped', orderId })),
      ),
    ),
    // 4. Compensate: a failed payment releases the stock reserved for it.
    saga(
      bus.on('PaymentFailed').pipe(
        map(({ orderId }) => ({ type: 'Release' as const, orderId })),
        commandVia(stock.dispatcher),
        concatMap(({ orderId }) => bus.publish({ type: 'StockReleased', orderId })),
      ),
    ),
  ];

  /** Places an order; resolves with the event that ended its flow. */
  function place(orderId: string, total: number) {
    const outcome = firstValueFrom(
      bus
        .on(['OrderShipped', 'StockReleased', 'OrderRejected'])
        .pipe(filter((event) => event.orderId === orderId)),
    );
    void bus.publish({ type: 'OrderPlaced', orderId, total });
    return outcome;
  }

  return {
    bus,
    place,
    shipped,
    sagas,
    available: () => stock.dispatcher.request({ type: 'Available' }),
    /** Closes the bus (which ends every saga) and stops the modules. */
    stop: async () => {
      bus.close();
      await Promise.all([stock, payments, shipping].map((m) => m.dispatcher.shutdown()));
    },
  };
}

async function main(): Promise<void> {
  const flow = createOrderFlow({ stock: 2, paymentLimit: 100 });
  flow.bus.events$.subscribe((event) => console.log(`  [bus] ${event.type} ${event.orderId}`));
  console.log('o-1 ends with', (await flow.place('o-1', 30)).type);
  console.log('o-2 ends with', (await flow.place('o-2', 500)).type, '(declined: its stock is released)');
  console.log('o-3 ends with', (await flow.place('o-3', 40)).type);
  console.log('o-4 ends with', (await flow.place('o-4', 10)).type, '(out of stock)');
  console.log(`stock left: ${await flow.available()}, shipped: ${flow.shipped.join(', ')}`);
  await flow.stop();
}

if (process.argv[1]?.endsWith('order-saga.ts') === true) {
  main().catch((error: unknown) => {
    console.error('order saga failed:', error);
    process.exitCode = 1;
  });
}
