import type { Attributes } from '@opentelemetry/api';
import { expectTypeOf } from 'expect-type';

import {
  createRouter,
  type ModuleInstrumentation,
  spawnModule,
  spawnTypedModule,
  type SparkGenericModuleHandler,
} from '../../lib/index.js';
import { type NatsConnectionLike, serveModule } from '../../lib/nats/index.js';
import { openTelemetry, type OpenTelemetryOptions, type TracedMessageKind } from '../../lib/otel/index.js';

// Type-level tests: `npm run typecheck` fails when an `expectTypeOf` does not hold or a
// `@ts-expect-error` line compiles. The `typeChecks` function is never called.

type Msg = { type: 'GetData'; key: string } | { type: 'LogEvent'; event: string };
declare const handler: SparkGenericModuleHandler<Msg, number[]>;
declare const nc: NatsConnectionLike;

function typeChecks(): void {
  // Passed inline, the callbacks get the module's message type: no generic to write.
  spawnModule(handler, {
    instrument: openTelemetry({
      name: 'users',
      attributes: (message, kind) => {
        expectTypeOf(message).toEqualTypeOf<Msg>();
        expectTypeOf(kind).toEqualTypeOf<TracedMessageKind>();
        return message.type === 'GetData' ? { 'app.key': message.key } : {};
      },
      spanName: (message) => `users ${message.type}`,
    }),
  });

  // Built apart, it is typed by its own argument, and one without callbacks fits any module.
  const forMsg = openTelemetry<Msg>({ attributes: (message) => ({ 'app.type': message.type }) });
  expectTypeOf(forMsg).toEqualTypeOf<ModuleInstrumentation<Msg>>();
  spawnModule(handler, { instrument: forMsg });
  spawnModule(handler, { instrument: openTelemetry() });

  // Typed modules too.
  const router = createRouter<{ Ping: { request: { n: number }; response: number } }>({
    Ping: { request: ({ n }) => n },
  });
  spawnTypedModule(router, { instrument: openTelemetry({ name: 'ping' }) });

  // And a module served on NATS, traced on its serving side.
  serveModule(nc, 'users', handler, { instrument: openTelemetry({ name: 'users' }) });

  // @ts-expect-error attributes are OpenTelemetry attribute values, not any object
  openTelemetry<Msg>({ attributes: () => ({ nested: { no: true } }) });
  // @ts-expect-error a span name is a string
  openTelemetry<Msg>({ spanName: () => 42 });
  // @ts-expect-error the tracer is an OpenTelemetry Tracer
  openTelemetry({ tracer: {} });

  expectTypeOf<OpenTelemetryOptions<Msg>['attributes']>().toEqualTypeOf<
    ((this: void, message: Msg, kind: TracedMessageKind) => Attributes) | undefined
  >();
}

describe('openTelemetry types', () => {
  it('compiles the type-level checks above', () => {
    expect(typeChecks).toBeInstanceOf(Function);
  });
});
