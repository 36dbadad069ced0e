// Hostile input against a real nats-server. Caller side (issue 11): a reply any responder on the
// subject can send, or a codec's odd output, fails that request only with RECEIVE_FAILED (cause:
// the payload) and nothing escapes. Serving side (issue 12): whatever a handler throws or returns,
// the caller gets an error reply, not a TIMEOUT, and the member keeps serving.
import { connect, type NatsConnection } from '@nats-io/transport-node';

import { isSparkChannelError, type SparkGenericModuleHandler } from '../../lib/index.js';
import {
  jsonCodec,
  type NatsCodec,
  natsDispatcher,
  serveModule,
  type ServeModuleOptions,
} from '../../lib/nats/index.js';
import { recordingLogger } from '../support/helpers.js';
import {
  cyclic,
  errorWithThrowingGetter,
  errorWithThrowingNameAndMessage,
  type Escapes,
  revokedProxy,
  throwingToString,
  trapAllProxy,
  watchEscapes,
} from './hostile-values.js';
import { ensureNatsServer, type RunningNats, startNatsServer } from './nats-server.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const describeNats = ensureNatsServer() ? describe : describe.skip;
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

type Settled = { value: unknown } | { error: unknown } | 'unsettled';
/** Settles `promise` into a record, or 'unsettled' after `ms`: the bugs here left requests hanging. */
function settle(promise: Promise<unknown>, ms = 2_000): Promise<Settled> {
  return Promise.race([
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    sleep(ms).then(() => 'unsettled' as const),
  ]);
}

/** Reads a rejection without formatting it: a hostile reason may throw when printed. */
function rejection(settled: Settled): Error & { code?: unknown; cause?: unknown } {
  if (settled === 'unsettled') throw new Error('the request never settled');
  if ('value' in settled) throw new Error('the request resolved');
  return settled.error as Error;
}

describeNats('spark-channel/nats hostile input (real nats-server)', () => {
  let nats: RunningNats;
  let escapes: Escapes;
  const connections: NatsConnection[] = [];
  const stops: (() => Promise<void>)[] = [];
  let subjectCount = 0;
  const subject = (): string => `spec.hostile.${process.pid}.${++subjectCount}`;

  async function open(): Promise<NatsConnection> {
    const nc = await connect({ servers: nats.url, reconnect: false });
    connections.push(nc);
    return nc;
  }

  /** A raw responder answering every request on a fresh subject with `payload`, byte for byte. */
  async function rawResponder(payload: Uint8Array): Promise<string> {
    const on = subject();
    const nc = await open();
    nc.subscribe(on, { callback: (_error, msg) => void msg.respond(payload) });
    await nc.flush();
    return on;
  }

  async function expectNoEscapes(): Promise<void> {
    await sleep(20); // an unhandled rejection is reported after the microtask queue drains
    expect(escapes.seen.map((e) => e.kind)).toEqual([]);
  }

  beforeAll(async () => {
    nats = await startNatsServer();
  });
  beforeEach(() => {
    escapes = watchEscapes();
  });
  afterEach(async () => {
    escapes.stop();
    await Promise.all(stops.splice(0).map((stop) => stop()));
    await Promise.all(connections.splice(0).map((nc) => nc.close()));
  });
  afterAll(async () => {
    await nats?.stop();
  });

  describe('caller side: a hostile reply fails that request with RECEIVE_FAILED, cause the payload', () => {
    const malformed: [string, string][] = [
      [
        'message an object whose toString is not callable',
        '{"ok":false,"error":{"name":"Error","message":{"toString":1}}}',
      ],
      ['message a number', '{"ok":false,"error":{"name":"Error","message":42}}'],
      ['message missing', '{"ok":false,"error":{"name":"Error"}}'],
      [
        'name an object whose toString is not callable',
        '{"ok":false,"error":{"name":{"toString":1},"message":"m"}}',
      ],
      ['name an array', '{"ok":false,"error":{"name":["TypeError"],"message":"m"}}'],
      [
        'a SparkChannelError with an unknown code',
        '{"ok":false,"error":{"name":"SparkChannelError","message":"m","code":"NOPE"}}',
      ],
      [
        'a SparkChannelError with a non-string code',
        '{"ok":false,"error":{"name":"SparkChannelError","message":"m","code":{"toString":1}}}',
      ],
      ['error a string', '{"ok":false,"error":"plain"}'],
      ['error null', '{"ok":false,"error":null}'],
      ['error an array', '{"ok":false,"error":["Error","m"]}'],
      ['error missing', '{"ok":false}'],
      ['ok missing', '{"value":1}'],
      ['ok a string', '{"ok":"true","value":1}'],
      ['ok a number', '{"ok":1,"value":1}'],
      ['not an object (a number)', '42'],
      ['not an object (null)', 'null'],
      ['an array', '[true,1]'],
      ['an own "__proto__" holding a forged envelope', '{"__proto__":{"ok":true,"value":"forged"}}'],
    ];
    it.each(malformed)('%s', async (_name, json) => {
      const client = natsDispatcher<unknown, unknown>(await open(), await rawResponder(bytes(json)));
      const error = rejection(await settle(client.request('x')));
      expect(isSparkChannelError(error, 'RECEIVE_FAILED')).toBe(true);
      expect(error.cause).toEqual(JSON.parse(json));
      await expectNoEscapes();
    });

    it('an empty reply (no envelope at all): cause is its decoded value, undefined', async () => {
      const client = natsDispatcher<unknown, unknown>(await open(), await rawResponder(new Uint8Array()));
      const error = rejection(await settle(client.request('x')));
      expect(isSparkChannelError(error, 'RECEIVE_FAILED')).toBe(true);
      expect('cause' in error && error.cause === undefined).toBe(true);
      await expectNoEscapes();
    });

    it.each([
      ['invalid UTF-8', new Uint8Array([0xff, 0xfe, 0x00])],
      ['not JSON', bytes('{"ok":false,')],
    ])('undecodable bytes (%s): cause is the bytes', async (_name, payload) => {
      const client = natsDispatcher<unknown, unknown>(await open(), await rawResponder(payload));
      const error = rejection(await settle(client.request('x')));
      expect(isSparkChannelError(error, 'RECEIVE_FAILED')).toBe(true);
      expect(error.cause).toEqual(payload);
      await expectNoEscapes();
    });

    it('props that are arrays, null or nested objects travel as plain data', async () => {
      const json =
        '{"ok":false,"error":{"name":"E","message":"m","code":{"toString":1},"list":[1,{"toString":1}],"none":null,"deep":{"a":{"b":[]}}}}';
      const client = natsDispatcher<unknown, unknown>(await open(), await rawResponder(bytes(json)));
      const error = rejection(await settle(client.request('x')));
      expect(error).toBeInstanceOf(Error);
      expect([error.name, error.message]).toEqual(['E', 'm']);
      expect({ ...error }).toEqual({
        name: 'E',
        code: { toString: 1 },
        list: [1, { toString: 1 }],
        none: null,
        deep: { a: { b: [] } },
      });
      expect(String(error)).toBe('E: m'); // nothing remote was called or installed as a method
      await expectNoEscapes();
    });

    it('extra fields are ignored: a remote stack or cause does not replace the local ones', async () => {
      const success = await rawResponder(bytes('{"ok":true,"value":1,"error":{"name":1},"extra":2}'));
      await expect(natsDispatcher(await open(), success).request('x')).resolves.toBe(1);
      const failing = await rawResponder(
        bytes(
          '{"ok":false,"error":{"name":"E","message":"m","stack":"forged","cause":"forged","x":1},"y":2}',
        ),
      );
      const error = rejection(await settle(natsDispatcher(await open(), failing).request('x')));
      expect([error.name, error.message, (error as unknown as { x: unknown }).x]).toEqual(['E', 'm', 1]);
      expect(error.stack).not.toBe('forged');
      expect('cause' in error).toBe(false);
      await expectNoEscapes();
    });

    it('"__proto__", "constructor" and method-named keys never pollute a prototype nor replace a method', async () => {
      const json =
        '{"ok":false,"error":{"name":"E","message":"m","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"toString":1,"hasOwnProperty":1}}';
      const client = natsDispatcher<unknown, unknown>(await open(), await rawResponder(bytes(json)));
      const error = rejection(await settle(client.request('x')));
      expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
      expect(Object.keys(error).sort()).toEqual(['name']);
      expect(String(error)).toBe('E: m');
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
      expect((error as { polluted?: unknown }).polluted).toBeUndefined();
      // a value keeps its own "__proto__" as data, with the ordinary prototype
      const value = await natsDispatcher(
        await open(),
        await rawResponder(bytes('{"ok":true,"value":{"__proto__":{"polluted":1}}}')),
      ).request('x');
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
      await expectNoEscapes();
    });

    const oddDecodes: [string, () => unknown][] = [
      ['a Proxy that throws on every trap', trapAllProxy],
      ['a revoked Proxy', revokedProxy],
      [
        'an envelope whose ok getter throws',
        () => ({
          get ok(): never {
            throw new Error('ok getter');
          },
        }),
      ],
      [
        'an error envelope with a throwing enumerable getter',
        () => ({
          ok: false,
          error: {
            name: 'E',
            message: 'm',
            get detail(): never {
              throw Object.create(null);
            },
          },
        }),
      ],
    ];
    it.each(oddDecodes)('codec.decode returns %s: cause is that value', async (_name, make) => {
      const decoded = make();
      const codec: NatsCodec = { encode: jsonCodec.encode, decode: () => decoded };
      const client = natsDispatcher<unknown, unknown>(await open(), await rawResponder(bytes('{}')), {
        codec,
      });
      const error = rejection(await settle(client.request('x')));
      expect(isSparkChannelError(error, 'RECEIVE_FAILED')).toBe(true);
      expect(error.cause).toBe(decoded);
      await expectNoEscapes();
    });

    it('codec.decode throws a value that cannot be described (Object.create(null)): cause is the bytes', async () => {
      const codec: NatsCodec = {
        encode: jsonCodec.encode,
        decode: () => {
          throw Object.create(null);
        },
      };
      const payload = bytes('{"ok":true,"value":1}');
      const client = natsDispatcher<unknown, unknown>(await open(), await rawResponder(payload), { codec });
      const error = rejection(await settle(client.request('x')));
      expect(isSparkChannelError(error, 'RECEIVE_FAILED')).toBe(true);
      expect(error.cause).toEqual(payload);
      await expectNoEscapes();
    });

    it.each([
      ['a string', () => 'not bytes'],
      ['a number', () => 42],
      ['a Proxy that throws on every trap', trapAllProxy],
    ])(
      'codec.encode returns %s: the request and the command are refused with a TypeError',
      async (_n, make) => {
        const on = await rawResponder(bytes('{"ok":true,"value":1}'));
        const codec = { encode: make, decode: jsonCodec.decode } as unknown as NatsCodec;
        const client = natsDispatcher<unknown, unknown>(await open(), on, { codec });
        const error = rejection(await settle(client.request('x')));
        expect(error).toBeInstanceOf(TypeError);
        expect(error.message).toMatch(/codec\.encode/);
        expect(rejection(await settle(client.sendCommand('x')))).toBeInstanceOf(TypeError);
        await expect(natsDispatcher(connections[0]!, on).request('x')).resolves.toBe(1);
        await expectNoEscapes();
      },
    );

    it('codec.encode throws a non-Error: the request rejects with it unchanged', async () => {
      const thrown = Object.create(null) as object;
      const codec: NatsCodec = {
        encode: () => {
          throw thrown;
        },
        decode: jsonCodec.decode,
      };
      const client = natsDispatcher<unknown, unknown>(await open(), 'anything', { codec });
      expect(await settle(client.request('x'))).toEqual({ error: thrown });
      expect(await settle(client.sendCommand('x'))).toEqual({ error: thrown });
      await expectNoEscapes();
    });
  });

  describe('serving side: whatever a handler throws or returns, the caller gets an error reply', () => {
    type Message = { type: string };
    async function member(produce: () => unknown, options?: ServeModuleOptions) {
      const on = subject();
      const nc = await open();
      const handler: SparkGenericModuleHandler<Message, unknown> = {
        handleRequest: (message) => (message.type === 'ping' ? 'pong' : produce()),
        handleCommand: () => undefined,
      };
      const logger = recordingLogger();
      const served = serveModule(nc, on, handler, { logger, ...options });
      stops.push(served.stop);
      served.server.errors$.subscribe(() => undefined);
      await nc.flush();
      const client = natsDispatcher<Message, unknown>(await open(), on, { timeoutMs: 1_000 });
      return { client, logger };
    }

    /** The caller got a well-formed error reply (not TIMEOUT) and the member still answers. */
    async function expectErrorReply(produce: () => unknown, options?: ServeModuleOptions): Promise<Error> {
      const { client } = await member(produce, options);
      const error = rejection(await settle(client.request({ type: 'bad' })));
      expect(isSparkChannelError(error, 'TIMEOUT')).toBe(false);
      expect(error).toBeInstanceOf(Error);
      expect([typeof error.name, typeof error.message]).toEqual(['string', 'string']);
      await expect(client.request({ type: 'ping' })).resolves.toBe('pong');
      await expectNoEscapes();
      return error;
    }

    const thrown = (value: () => unknown) => () => {
      throw value();
    };

    it('throws Object.create(null)', async () => {
      const error = await expectErrorReply(thrown(() => Object.create(null)));
      expect(error.message).toMatch(/object/);
    });

    it('throws an object whose toString throws', async () => {
      await expectErrorReply(thrown(throwingToString));
    });

    it('throws a revoked Proxy', async () => {
      await expectErrorReply(thrown(revokedProxy));
    });

    it('throws a Proxy that throws on every trap', async () => {
      await expectErrorReply(thrown(trapAllProxy));
    });

    it('throws an Error whose name and message getters throw', async () => {
      await expectErrorReply(thrown(errorWithThrowingNameAndMessage));
    });

    it('throws an Error with a throwing own enumerable getter: name and message still travel', async () => {
      const error = await expectErrorReply(thrown(errorWithThrowingGetter));
      expect(error.message).toBe('has a getter');
    });

    it('throws an Error with a BigInt property: name and message still travel', async () => {
      const error = await expectErrorReply(
        thrown(() => Object.assign(new RangeError('too big'), { code: 'E_BIG', amount: 10n })),
      );
      expect([error.name, error.message, (error as { code?: unknown }).code]).toEqual([
        'RangeError',
        'too big',
        'E_BIG',
      ]);
    });

    it('throws an Error with a cyclic property: name and message still travel', async () => {
      const error = await expectErrorReply(
        thrown(() => Object.assign(new Error('loops'), { data: cyclic() })),
      );
      expect(error.message).toBe('loops');
    });

    it('throws a Symbol or a BigInt', async () => {
      expect((await expectErrorReply(thrown(() => Symbol('odd')))).message).toBe('Symbol(odd)');
      expect((await expectErrorReply(thrown(() => 12n))).message).toBe('12');
    });

    it('returns a BigInt: the caller gets the encoder error', async () => {
      const error = await expectErrorReply(() => 1n);
      expect(error.name).toBe('TypeError');
    });

    it('returns a cyclic object', async () => {
      await expectErrorReply(cyclic);
    });

    it('returns an object whose toJSON throws Object.create(null)', async () => {
      await expectErrorReply(() => ({
        toJSON() {
          throw Object.create(null);
        },
      }));
    });

    it('returns an object whose toJSON throws a revoked Proxy', async () => {
      await expectErrorReply(() => ({
        toJSON() {
          throw revokedProxy();
        },
      }));
    });

    it('returns an object with a throwing enumerable getter', async () => {
      await expectErrorReply(() => errorWithThrowingGetter());
    });

    it('a codec whose decode throws Object.create(null): the request is answered with NatsPayloadError', async () => {
      const codec: NatsCodec = {
        encode: jsonCodec.encode,
        decode: (data) => {
          if (new TextDecoder().decode(data).includes('bad')) throw Object.create(null);
          return jsonCodec.decode(data);
        },
      };
      const error = await expectErrorReply(() => 'unused', { codec });
      expect(error.name).toBe('NatsPayloadError');
    });

    it('a codec whose encode returns odd values for a response: an error reply in its place', async () => {
      const codec: NatsCodec = {
        encode: (value) =>
          (value as { value?: unknown }).value === 'odd'
            ? (42 as unknown as Uint8Array)
            : jsonCodec.encode(value),
        decode: jsonCodec.decode,
      };
      const error = await expectErrorReply(() => 'odd', { codec });
      expect(error.message).toMatch(/codec\.encode/);
    });

    it('a codec whose encode throws hostile values for every envelope: the answer is lost with a log line, the member keeps serving', async () => {
      const codec: NatsCodec = {
        encode: (value) => {
          if ((value as { value?: unknown }).value !== 'pong') throw revokedProxy();
          return jsonCodec.encode(value);
        },
        decode: jsonCodec.decode,
      };
      const { client, logger } = await member(() => 'lost', { codec });
      const settled = await settle(client.request({ type: 'bad' }, { timeoutMs: 300 }));
      expect(isSparkChannelError(rejection(settled), 'TIMEOUT')).toBe(true);
      await expect(client.request({ type: 'ping' })).resolves.toBe('pong');
      expect(logger.errors).toHaveLength(1);
      await expectNoEscapes();
    });
  });
});
