// The hooks driven by hand, as a server calls them: the paths a server reaches only in rare
// orders (a message that had no `sent`, a second `run`) and the options' failure cases.
import { context, diag, DiagLogLevel, SpanStatusCode, trace } from '@opentelemetry/api';

import type {
  InstrumentedMessage,
  InstrumentedSettlement,
  ModuleInstrumentation,
} from '../../lib/module-instrumentation.js';
import {
  ATTR_SPARK_CHANNEL_OUTCOME,
  openTelemetry,
  type OpenTelemetryOptions,
} from '../../lib/otel/index.js';
import { isChildOf, sameSpan, useTracing } from './tracing.js';

const tracing = useTracing();
const { tracer } = tracing;

const ok: InstrumentedSettlement = { outcome: 'ok', queuedMs: 1, handlingMs: 2 };
const described = (id: number, message: unknown = { type: 'GetData' }): InstrumentedMessage<unknown> => ({
  id,
  kind: 'request',
  message,
});

/** The hooks of `openTelemetry(options)`, all three required. */
function hooks(options: OpenTelemetryOptions = {}): Required<ModuleInstrumentation> {
  return openTelemetry({ name: 'users', tracer, ...options }) as Required<ModuleInstrumentation>;
}

describe('openTelemetry() hooks', () => {
  it('returns frozen hooks, safe to call detached from their object', () => {
    const instrument = hooks();
    expect(Object.isFrozen(instrument)).toBe(true);
    const { sent, run, settled } = instrument;
    const state = sent(described(1));
    expect(run(state, described(1), () => 'handled')).toBe('handled');
    settled(state, described(1), ok);
    expect(tracing.spans()).toHaveLength(1);
  });

  it('gives a message with no `sent` state a root span at `run`, active in the handler, ended at `settled`', () => {
    const instrument = hooks();
    const message = described(1);
    const active = tracer.startActiveSpan('whoever woke the server', (waker) => {
      const inHandler = instrument.run(undefined, message, () => trace.getActiveSpan());
      waker.end();
      return inHandler;
    });
    // The server describes the message afresh for each hook: same id, same message.
    instrument.settled(undefined, { ...message }, ok);

    const span = tracing.span('users request GetData');
    expect(span.parentSpanContext).toBeUndefined();
    expect(sameSpan(active, span)).toBe(true);
    expect(span.events.map((event) => event.name)).toEqual(['started']);
    expect(span.attributes[ATTR_SPARK_CHANNEL_OUTCOME]).toBe('ok');
  });

  it('still ends a span for a message with no `sent` state that settles without starting', () => {
    hooks().settled(undefined, described(1), {
      outcome: 'error',
      error: new Error('dropped'),
      queuedMs: undefined,
      handlingMs: undefined,
    });

    const span = tracing.span('users request GetData');
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'dropped' });
    expect(span.events.map((event) => event.name)).toEqual(['exception']);
  });

  it('tells apart two servers’ unsent messages with the same id', () => {
    const instrument = hooks();
    const first = described(1, { type: 'First' });
    const second = described(1, { type: 'Second' });
    instrument.run(undefined, first, () => undefined);
    instrument.settled(undefined, second, ok); // not first's span
    instrument.settled(undefined, first, ok);

    expect(tracing.spans().map((span) => span.name)).toEqual(['users request Second', 'users request First']);
    expect(tracing.span('users request First').events.map((event) => event.name)).toEqual(['started']);
  });

  it('adds one `started` event however often the server enters the message’s context', () => {
    const instrument = hooks();
    const state = instrument.sent(described(1));
    const inside = [1, 2].map(() => instrument.run(state, described(1), () => trace.getActiveSpan()));
    instrument.settled(state, described(1), ok);

    const span = tracing.span('users request GetData');
    expect(inside.every((active) => sameSpan(active, span))).toBe(true);
    expect(span.events.map((event) => event.name)).toEqual(['started']);
  });

  it('parents the span to the context active at `sent`, not at `run`', () => {
    const instrument = hooks();
    const [state, caller] = tracer.startActiveSpan('caller', (span) => {
      span.end();
      return [instrument.sent(described(1)), span] as const;
    });
    tracer.startActiveSpan('someone else', (other) => {
      instrument.run(state, described(1), () => undefined);
      other.end();
    });
    instrument.settled(state, described(1), ok);

    expect(isChildOf(tracing.span('users request GetData'), caller)).toBe(true);
  });

  it('leaves the active context as it found it after `run`, also when the handler throws', () => {
    const instrument = hooks();
    const state = instrument.sent(described(1));
    expect(() =>
      instrument.run(state, described(1), () => {
        throw new Error('handler failed');
      }),
    ).toThrow('handler failed');
    expect(trace.getSpan(context.active())).toBeUndefined();
  });

  describe('callbacks that fail', () => {
    const logged: unknown[][] = [];
    beforeEach(() => {
      logged.length = 0;
      diag.setLogger(
        {
          error: (...args) => logged.push(args),
          warn: () => undefined,
          info: () => undefined,
          debug: () => undefined,
          verbose: () => undefined,
        },
        DiagLogLevel.ERROR,
      );
    });
    afterEach(() => diag.disable());

    const trace1 = (options: OpenTelemetryOptions): void => {
      const instrument = hooks(options);
      const state = instrument.sent(described(1));
      instrument.settled(state, described(1), ok);
    };

    it('reports a throwing `attributes` to diag and starts the span without its attributes', () => {
      trace1({
        attributes: () => {
          throw new Error('bad attributes');
        },
      });
      expect(tracing.span('users request GetData').attributes).not.toHaveProperty('app.key');
      expect(logged).toEqual([[expect.stringContaining('attributes() threw'), expect.any(Error)]]);
    });

    it('reports `attributes` returning a non-object to diag', () => {
      trace1({ attributes: () => null as never });
      expect(tracing.spans()).toHaveLength(1);
      expect(logged).toEqual([[expect.stringContaining('attributes() returned null')]]);
    });

    it('reports a throwing `spanName` to diag and uses the default name', () => {
      trace1({
        spanName: () => {
          throw new Error('bad name');
        },
      });
      expect(tracing.span('users request GetData')).toBeDefined();
      expect(logged).toEqual([[expect.stringContaining('spanName() threw'), expect.any(Error)]]);
    });

    it('reports `spanName` returning an empty or non-string name to diag and uses the default name', () => {
      trace1({ spanName: () => '' });
      trace1({ spanName: () => 42 as never });
      expect(tracing.spans().map((span) => span.name)).toEqual([
        'users request GetData',
        'users request GetData',
      ]);
      expect(logged).toEqual([
        [expect.stringContaining('spanName() returned ""')],
        [expect.stringContaining('spanName() returned 42')],
      ]);
    });
  });

  describe('bad options', () => {
    it.each([
      ['options', 'users', /`options` to be an object, got "users"/],
      ['name', { name: '' }, /`name` to be a non-empty string, got ""/],
      ['name', { name: 7 }, /`name` to be a non-empty string, got 7/],
      ['tracer', { tracer: {} }, /`tracer` to be an OpenTelemetry Tracer \(startSpan\(\)\), got an object/],
      ['tracer', { tracer: null }, /`tracer` to be an OpenTelemetry Tracer \(startSpan\(\)\), got null/],
      ['attributes', { attributes: { 'app.key': 1 } }, /`attributes` to be a function, got an object/],
      ['spanName', { spanName: 'users' }, /`spanName` to be a function, got "users"/],
    ])('throws a TypeError naming `%s`', (_, options, message) => {
      expect(() => openTelemetry(options as never)).toThrow(TypeError);
      expect(() => openTelemetry(options as never)).toThrow(message);
    });

    it('accepts no options at all', () => {
      expect(openTelemetry()).toEqual({
        sent: expect.any(Function),
        run: expect.any(Function),
        settled: expect.any(Function),
      });
    });
  });
});
