/**
 * A NestJS provider that owns a module: the module is made with the provider, used through the
 * provider's methods, and drained in `onModuleDestroy`, so `app.close()` (or SIGTERM, with
 * `app.enableShutdownHooks()`) lets every order already placed finish before the app is gone.
 *
 * The decorators are applied as plain calls because this repository compiles without
 * `experimentalDecorators`; in a Nest app you write `@Injectable()` on the class and
 * `@Inject(ORDERS_OPTIONS)` on the constructor parameter, which record the same metadata.
 * spec/recipes/nest-provider.spec.ts runs it in a real Nest application context.
 */
import 'reflect-metadata';

import { type DynamicModule, Inject, Injectable, Logger, Module, type OnModuleDestroy } from '@nestjs/common';

import {
  createRouter,
  type DrainReport,
  type ModuleServer,
  type SparkChannelCancellationToken,
  type SpawnedTypedModule,
  spawnTypedModule,
} from '../../lib/index.js';

/** The orders module: place an order (the caller wants its id), count them. */
export type OrdersApi = {
  PlaceOrder: { request: { sku: string; quantity: number }; response: { orderId: string } };
  CountOrders: { request: object; response: number };
};

/** The provider's settings, injected under {@link ORDERS_OPTIONS}. */
export interface OrdersOptions {
  /** How long `onModuleDestroy` waits for the backlog before it cuts it off. */
  readonly drainMs: number;
  /** Where an order is written (a database in a real app); honours `signal`. */
  readonly persist: (
    order: { orderId: string; sku: string; quantity: number },
    signal: AbortSignal,
  ) => Promise<void>;
}

/** The injection token of {@link OrdersOptions}. */
export const ORDERS_OPTIONS = Symbol('ORDERS_OPTIONS');

/** Owns the orders module: one order at a time, so ids are sequential without a lock. */
export class OrdersService implements OnModuleDestroy {
  readonly #logger = new Logger('OrdersService');
  readonly #options: OrdersOptions;
  readonly #module: SpawnedTypedModule<OrdersApi, SparkChannelCancellationToken, Error>;
  #placed = 0;
  /** What the drain in `onModuleDestroy` reported, for the logs (and the spec). */
  lastDrain: DrainReport | undefined;

  constructor(options: OrdersOptions) {
    this.#options = options;
    this.#module = spawnTypedModule(
      createRouter<OrdersApi>({
        PlaceOrder: {
          request: async ({ sku, quantity }, { signal }) => {
            const orderId = `order-${this.#placed + 1}`;
            await options.persist({ orderId, sku, quantity }, signal);
            this.#placed++;
            return { orderId };
          },
        },
        CountOrders: { request: () => this.#placed },
      }),
      { capacity: 256 },
    );
  }

  placeOrder(sku: string, quantity: number): Promise<{ orderId: string }> {
    return this.#module.dispatcher.request({ type: 'PlaceOrder', sku, quantity });
  }

  countOrders(): Promise<number> {
    return this.#module.dispatcher.request({ type: 'CountOrders' });
  }

  /** The module's server: its `stats()`, `errors$` and `isRunning` for health checks. */
  get server(): ModuleServer<unknown, Error> {
    return this.#module.server;
  }

  /**
   * Nest calls it on `app.close()`: new orders are refused from here on (`SEND_FAILED`), those
   * placed before are finished, and past `drainMs` the rest fail with `RECEIVE_FAILED`.
   */
  async onModuleDestroy(): Promise<void> {
    const report = await this.#module.server.drain(this.#options.drainMs);
    this.lastDrain = report;
    if (report.outcome === 'deadline') {
      this.#logger.warn(`drain deadline: ${report.aborted} orders cut off, ${report.handled} finished`);
    }
  }
}
Injectable()(OrdersService);
Inject(ORDERS_OPTIONS)(OrdersService, undefined, 0);

/** The Nest module that provides {@link OrdersService}, given its {@link OrdersOptions}. */
export class OrdersModule {
  static forRoot(options: OrdersOptions): DynamicModule {
    return {
      module: OrdersModule,
      providers: [{ provide: ORDERS_OPTIONS, useValue: options }, OrdersService],
      exports: [OrdersService],
    };
  }
}
Module({})(OrdersModule);
