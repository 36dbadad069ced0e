// natsEventBus over a connection-like that misbehaves (no server needed): a publish that throws,
// a subscription the server reports failed, a message whose getters throw, a drain or flush that
// rejects. None of it escapes the subscription callback (where the real client would close its
// reader) or leaves close() hanging.
import { SparkChannelError } from '../../lib/index.js';
import {
  natsEventBus,
  type NatsEventConnection,
  type NatsEventMsg,
  NatsPayloadError,
} from '../../lib/nats/index.js';

type Events = { Tick: { n: number } };
type Callback = (error: Error | null, msg: NatsEventMsg) => void;

function connection(overrides: Partial<NatsEventConnection> = {}): NatsEventConnection & {
  deliver(error: Error | null, msg: NatsEventMsg): void;
  readonly threw: unknown[];
  readonly subscribed: { subject: string; queue?: string }[];
} {
  let callback: Callback | undefined;
  const threw: unknown[] = [];
  const subscribed: { subject: string; queue?: string }[] = [];
  return {
    threw,
    subscribed,
    subscribe: (subject, options) => {
      callback = options.callback;
      subscribed.push(options.queue === undefined ? { subject } : { subject, queue: options.queue });
      return { drain: () => Promise.resolve(), isClosed: () => false };
    },
    publish: () => undefined,
    flush: () => Promise.resolve(),
    isClosed: () => false,
    isDraining: () => false,
    ...overrides,
    deliver: (error, msg) => {
      try {
        callback?.(error, msg);
      } catch (thrown: unknown) {
        threw.push(thrown);
      }
    },
  };
}

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

describe('natsEventBus over a misbehaving connection', () => {
  it('subscribes once, to <prefix>.>, in its queue group, at its first local subscriber', () => {
    const nc = connection();
    const bus = natsEventBus<Events>(nc, { prefix: 'app.events', queue: 'workers' });
    expect(nc.subscribed).toEqual([]);
    bus.on('Tick').subscribe();
    bus.events$.subscribe();
    bus.subscribe('Tick', { sendCommand: () => Promise.resolve() });
    expect(nc.subscribed).toEqual([{ subject: 'app.events.>', queue: 'workers' }]);
  });

  it('rejects with SEND_FAILED when the connection throws on publish, and when it is draining', async () => {
    const cause = new Error('socket gone');
    const throwing = natsEventBus<Events>(
      connection({
        publish: () => {
          throw cause;
        },
      }),
      { prefix: 'p' },
    );
    await expect(throwing.publish({ type: 'Tick', n: 1 })).rejects.toMatchObject({
      code: 'SEND_FAILED',
      message: 'Could not publish on "p.Tick"',
      cause,
    });
    const draining = natsEventBus<Events>(connection({ isDraining: () => true }), { prefix: 'p' });
    expect(() => draining.tryPublish({ type: 'Tick', n: 1 })).toThrow(/draining/);
  });

  it('reports a subscription the server says failed as RECEIVE_FAILED on errors$', () => {
    const nc = connection();
    const bus = natsEventBus<Events>(nc, { prefix: 'p' });
    const errors: unknown[] = [];
    bus.errors$.subscribe((error) => errors.push(error));
    bus.on('Tick').subscribe();
    nc.deliver(new Error('Permissions Violation for Subscription to "p.>"'), {
      subject: 'p.Tick',
      data: new Uint8Array(),
    });
    expect(errors).toEqual([expect.any(SparkChannelError)]);
    expect(errors[0]).toMatchObject({ code: 'RECEIVE_FAILED' });
    expect(nc.threw).toEqual([]);
  });

  it('refuses a message whose data getter throws, or that is on no subject of the bus, without throwing', () => {
    const nc = connection();
    const bus = natsEventBus<Events>(nc, { prefix: 'p' });
    const errors: NatsPayloadError[] = [];
    const seen: unknown[] = [];
    bus.errors$.subscribe((error) => errors.push(error as NatsPayloadError));
    bus.events$.subscribe((event) => seen.push(event));
    const hostile = {
      subject: 'p.Tick',
      get data(): Uint8Array {
        throw new Error('data getter');
      },
    };
    nc.deliver(null, hostile);
    nc.deliver(null, { subject: 'p', data: bytes({ type: 'Tick', n: 1 }) });
    nc.deliver(null, { subject: 42 as never, data: bytes({ type: 'Tick', n: 1 }) });
    nc.deliver(null, { subject: 'q.Tick', data: bytes({ type: 'Tick', n: 1 }) });
    nc.deliver(null, { subject: 'p.Tick', data: bytes({ type: 'Tick', n: 2 }) });
    expect(errors.map((e) => e.message)).toEqual([
      'Event refused: Error: data getter',
      'Event refused on "p": not a subject of the bus',
      'Event refused on "42": not a subject of the bus',
      'Event refused on "q.Tick": not a subject of the bus',
    ]);
    expect(errors.every((e) => e instanceof NatsPayloadError)).toBe(true);
    expect(seen).toEqual([{ type: 'Tick', n: 2 }]);
    expect(nc.threw).toEqual([]);
  });

  it('ignores what arrives after close(), and closes even when drain and flush reject', async () => {
    const nc = connection({
      subscribe: (_subject, options) => {
        callback = options.callback;
        return { drain: () => Promise.reject(new Error('drain')), isClosed: () => false };
      },
      flush: () => Promise.reject(new Error('flush')),
    });
    let callback: Callback | undefined;
    const bus = natsEventBus<Events>(nc, { prefix: 'p' });
    const seen: unknown[] = [];
    bus.events$.subscribe((event) => seen.push(event));
    await expect(bus.close()).resolves.toBeUndefined();
    callback?.(null, { subject: 'p.Tick', data: bytes({ type: 'Tick', n: 1 }) });
    expect(seen).toEqual([]);
  });

  it('reports a logger that throws nowhere, and never throws into the client', () => {
    const nc = connection();
    const bus = natsEventBus<Events>(nc, {
      prefix: 'p',
      logger: {
        error: () => {
          throw new Error('logger broke');
        },
      },
    });
    bus.on('Tick').subscribe();
    nc.deliver(null, { subject: 'p.Tick', data: new TextEncoder().encode('{') });
    expect(nc.threw).toEqual([]);
  });
});
