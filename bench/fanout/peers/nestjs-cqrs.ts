/**
 * @nestjs/cqrs's EventBus, in a standalone Nest application context with `CqrsModule.forRoot()`,
 * as bench/peers/nestjs-cqrs.ts wires its QueryBus and CommandBus. Observers: the saga-style
 * stream, `eventBus.pipe(ofType(Tick)).subscribe(listener)` per subscriber. Modules: one
 * `@EventsHandler(Tick)` class per subscriber, registered as a provider (its `handle` is the
 * listener): Nest's nearest thing to a module subscriber, with no mailbox (a handler runs at
 * once, in `mergeMap`; async ones overlap). `eventBus.publish(new Tick(seq))` in both.
 * The decorators are applied as plain calls (the bench is compiled without
 * `experimentalDecorators`); what they record is the same.
 */
import 'reflect-metadata';

import { Module } from '@nestjs/common';
import { EventBus, EventsHandler, CqrsModule, type IEvent, type IEventHandler, ofType } from '@nestjs/cqrs';
import { NestFactory } from '@nestjs/core';

import type { FanoutPeer } from '../peer.js';
import type { Listener } from '../workload.js';

export const fanoutNestjsCqrs: FanoutPeer = {
  id: 'nestjs-cqrs',
  label: '@nestjs/cqrs EventBus',
  wiring: {
    observers:
      'eventBus.pipe(ofType(Tick)).subscribe(listener) per subscriber; eventBus.publish(new Tick(seq))',
    modules:
      '@EventsHandler(Tick) class per subscriber, its handle() the listener; eventBus.publish(new Tick(seq))',
  },
  delivers:
    'synchronously in publish (handlers via mergeMap: async ones overlap); a handler error is logged and published on the UnhandledExceptionBus; no mailbox',
  ours: false,
  mailbox: false,
  async create(mode, listeners) {
    // A fresh event class per bus: Nest keys handlers by the event class's metadata.
    class Tick implements IEvent {
      readonly type = 'Tick' as const;
      constructor(readonly seq: number) {}
    }
    const providers: (new () => IEventHandler<Tick>)[] = [];
    if (mode === 'modules') {
      for (const listener of listeners) {
        class TickHandler implements IEventHandler<Tick> {
          handle(event: Tick): void | Promise<void> {
            return listener(event);
          }
        }
        EventsHandler(Tick)(TickHandler);
        providers.push(TickHandler);
      }
    }
    class FanoutModule {}
    Module({ imports: [CqrsModule.forRoot()], providers })(FanoutModule);
    const app = await NestFactory.createApplicationContext(FanoutModule, { logger: false });
    await app.init();
    const eventBus = app.get(EventBus);
    if (mode === 'observers') {
      for (const listener of listeners as Listener[]) {
        eventBus.pipe(ofType(Tick)).subscribe(listener);
      }
    }
    return {
      publish: (seq) => eventBus.publish(new Tick(seq)),
      close: () => app.close(),
    };
  },
};
