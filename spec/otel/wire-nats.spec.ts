// One trace across a real nats-server: requests, commands and events carry `traceparent` /
// `tracestate` in their NATS headers (openTelemetryWire on both sides, W3C propagator registered
// here as an SDK would), and the serving spans are children of the sending ones. The receiving
// side starts from ROOT_CONTEXT, not from whatever context is active in the client's callback, so
// a parent seen there came through the headers. Hostile headers from a raw client start a new trace.
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

import { spawnModule, type SparkGenericModuleHandler } from '../../lib/index.js';
import { jsonCodec, natsDispatcher, natsEventBus, serveModule } from '../../lib/nats/index.js';
import { jetStreamCommands, jetStreamEvents } from '../../lib/nats/jetstream/index.js';
import { WIRE_HEADERS } from '../../lib/nats/wire.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_SPARK_CHANNEL_KIND,
  openTelemetry,
  openTelemetryWire,
} from '../../lib/otel/index.js';
import type { WireTracing } from '../../lib/wire-tracing.js';
import { type RunningJetStream, startJetStreamServer } from '../nats/jetstream-server.js';
import { ensureNatsServer, startNatsServer } from '../nats/nats-server.js';
import { deferred, recordingLogger } from '../support/helpers.js';
import { isChildOf, useTracing } from './tracing.js';

type Message = { type: string; [field: string]: unknown };
type ShopEvents = { OrderPlaced: { orderId: string } };

const describeNats = ensureNatsServer() ? describe : describe.skip;

describeNats('one trace across a real nats-server', () => {
  const tracing = useTracing();
  const wire = (): WireTracing => openTelemetryWire({ tracer: tracing.tracer });
  let nats: RunningJetStream; // JetStream on: durable commands are traced too
  const connections: NatsConnection[] = [];
  const stops: (() => Promise<void>)[] = [];
  let count = 0;
  const subject = (): string => `spec.otel.${process.pid}.${++count}`;

  async function open(): Promise<NatsConnection> {
    const nc = await connect({ servers: nats.url, reconnect: false });
    connections.push(nc);
    return nc;
  }

  beforeAll(async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    nats = await startJetStreamServer();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
  });
  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close()));
    await nats.stop();
    propagation.disable();
  });

  /** A served module whose handler opens a span of its own (`handler work`) and reports when a command ran. */
  async function serveTraced(
    nc: NatsConnection,
    on: string,
    traced = true,
    durable?: ReturnType<typeof jetStreamCommands>,
  ) {
    const commanded = deferred<void>();
    const handler: SparkGenericModuleHandler<Message, unknown> = {
      handleRequest: (message) =>
        tracing.tracer.startActiveSpan('handler work', (span) => {
          span.end();
          if (message.type === 'fail') throw Object.assign(new TypeError('bad key'), { code: 'E_KEY' });
          return { echo: message['value'] };
        }),
      handleCommand: () => {
        tracing.tracer.startActiveSpan('command work', (span) => span.end());
        commanded.resolve();
      },
    };
    const served = serveModule(nc, on, handler, {
      logger: recordingLogger(),
      instrument: openTelemetry({ name: 'users', tracer: tracing.tracer }),
      ...(traced ? { tracing: wire() } : {}),
      ...(durable === undefined ? {} : { durable }),
    });
    stops.push(served.stop);
    await served.ready;
    return { served, commanded: commanded.promise };
  }

  const sameTrace = (spans: ReadableSpan[]): boolean =>
    new Set(spans.map((span) => span.spanContext().traceId)).size === 1;

  it('makes the serving span of a request a child of the sending span: caller → CLIENT → SERVER → module → handler', async () => {
    const [client, member] = [await open(), await open()];
    const on = subject();
    await serveTraced(member, on);
    const users = natsDispatcher<Message, unknown>(client, on, { tracing: wire(), headers });

    const answer = await tracing.tracer.startActiveSpan('caller', async (caller) => {
      try {
        return await users.request({ type: 'GetData', value: 7 });
      } finally {
        caller.end();
      }
    });
    expect(answer).toEqual({ echo: 7 });

    const caller = tracing.span('caller');
    const send = tracing.span(`send ${on}`);
    const served = tracing.span(`process ${on}`);
    const module = tracing.span('users request GetData');
    const work = tracing.span('handler work');
    expect(sameTrace([caller, send, served, module, work])).toBe(true);
    expect(isChildOf(send, caller)).toBe(true);
    expect(isChildOf(served, send)).toBe(true);
    expect(served.parentSpanContext?.isRemote).toBe(true);
    expect(isChildOf(module, served)).toBe(true);
    expect(isChildOf(work, module)).toBe(true);

    expect(send.kind).toBe(SpanKind.CLIENT);
    expect(served.kind).toBe(SpanKind.SERVER);
    expect(module.kind).toBe(SpanKind.INTERNAL); // in-process: not a messaging span
    expect(send.attributes).toEqual({
      [ATTR_MESSAGING_SYSTEM]: 'nats',
      [ATTR_MESSAGING_DESTINATION_NAME]: on,
      [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
      [ATTR_MESSAGING_OPERATION_NAME]: 'send',
      [ATTR_SPARK_CHANNEL_KIND]: 'request',
    });
    expect(served.attributes).toEqual({
      [ATTR_MESSAGING_SYSTEM]: 'nats',
      [ATTR_MESSAGING_DESTINATION_NAME]: on,
      [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
      [ATTR_MESSAGING_OPERATION_NAME]: 'process',
      [ATTR_SPARK_CHANNEL_KIND]: 'request',
    });
    expect([send.status.code, served.status.code]).toEqual([SpanStatusCode.UNSET, SpanStatusCode.UNSET]);
    // The CLIENT span lasts until the answer came back, so it encloses the serving side.
    expect(send.endTime[0] * 1e9 + send.endTime[1]).toBeGreaterThanOrEqual(
      served.endTime[0] * 1e9 + served.endTime[1],
    );
  });

  it('makes the serving span of a command a child of its PRODUCER span: PRODUCER → CONSUMER → module → handler', async () => {
    const [client, member] = [await open(), await open()];
    const on = subject();
    const { commanded } = await serveTraced(member, on);
    const users = natsDispatcher<Message, unknown>(client, on, { tracing: wire(), headers });

    await users.sendCommand({ type: 'Touch' });
    await commanded;
    await stops.pop()?.(); // drains: the module span has ended

    const send = tracing.span(`send ${on}`);
    const served = tracing.span(`process ${on}`);
    const module = tracing.span('users command Touch');
    const work = tracing.span('command work');
    expect(sameTrace([send, served, module, work])).toBe(true);
    expect(send.parentSpanContext).toBeUndefined(); // no caller span: the PRODUCER span is the root
    expect(isChildOf(served, send)).toBe(true);
    expect(isChildOf(module, served)).toBe(true);
    expect(isChildOf(work, module)).toBe(true);
    expect([send.kind, served.kind]).toEqual([SpanKind.PRODUCER, SpanKind.CONSUMER]);
    expect(served.attributes[ATTR_SPARK_CHANNEL_KIND]).toBe('command');
    expect(served.attributes[ATTR_MESSAGING_OPERATION_TYPE]).toBe('process');
  });

  it('traces a durable command through its stream: PRODUCER → CONSUMER → module → handler, one trace id', async () => {
    const [client, member] = [await open(), await open()];
    const on = subject();
    const durable = jetStreamCommands<Message>({ ackWaitMs: 2_000 });
    const { commanded } = await serveTraced(member, on, true, durable);
    const users = natsDispatcher<Message, unknown>(client, on, { tracing: wire(), headers, durable });

    await users.sendCommand({ type: 'Touch' }); // resolved by the stream's ack
    await commanded;
    await stops.pop()?.();

    const send = tracing.span(`send ${on}`);
    const served = tracing.span(`process ${on}`);
    const module = tracing.span('users command Touch');
    const work = tracing.span('command work');
    expect(sameTrace([send, served, module, work])).toBe(true);
    expect(isChildOf(served, send)).toBe(true);
    expect(isChildOf(module, served)).toBe(true);
    expect(isChildOf(work, module)).toBe(true);
    expect([send.kind, served.kind]).toEqual([SpanKind.PRODUCER, SpanKind.CONSUMER]);
    expect(send.status.code).toBe(SpanStatusCode.UNSET);
  }, 30_000);

  it('ends both wire spans of a failed request with status ERROR and error.type', async () => {
    const [client, member] = [await open(), await open()];
    const on = subject();
    await serveTraced(member, on);
    const users = natsDispatcher<Message, unknown>(client, on, { tracing: wire(), headers });

    await expect(users.request({ type: 'fail' })).rejects.toMatchObject({ name: 'TypeError', code: 'E_KEY' });
    const send = tracing.span(`send ${on}`);
    const served = tracing.span(`process ${on}`);
    expect(isChildOf(served, send)).toBe(true);
    for (const span of [send, served]) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes[ATTR_ERROR_TYPE]).toBe('TypeError');
    }
  });

  it('ends the CLIENT span of a request nobody serves with SEND_FAILED', async () => {
    const client = await open();
    const users = natsDispatcher<Message, unknown>(client, subject(), { tracing: wire(), headers });
    await expect(users.request({ type: 'GetData' })).rejects.toMatchObject({ code: 'SEND_FAILED' });
    const [send] = tracing.spans();
    expect(send?.kind).toBe(SpanKind.CLIENT);
    expect(send?.attributes[ATTR_ERROR_TYPE]).toBe('SEND_FAILED');
  });

  it('continues an event from the publishing bus to the receiving bus and its module subscriber', async () => {
    const [publisherNc, receiverNc] = [await open(), await open()];
    const prefix = subject();
    const received = deferred<void>();
    const stock = spawnModule<{ type: string }, unknown>(
      {
        handleRequest: () => undefined,
        handleCommand: () => received.resolve(),
      },
      { instrument: openTelemetry({ name: 'stock', tracer: tracing.tracer }) },
    );
    const receiver = natsEventBus<ShopEvents>(receiverNc, { prefix, tracing: wire(), headers });
    const publisher = natsEventBus<ShopEvents>(publisherNc, { prefix, tracing: wire(), headers });
    stops.push(
      () => receiver.close(),
      () => publisher.close(),
    );
    receiver.subscribe('OrderPlaced', stock.dispatcher);
    await receiver.flush();

    await publisher.publish({ type: 'OrderPlaced', orderId: 'o-1' });
    await received.promise;
    await stock.dispatcher.shutdown();

    const send = tracing.span(`send ${prefix}.OrderPlaced`);
    const served = tracing.span(`process ${prefix}.OrderPlaced`);
    const module = tracing.span('stock command OrderPlaced');
    expect([send.kind, served.kind]).toEqual([SpanKind.PRODUCER, SpanKind.CONSUMER]);
    expect(isChildOf(served, send)).toBe(true);
    expect(isChildOf(module, served)).toBe(true);
    expect(served.attributes[ATTR_SPARK_CHANNEL_KIND]).toBe('event');
  });

  it('stores the trace with a durable event: a subscriber that reads it later, from the stream, continues it', async () => {
    const [publisherNc, receiverNc] = [await open(), await open()];
    const prefix = subject();
    const received = deferred<void>();
    const stock = spawnModule<{ type: string }, unknown>(
      { handleRequest: () => undefined, handleCommand: () => received.resolve() },
      { instrument: openTelemetry({ name: 'stock', tracer: tracing.tracer }) },
    );
    const durable = jetStreamEvents({ consumer: 'stock', from: 'all', storage: 'memory' });
    const publisher = natsEventBus<ShopEvents>(publisherNc, { prefix, tracing: wire(), headers, durable });
    stops.push(() => publisher.close());

    await publisher.publish({ type: 'OrderPlaced', orderId: 'o-1' }); // stored; nobody subscribed yet
    const send = tracing.span(`send ${prefix}.OrderPlaced`); // ended once the stream stored it
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(send.status.code).toBe(SpanStatusCode.UNSET);

    const receiver = natsEventBus<ShopEvents>(receiverNc, { prefix, tracing: wire(), headers, durable });
    stops.push(() => receiver.close());
    receiver.subscribe('OrderPlaced', stock.dispatcher);
    await received.promise;
    await stock.dispatcher.shutdown();

    const served = tracing.span(`process ${prefix}.OrderPlaced`);
    const module = tracing.span('stock command OrderPlaced');
    expect(served.kind).toBe(SpanKind.CONSUMER);
    expect(sameTrace([send, served, module])).toBe(true);
    expect(isChildOf(served, send)).toBe(true);
    expect(isChildOf(module, served)).toBe(true);
    expect(served.attributes[ATTR_SPARK_CHANNEL_KIND]).toBe('event');
  }, 30_000);

  it('ends the PRODUCER span of a durable event no stream stored with SEND_FAILED', async () => {
    const core = await startNatsServer(); // no -js: nothing can store it
    try {
      const nc = await connect({ servers: core.url, reconnect: false });
      connections.push(nc);
      const prefix = subject();
      const durable = jetStreamEvents({ consumer: 'stock', publishTimeoutMs: 200 });
      const publisher = natsEventBus<ShopEvents>(nc, { prefix, tracing: wire(), headers, durable });
      await expect(publisher.publish({ type: 'OrderPlaced', orderId: 'o-1' })).rejects.toMatchObject({
        code: 'SEND_FAILED',
      });
      const send = tracing.span(`send ${prefix}.OrderPlaced`);
      expect(send.status.code).toBe(SpanStatusCode.ERROR);
      expect(send.attributes[ATTR_ERROR_TYPE]).toBe('SEND_FAILED');
      await publisher.close();
    } finally {
      await core.stop();
    }
  }, 30_000);

  describe('headers from the wire, sent by a raw client', () => {
    const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
    const SPAN_ID = '00f067aa0ba902b7';

    async function requestWith(entries: Record<string, string>, traced = true) {
      const [client, member] = [await open(), await open()];
      const on = subject();
      await serveTraced(member, on, traced);
      const h = headers();
      for (const [key, value] of Object.entries(entries)) h.set(key, value);
      const reply = await client.request(on, jsonCodec.encode({ type: 'GetData', value: 1 }), {
        timeout: 5_000,
        headers: h,
      });
      expect(jsonCodec.decode(reply.data)).toEqual({ ok: true, value: { echo: 1 } });
      return on;
    }

    it('continues a well-formed traceparent and tracestate written by another client', async () => {
      const on = await requestWith({
        traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`,
        tracestate: 'vendor=opaque',
      });
      const served = tracing.span(`process ${on}`);
      expect(served.spanContext().traceId).toBe(TRACE_ID);
      expect(served.parentSpanContext?.spanId).toBe(SPAN_ID);
      expect(served.spanContext().traceState?.get('vendor')).toBe('opaque');
    });

    it.each([
      ['garbage', { traceparent: 'not a traceparent' }],
      ['a zero trace id', { traceparent: `00-${'0'.repeat(32)}-${SPAN_ID}-01` }],
      ['a bad version', { traceparent: `ff-${TRACE_ID}-${SPAN_ID}-01` }],
      ['an oversized traceparent', { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01${'-x'.repeat(5_000)}` }],
      [
        'an oversized tracestate beside a garbage traceparent',
        { traceparent: '00-zz', tracestate: `a=${'b'.repeat(60_000)}` },
      ],
    ])(
      'ignores %s: the request is answered and its serving span starts a new trace',
      async (_name, entries) => {
        const on = await requestWith(entries);
        const served = tracing.span(`process ${on}`);
        expect(served.parentSpanContext).toBeUndefined();
        expect(served.spanContext().traceId).not.toBe(TRACE_ID);
        expect(isChildOf(tracing.span('users request GetData'), served)).toBe(true);
      },
    );

    it('reads no header without the option tracing: the module span is a new trace', async () => {
      await requestWith({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` }, false);
      const module = tracing.span('users request GetData');
      expect(module.parentSpanContext).toBeUndefined();
      expect(module.spanContext().traceId).not.toBe(TRACE_ID);
    });
  });

  describe('without tracing, and with broken hooks', () => {
    /** The real connection, recording the arguments of request and publish. */
    function recording(nc: NatsConnection) {
      const calls: unknown[][] = [];
      const wrapped = {
        subscribe: nc.subscribe.bind(nc),
        flush: () => nc.flush(),
        isClosed: () => nc.isClosed(),
        isDraining: () => nc.isDraining(),
        request: (...args: Parameters<NatsConnection['request']>) => {
          calls.push(args);
          return nc.request(...args);
        },
        publish: (...args: Parameters<NatsConnection['publish']>) => {
          calls.push(args);
          nc.publish(...args);
        },
      };
      return { wrapped, calls };
    }

    it('sends only the shared wire-version headers when tracing is not configured', async () => {
      const [client, member] = [await open(), await open()];
      const on = subject();
      const { commanded } = await serveTraced(member, on);
      const { wrapped, calls } = recording(client);
      const users = natsDispatcher<Message, unknown>(wrapped, on);
      await users.request({ type: 'GetData', value: 2 });
      await users.sendCommand({ type: 'Touch' });
      await commanded;
      // No header object per message: the one frozen WIRE_HEADERS every untraced message carries.
      expect(calls.map((args) => args.length)).toEqual([3, 3]);
      expect(calls[0]?.[2]).toEqual({ timeout: 30_000, headers: WIRE_HEADERS });
      expect(calls[1]?.[2]).toMatchObject({ headers: WIRE_HEADERS }); // the client adds `reply` to it
      expect((calls[0]?.[2] as { headers: unknown }).headers).toBe(
        (calls[1]?.[2] as { headers: unknown }).headers,
      );
    });

    it('sends the message untraced when a hook throws', async () => {
      const [client, member] = [await open(), await open()];
      const on = subject();
      const { commanded } = await serveTraced(member, on);
      const throwing: WireTracing = {
        send: () => {
          throw new Error('send hook');
        },
        sent: () => {
          throw new Error('sent hook');
        },
        receive: () => undefined,
        run: (_state, handle) => handle(),
        received: () => undefined,
      };
      const users = natsDispatcher<Message, unknown>(client, on, { tracing: throwing, headers });
      await expect(users.request({ type: 'GetData', value: 3 })).resolves.toEqual({ echo: 3 });
      await users.sendCommand({ type: 'Touch' });
      await commanded;
    });

    it('refuses a tracing without hooks, and tracing without headers on a sending side, naming the option', async () => {
      const nc = await open();
      expect(() => natsDispatcher(nc, 'x', { tracing: {} as WireTracing, headers })).toThrow(/`tracing`/);
      expect(() => natsDispatcher(nc, 'x', { tracing: wire() })).toThrow(/`headers`/);
      expect(() => natsDispatcher(nc, 'x', { headers: 1 as never })).toThrow(/`headers`/);
      expect(() => natsEventBus(nc, { prefix: 'x', tracing: wire() })).toThrow(/`headers`/);
      expect(() =>
        serveModule(
          nc,
          'x',
          { handleRequest: () => 1, handleCommand: () => undefined },
          { tracing: 7 as never },
        ),
      ).toThrow(/`tracing`/);
    });
  });
});
