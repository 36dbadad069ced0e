// The option `tracing` where the wire misbehaves, without a server: a connection whose publish
// throws, a header factory that throws, a propagator that throws, hooks that throw, a cancelled
// request, an event that waits for room in a local module. The real round trips are in
// wire-nats.spec.ts and wire-worker.spec.ts.
import {
  type Context,
  propagation,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapPropagator,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

import { spawnModule } from '../../lib/index.js';
import {
  jsonCodec,
  type NatsConnectionLike,
  type NatsEventConnection,
  type NatsHeaders,
  type NatsMsg,
  natsDispatcher,
  natsEventBus,
  serveModule,
} from '../../lib/nats/index.js';
import { ATTR_ERROR_TYPE, ATTR_SPARK_CHANNEL_ERROR_CODE, openTelemetryWire } from '../../lib/otel/index.js';
import { WIRE_HEADERS } from '../../lib/nats/wire.js';
import type { WireTracing } from '../../lib/wire-tracing.js';
import { deferred, recordingLogger } from '../support/helpers.js';
import { useTracing } from './tracing.js';

/** Headers as the client's MsgHdrs behave for get/set: an empty string for an absent key. */
class Headers implements NatsHeaders {
  readonly entries = new Map<string, string>();
  get(key: string): string {
    return this.entries.get(key) ?? '';
  }
  set(key: string, value: string): void {
    this.entries.set(key, value);
  }
}
const headers = (): NatsHeaders => new Headers();

interface Sent {
  readonly subject: string;
  readonly options: unknown;
}

/** A connection-like that records what is sent and delivers what the spec says. */
function fake(publishThrows = false) {
  const sent: Sent[] = [];
  let callback: ((error: Error | null, msg: NatsMsg & { subject: string }) => void) | undefined;
  const nc = {
    subscribe(_subject: string, options: { callback: typeof callback }) {
      callback = options.callback;
      return { drain: () => Promise.resolve(), isClosed: () => false };
    },
    request(subject: string, _payload: Uint8Array, options: unknown) {
      sent.push({ subject, options });
      return Promise.resolve({ data: jsonCodec.encode({ ok: true, value: 'answer' }) });
    },
    publish(subject: string, _payload: Uint8Array, options?: unknown) {
      if (publishThrows) throw new Error('connection broke');
      sent.push({ subject, options });
    },
    flush: () => Promise.resolve(),
    isClosed: () => false,
    isDraining: () => false,
  };
  const deliver = (msg: Partial<NatsMsg> & { subject?: string; data: Uint8Array }): void =>
    callback?.(null, { respond: () => true, subject: 'x', ...msg });
  return { nc: nc as NatsConnectionLike & NatsEventConnection, sent, deliver };
}

describe('tracing on a misbehaving wire', () => {
  const tracing = useTracing();
  const wire = (): WireTracing => openTelemetryWire({ tracer: tracing.tracer });
  beforeEach(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterEach(() => propagation.disable());

  it('ends a command whose publish throws with SEND_FAILED, on the PRODUCER span too', async () => {
    const { nc } = fake(true);
    const users = natsDispatcher(nc, 'users', { tracing: wire(), headers });
    await expect(users.sendCommand({ type: 'Touch' })).rejects.toMatchObject({ code: 'SEND_FAILED' });
    const [span] = tracing.spans();
    expect(span?.kind).toBe(SpanKind.PRODUCER);
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes[ATTR_ERROR_TYPE]).toBe('SEND_FAILED');
  });

  it('sends with the shared wire-version headers alone when the header factory throws', async () => {
    const { nc, sent } = fake();
    const broken = (): NatsHeaders => {
      throw new Error('no headers today');
    };
    const users = natsDispatcher(nc, 'users', { tracing: wire(), headers: broken });
    await expect(users.request({ type: 'GetData' })).resolves.toBe('answer');
    await users.sendCommand({ type: 'Touch' });
    expect(sent.map(({ options }) => options)).toEqual([
      { timeout: 30_000, headers: WIRE_HEADERS },
      { headers: WIRE_HEADERS },
    ]);
  });

  it('writes traceparent into the header object of a request and of a command', async () => {
    const { nc, sent } = fake();
    const users = natsDispatcher(nc, 'users', { tracing: wire(), headers });
    await users.request({ type: 'GetData' });
    await users.sendCommand({ type: 'Touch' });
    const written = sent.map(({ options }) => (options as { headers: Headers }).headers.get('traceparent'));
    const spans = tracing.spans();
    expect(written).toEqual(
      spans.map((span) => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`),
    );
  });

  it('keeps a cancelled request’s CLIENT span UNSET, with its code', async () => {
    const { nc } = fake();
    const slow = {
      ...nc,
      request: () => new Promise<{ readonly data: Uint8Array }>(() => undefined),
    } as NatsConnectionLike;
    const users = natsDispatcher(slow, 'users', { tracing: wire(), headers });
    const controller = new AbortController();
    const pending = users.request({ type: 'GetData' }, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    const [span] = tracing.spans();
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    expect(span?.attributes[ATTR_SPARK_CHANNEL_ERROR_CODE]).toBe('CANCELLED');
  });

  it('survives a propagator that throws on both sides: the messages go on, with new traces', async () => {
    const throwing: TextMapPropagator = {
      inject: () => {
        throw new Error('inject');
      },
      extract: () => {
        throw new Error('extract');
      },
      fields: () => [],
    };
    propagation.disable();
    propagation.setGlobalPropagator(throwing);
    const { nc, deliver } = fake();
    const served = serveModule(
      nc,
      'users',
      { handleRequest: () => 1, handleCommand: () => undefined },
      {
        tracing: wire(),
        logger: recordingLogger(),
      },
    );
    const users = natsDispatcher(nc, 'users', { tracing: wire(), headers });
    await expect(users.request({ type: 'GetData' })).resolves.toBe('answer');
    const answered = deferred<void>();
    deliver({
      data: jsonCodec.encode({ type: 'GetData' }),
      reply: '_INBOX.1',
      respond: () => (answered.resolve(), true),
    });
    await answered.promise;
    await served.stop();
    const process = tracing.spans().find((span) => span.name === 'process users');
    expect(process?.parentSpanContext).toBeUndefined();
  });

  it('reads headers through the propagator’s getter, keys included, and treats an unreadable header as absent', async () => {
    const seen: unknown[] = [];
    const listing: TextMapPropagator = {
      inject: () => undefined,
      extract: (ctx: Context, carrier: unknown, getter: TextMapGetter) => {
        seen.push(getter.keys(carrier), getter.get(carrier, 'traceparent'), getter.get(carrier, 'boom'));
        return ctx;
      },
      fields: () => ['traceparent'],
    };
    propagation.disable();
    propagation.setGlobalPropagator(listing);
    const { nc, deliver } = fake();
    const served = serveModule(
      nc,
      'users',
      { handleRequest: () => 1, handleCommand: () => undefined },
      {
        tracing: wire(),
        logger: recordingLogger(),
      },
    );
    const hostile: NatsHeaders = {
      get: (key: string) => {
        if (key === 'boom') throw new Error('unreadable');
        return 'x'.repeat(600); // oversized
      },
      set: () => undefined,
    };
    const answered = deferred<void>();
    deliver({
      data: jsonCodec.encode({ type: 'GetData' }),
      reply: '_INBOX.1',
      headers: hostile,
      respond: () => (answered.resolve(), true),
    });
    await answered.promise;
    await served.stop();
    expect(seen).toEqual([[], undefined, undefined]);
  });

  it('runs the hand-off untraced when the run hook throws before it, and keeps its result when it throws after', async () => {
    const { nc, deliver } = fake();
    const calls: string[] = [];
    const make = (when: 'before' | 'after'): WireTracing => ({
      send: () => undefined,
      sent: () => undefined,
      receive: () => 'state',
      run: (_state, handle) => {
        if (when === 'before') throw new Error('before');
        handle();
        throw new Error('after');
      },
      received: (_state, ok) => {
        calls.push(`${when}:${String(ok)}`);
        throw new Error('received hook');
      },
    });
    for (const when of ['before', 'after'] as const) {
      const served = serveModule(
        nc,
        'users',
        { handleRequest: () => 1, handleCommand: () => undefined },
        {
          tracing: make(when),
          logger: recordingLogger(),
        },
      );
      const answered = deferred<Uint8Array | undefined>();
      deliver({
        data: jsonCodec.encode({ type: 'GetData' }),
        reply: '_INBOX.1',
        respond: (bytes) => (answered.resolve(bytes), true),
      });
      expect(jsonCodec.decode((await answered.promise) as Uint8Array)).toEqual({ ok: true, value: 1 });
      await served.stop();
    }
    expect(calls).toEqual(['before:true', 'after:true']);
  });

  it('ends a failed event publish with SEND_FAILED on its PRODUCER span', () => {
    const { nc } = fake(true);
    const bus = natsEventBus<{ Tick: { n: number } }>(nc, { prefix: 'shop', tracing: wire(), headers });
    expect(() => bus.tryPublish({ type: 'Tick', n: 1 })).toThrow(
      expect.objectContaining({ code: 'SEND_FAILED' }),
    );
    expect(tracing.spans()[0]?.attributes[ATTR_ERROR_TYPE]).toBe('SEND_FAILED');
  });

  it('ends an event’s CONSUMER span once a module that had no room took it', async () => {
    const { nc, deliver } = fake();
    const release = deferred<void>();
    const started = deferred<void>();
    const stock = spawnModule<{ type: string }, unknown>(
      {
        handleRequest: () => undefined,
        handleCommand: () => {
          started.resolve();
          return release.promise;
        },
      },
      { capacity: 1 },
    );
    const bus = natsEventBus<{ Tick: { n: number } }>(nc, { prefix: 'shop', tracing: wire(), headers });
    bus.subscribe('Tick', stock.dispatcher);
    const event = (n: number) => ({ subject: 'shop.Tick', data: jsonCodec.encode({ type: 'Tick', n }) });
    deliver(event(1)); // runs
    await started.promise;
    deliver(event(2)); // queued
    deliver(event(3)); // waits for room
    const ended = () => tracing.spans().filter((span) => span.name === 'process shop.Tick').length;
    expect(ended()).toBe(2);
    release.resolve();
    await stock.dispatcher.shutdown();
    expect(ended()).toBe(3);
    await bus.close();
  });

  it('refuses a tracer that is not one, naming it', () => {
    expect(() => openTelemetryWire({ tracer: {} as never })).toThrow(/`tracer`/);
    expect(() => openTelemetryWire(3 as never)).toThrow(/`options`/);
  });
});
