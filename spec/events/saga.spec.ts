// saga(): a pipeline from events to commands and requests that survives its errors and ends with
// the bus; and examples/order-saga.ts end to end (one failing step compensated).
import { map, tap } from 'rxjs';

import { createOrderFlow } from '../../examples/order-saga.js';
import { createEventBus, saga } from '../../lib/index.js';
import { settle, type ShopEvents } from './support.js';

const failOn = (bad: string) =>
  map((event: { orderId: string }) => {
    if (event.orderId === bad) throw new Error(`failed ${bad}`);
    return event.orderId;
  });

describe('saga()', () => {
  /** Orders 1, 2 and 3 through a saga whose step fails on order 2. */
  async function threeOrders(options: { resubscribe?: boolean }) {
    const bus = createEventBus<ShopEvents>();
    const done: string[] = [];
    const errors: unknown[] = [];
    const subscription = saga(
      bus.on('OrderPlaced').pipe(
        failOn('2'),
        tap((id) => done.push(id)),
      ),
      { onError: (error) => errors.push(error), ...options },
    );
    for (const orderId of ['1', '2', '3']) await bus.publish({ type: 'OrderPlaced', orderId, total: 1 });
    return { done, errors, subscription };
  }

  it('reports an error and subscribes again (the default): later events go through', async () => {
    const { done, errors, subscription } = await threeOrders({});
    expect(done).toEqual(['1', '3']);
    expect(errors).toEqual([new Error('failed 2')]);
    expect(subscription.closed).toBe(false);
  });

  it('with resubscribe: false, ends at the first error', async () => {
    const { done, errors, subscription } = await threeOrders({ resubscribe: false });
    expect(done).toEqual(['1']);
    expect(errors).toHaveLength(1);
    expect(subscription.closed).toBe(true);
  });

  it('stops with the bus: close() ends it, and it is not subscribed again', async () => {
    const bus = createEventBus<ShopEvents>();
    let subscriptions = 0;
    const subscription = saga(
      bus.on('OrderPlaced').pipe(
        tap({ subscribe: () => subscriptions++ }),
        map((e) => e.orderId),
      ),
    );
    bus.close();
    expect(subscription.closed).toBe(true);
    expect(subscriptions).toBe(1);
  });

  it('a pipeline that fails while being subscribed (a replayed event) is not resubscribed forever', async () => {
    const bus = createEventBus<ShopEvents>({ replay: 1 });
    await bus.publish({ type: 'OrderPlaced', orderId: 'bad', total: 1 });
    const errors: unknown[] = [];
    const subscription = saga(bus.on('OrderPlaced').pipe(failOn('bad')), { onError: (e) => errors.push(e) });
    expect(errors).toHaveLength(1);
    expect(subscription.closed).toBe(true);
  });

  it('unsubscribing stops it; an onError that throws is ignored; the default reports on console.error', async () => {
    const bus = createEventBus<ShopEvents>();
    const done: string[] = [];
    const quietSaga = saga(
      bus.on('OrderPlaced').pipe(
        failOn('1'),
        tap((id) => done.push(id)),
      ),
      {
        onError: () => {
          throw new Error('reporter bug');
        },
      },
    );
    const loud = saga(bus.on('OrderPlaced').pipe(failOn('1')));
    await bus.publish({ type: 'OrderPlaced', orderId: '1', total: 1 });
    expect(console.error).toHaveBeenCalledWith(
      'spark-channel saga: the pipeline failed',
      new Error('failed 1'),
    );
    await bus.publish({ type: 'OrderPlaced', orderId: '2', total: 1 });
    quietSaga.unsubscribe();
    loud.unsubscribe();
    await bus.publish({ type: 'OrderPlaced', orderId: '3', total: 1 });
    expect(done).toEqual(['2']);
  });

  it('bad input: TypeErrors naming source, options and onError', () => {
    expect(() => saga(5 as never)).toThrow(/`source`/);
    expect(() => saga(null as never)).toThrow(/`source`/);
    const bus = createEventBus<ShopEvents>();
    expect(() => saga(bus.events$, 'x' as never)).toThrow(/`options`/);
    expect(() => saga(bus.events$, { onError: 'x' as never })).toThrow(/`onError`/);
  });
});

describe('examples/order-saga.ts: order → stock → payment → shipping, a failed payment compensated', () => {
  it('ships paid orders, releases the stock of a declined one, rejects one out of stock, and keeps going', async () => {
    const flow = createOrderFlow({ stock: 2, paymentLimit: 100 });
    const log: string[] = [];
    flow.bus.events$.subscribe((event) => log.push(`${event.type} ${event.orderId}`));
    expect((await flow.place('o-1', 30)).type).toBe('OrderShipped');
    expect((await flow.place('o-2', 500)).type).toBe('StockReleased');
    expect((await flow.place('o-3', 40)).type).toBe('OrderShipped');
    expect(await flow.place('o-4', 10)).toEqual(
      expect.objectContaining({ type: 'OrderRejected', reason: 'Error: Out of stock for order o-4' }),
    );
    expect(await flow.available()).toBe(0);
    expect(flow.shipped).toEqual(['o-1', 'o-3']);
    expect(log).toEqual([
      'OrderPlaced o-1',
      'StockReserved o-1',
      'PaymentSucceeded o-1',
      'OrderShipped o-1',
      'OrderPlaced o-2',
      'StockReserved o-2',
      'PaymentFailed o-2',
      'StockReleased o-2',
      'OrderPlaced o-3',
      'StockReserved o-3',
      'PaymentSucceeded o-3',
      'OrderShipped o-3',
      'OrderPlaced o-4',
      'OrderRejected o-4',
    ]);
    await flow.stop();
    await settle();
    expect(flow.sagas.every((s) => s.closed)).toBe(true);
  });

  it('after an out-of-stock rejection, the reservation saga still serves the next order', async () => {
    const flow = createOrderFlow({ stock: 1, paymentLimit: 100 });
    expect((await flow.place('a', 500)).type).toBe('StockReleased'); // declined: stock back to 1
    expect((await flow.place('b', 10)).type).toBe('OrderShipped'); // stock 0
    expect((await flow.place('c', 10)).type).toBe('OrderRejected'); // saga error, resubscribed
    expect((await flow.place('d', 10)).type).toBe('OrderRejected'); // still alive
    await flow.stop();
  });
});
