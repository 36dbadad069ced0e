// The OpenTelemetry SDK wired for a spec: an in-memory exporter behind a simple processor, a
// tracer from that provider (nothing global), and an AsyncLocalStorage context manager registered
// for each test and removed after it, as the Node SDK would register one.
import { context, type SpanContext, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

export interface Tracing {
  readonly exporter: InMemorySpanExporter;
  readonly provider: BasicTracerProvider;
  readonly tracer: Tracer;
  /** The finished spans, in the order they ended. */
  spans(): ReadableSpan[];
  /** The one finished span named `name`; throws when there is none or several. */
  span(name: string): ReadableSpan;
}

export function useTracing(): Tracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  beforeEach(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterEach(() => {
    context.disable();
    exporter.reset();
  });
  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  return {
    exporter,
    provider,
    tracer: provider.getTracer('spec'),
    spans,
    span: (name) => {
      const found = spans().filter((span) => span.name === name);
      if (found.length !== 1) {
        throw new Error(
          `Expected one span named "${name}", found ${found.length} in [${spans()
            .map((s) => s.name)
            .join(', ')}]`,
        );
      }
      return found[0] as ReadableSpan;
    },
  };
}

/** Whether `child` is a direct child of `parent` (same trace, parent's span id). */
export function isChildOf(child: ReadableSpan, parent: { spanContext(): SpanContext }): boolean {
  const { traceId, spanId } = parent.spanContext();
  return child.parentSpanContext?.traceId === traceId && child.parentSpanContext.spanId === spanId;
}

/** Whether two spans (or span-like objects) are the same span. */
export function sameSpan(
  a: { spanContext(): SpanContext } | undefined,
  b: { spanContext(): SpanContext },
): boolean {
  return a !== undefined && a.spanContext().spanId === b.spanContext().spanId;
}
