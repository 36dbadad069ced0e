/**
 * Two traced modules, one calling the other, and the trace they leave (spark-channel/otel).
 *
 * Run it with `npx tsx examples/otel/main.ts`. The spans go to the SDK's in-memory exporter and
 * are printed as a tree; in an application they would go to your collector instead.
 */
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

import { type HandlerContext, spawnModule } from '../../lib/index.js';
import {
  ATTR_SPARK_CHANNEL_ERROR_CODE,
  ATTR_SPARK_CHANNEL_OUTCOME,
  openTelemetry,
} from '../../lib/otel/index.js';

// What the OpenTelemetry SDK setup of an application does (`new NodeSDK(…).start()`).
const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const tracer = trace.getTracer('example');

type UsersMessage = { type: 'GetUser'; id: number };
type OrdersMessage = { type: 'PlaceOrder'; userId: number } | { type: 'Audit'; event: string };

const users = spawnModule(
  {
    async handleRequest({ id }: UsersMessage) {
      // A span of the handler's own: a child of the message's span.
      return tracer.startActiveSpan('SELECT user', async (span) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        span.end();
        if (id !== 7) throw new Error(`no user ${id}`);
        return { id, name: 'Ada' };
      });
    },
    handleCommand() {},
  },
  { instrument: openTelemetry({ name: 'users' }) },
);

const orders = spawnModule(
  {
    async handleRequest(message: OrdersMessage, { signal }: HandlerContext) {
      if (message.type !== 'PlaceOrder') throw new Error(`not a request: ${message.type}`);
      // A request to another module, sent from this handler: a child of this message's span.
      // Passing on `signal` cancels it when this request's caller gives up.
      const user = await users.dispatcher.request({ type: 'GetUser', id: message.userId }, { signal });
      await orders.dispatcher.sendCommand({ type: 'Audit', event: `order for ${user.name}` });
      return `order placed for ${user.name}`;
    },
    handleCommand() {},
  },
  { instrument: openTelemetry({ name: 'orders' }) },
);

async function main(): Promise<void> {
  await tracer.startActiveSpan('POST /orders', async (span) => {
    console.log(await orders.dispatcher.request({ type: 'PlaceOrder', userId: 7 }));
    span.end();
  });
  await tracer.startActiveSpan('POST /orders (an unknown user, a timeout)', async (span) => {
    await orders.dispatcher
      .request({ type: 'PlaceOrder', userId: 8 })
      .catch((error: Error) => console.log(error.message));
    await orders.dispatcher.request({ type: 'PlaceOrder', userId: 7 }, { timeoutMs: 1 }).catch(String);
    span.end();
  });
  await orders.dispatcher.shutdown();
  await users.dispatcher.shutdown();

  // The trace, as a tree: name, duration, status, and how a message ended when not `ok`.
  const spans = exporter.getFinishedSpans();
  const children = (parent: ReadableSpan | undefined): ReadableSpan[] =>
    spans
      .filter((span) => span.parentSpanContext?.spanId === parent?.spanContext().spanId)
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  const print = (span: ReadableSpan, indent: string): void => {
    const ms = (span.duration[0] * 1e3 + span.duration[1] / 1e6).toFixed(1);
    const status = span.status.code === SpanStatusCode.ERROR ? ` ERROR ${span.status.message ?? ''}` : '';
    const outcome = span.attributes[ATTR_SPARK_CHANNEL_OUTCOME];
    const code = span.attributes[ATTR_SPARK_CHANNEL_ERROR_CODE];
    const ended =
      outcome === undefined || outcome === 'ok'
        ? ''
        : ` (${String(outcome)}${code === undefined ? '' : `, ${String(code)}`})`;
    console.log(`${indent}${span.name}  ${ms} ms${status}${ended}`);
    for (const child of children(span)) print(child, `${indent}  `);
  };
  console.log('\nThe trace:');
  for (const root of children(undefined)) print(root, '');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
