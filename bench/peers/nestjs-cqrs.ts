/**
 * @nestjs/cqrs: QueryBus for requests, CommandBus for commands, in a standalone Nest application
 * context (`NestFactory.createApplicationContext`), with the handlers registered by
 * `CqrsModule.forRoot()` from their `@QueryHandler` / `@CommandHandler` metadata, as in a Nest app.
 * The decorators are applied as plain calls, because the bench is compiled without
 * `experimentalDecorators`; what they record is the same.
 */
import 'reflect-metadata';

import { Module } from '@nestjs/common';
import {
  Command,
  CommandBus,
  CommandHandler,
  CqrsModule,
  type ICommandHandler,
  type IQueryHandler,
  Query,
  QueryBus,
  QueryHandler,
} from '@nestjs/cqrs';
import { NestFactory } from '@nestjs/core';

import type { Answer } from '../workload.js';
import type { Bus, Peer } from './peer.js';

export const nestjsCqrs: Peer = {
  id: 'nestjs-cqrs',
  label: '@nestjs/cqrs',
  wiring: 'NestFactory.createApplicationContext + CqrsModule.forRoot(); queryBus.execute(new GetAnswer(m))',
  mailbox: false,
  commands: true,
  ours: false,
  guarantees: {
    ordering: 'handlers start in call order; async ones overlap (no mailbox)',
    typedReplies: 'yes: Query<R> / Command<R> carry the result type',
    backpressure: 'no',
    cancellation: 'no',
    isolation: 'yes: a failure rejects that execute() only',
  },
  async create(handler): Promise<Bus> {
    // Fresh classes per bus: Nest keys handlers by class metadata.
    class GetAnswer extends Query<number> {
      constructor(readonly message: number) {
        super();
      }
    }
    class Record extends Command<void> {
      constructor(readonly message: number) {
        super();
      }
    }
    class GetAnswerHandler implements IQueryHandler<GetAnswer, number> {
      execute(query: GetAnswer): Promise<number> {
        return handler(query.message) as Promise<number>; // a value when the handler is sync
      }
    }
    class RecordHandler implements ICommandHandler<Record> {
      execute(command: Record): Promise<void> {
        return handler(command.message) as unknown as Promise<void>;
      }
    }
    QueryHandler(GetAnswer)(GetAnswerHandler);
    CommandHandler(Record)(RecordHandler);
    class BenchModule {}
    Module({ imports: [CqrsModule.forRoot()], providers: [GetAnswerHandler, RecordHandler] })(BenchModule);

    const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
    await app.init();
    const queryBus = app.get(QueryBus);
    const commandBus = app.get(CommandBus);
    let last: Answer | Promise<void> = 0;
    return {
      request: (m) => queryBus.execute(new GetAnswer(m)),
      command: (m) => (last = commandBus.execute(new Record(m))),
      drain: async () => {
        await last;
      },
      close: () => app.close(),
    };
  },
};
