// The wire helpers of spark-channel/nats one case at a time (fuzz.spec.ts throws everything at
// them): byte checks, safe descriptions, packError, encodeAnswer's fallbacks, readReply's reasons.
import { isSparkChannelError, SparkChannelError } from '../../lib/index.js';
import { jsonCodec, type NatsCodec } from '../../lib/nats/index.js';
import {
  describeSafely,
  describeThrown,
  encodeAnswer,
  encodeBytes,
  isBytes,
  packError,
  readReply,
  WIRE_HEADER,
  WIRE_HEADERS,
  WIRE_VERSION,
  wireMismatch,
} from '../../lib/nats/wire.js';
import { revokedProxy, throwingToString, trapAllProxy } from './hostile-values.js';

const decodeJson = (bytes: Uint8Array): unknown => jsonCodec.decode(bytes);

describe('isBytes', () => {
  it('accepts a Uint8Array or a Buffer, refuses other views, look-alikes and Proxies without running them', () => {
    expect([isBytes(new Uint8Array(2)), isBytes(Buffer.from('x'))]).toEqual([true, true]);
    const lookAlike = { [Symbol.toStringTag]: 'Uint8Array', length: 0 };
    for (const value of [new Float64Array(1), new DataView(new ArrayBuffer(1)), [1], lookAlike, 'x', null]) {
      expect(isBytes(value)).toBe(false);
    }
    expect([isBytes(trapAllProxy()), isBytes(revokedProxy())]).toEqual([false, false]);
  });

  it('encodeBytes names codec.encode when it returns something else', () => {
    const codec = { encode: () => 'text', decode: decodeJson } as unknown as NatsCodec;
    expect(() => encodeBytes(codec, 1)).toThrow(/`codec\.encode` to return a Uint8Array, got "text"/);
  });
});

describe('describeSafely and describeThrown', () => {
  it('describe without running the value', () => {
    expect(describeSafely(null)).toBe('null');
    expect(describeSafely(() => 1)).toBe('a function');
    expect(describeSafely('a "b"')).toBe('"a \\"b\\""');
    expect([describeSafely(1), describeSafely(2n), describeSafely(Symbol('s'))]).toEqual([
      '1',
      '2',
      'Symbol(s)',
    ]);
    expect(describeSafely(Object.create(null))).toBe('an object ([object Object])');
    expect(describeSafely(trapAllProxy())).toBe('an object that cannot be inspected (a Proxy?)');
    expect(describeSafely(revokedProxy())).toBe('an object that cannot be inspected (a Proxy?)');
  });

  it('describeThrown: strings as they are, then String(), then from outside', () => {
    expect(describeThrown('plain')).toBe('plain');
    expect([describeThrown(12n), describeThrown(Symbol('odd')), describeThrown(undefined)]).toEqual([
      '12',
      'Symbol(odd)',
      'undefined',
    ]);
    expect(describeThrown({ toString: () => 'custom' })).toBe('custom');
    expect(describeThrown(new TypeError('t'))).toBe('TypeError: t');
    expect(describeThrown(Object.create(null))).toBe('an object ([object Object])');
    expect(describeThrown(throwingToString())).toBe('an object ([object Object])');
    expect(describeThrown(revokedProxy())).toBe('an object that cannot be inspected (a Proxy?)');
  });
});

describe('packError', () => {
  it("an Error's name, message and own data; not cause, payload nor functions", () => {
    const error = Object.assign(new RangeError('r', { cause: 'c' }), {
      code: 'E_R',
      payload: new Uint8Array(1),
      fn: () => 1,
      list: [1],
    });
    expect(packError(error)).toEqual({ name: 'RangeError', message: 'r', code: 'E_R', list: [1] });
  });

  it('a name that is not a string becomes "Error"; a message that is not one is described', () => {
    const error = Object.assign(new Error('x'), { name: 42, message: { toString: () => 'described' } });
    expect(packError(error)).toEqual({ name: 'Error', message: 'described' });
  });

  it('getters that throw: the generic name, a message that says so, the property left out', () => {
    const error = new Error('hidden');
    const boom = (): never => {
      throw new Error('getter');
    };
    Object.defineProperty(error, 'name', { get: boom });
    Object.defineProperty(error, 'message', { get: boom });
    Object.defineProperty(error, 'detail', { get: boom, enumerable: true });
    expect(packError(error)).toEqual({ name: 'Error', message: 'An Error whose message could not be read' });
  });

  it('an Error behind a Proxy whose ownKeys trap throws: name and message only', () => {
    const proxy = new Proxy(Object.assign(new Error('p'), { x: 1 }), {
      ownKeys: () => {
        throw new Error('ownKeys');
      },
    });
    expect(packError(proxy)).toEqual({ name: 'Error', message: 'p' });
  });

  it('an own "__proto__" stays data on the wire error; its prototype is untouched', () => {
    const error = Object.defineProperty(new Error('m'), '__proto__', {
      value: { polluted: 1 },
      enumerable: true,
    });
    const wire = packError(error);
    expect(Object.getPrototypeOf(wire)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(wire, '__proto__')?.value).toEqual({ polluted: 1 });
  });

  it('a SparkChannelError keeps its name and code; an impostor without a known code travels as Error', () => {
    expect(packError(new SparkChannelError('TIMEOUT', 't'))).toEqual({
      name: 'SparkChannelError',
      message: 't',
      code: 'TIMEOUT',
    });
    const impostor = Object.assign(new Error('i'), { name: 'SparkChannelError', code: 'NOPE' });
    expect(packError(impostor)).toEqual({ name: 'Error', message: 'i', code: 'NOPE' });
  });

  it('non-Errors are described: Proxies, Object.create(null), Symbols', () => {
    expect(packError(trapAllProxy())).toEqual({
      name: 'Error',
      message: 'an object that cannot be inspected (a Proxy?)',
    });
    expect(packError(Object.create(null))).toEqual({ name: 'Error', message: 'an object ([object Object])' });
    expect(packError(Symbol('s'))).toEqual({ name: 'Error', message: 'Symbol(s)' });
  });
});

describe('encodeAnswer', () => {
  /** A JSON codec that refuses the first `refusals` envelopes with `thrown`. */
  function refusing(refusals: number, thrown: unknown = new TypeError('refused')) {
    const seen: unknown[] = [];
    const codec: NatsCodec = {
      decode: decodeJson,
      encode: (value) => {
        seen.push(value);
        if (seen.length <= refusals) throw thrown;
        return jsonCodec.encode(value);
      },
    };
    return { codec, seen };
  }

  it('a response the codec refuses: the encoder error in its place', () => {
    const { codec } = refusing(1);
    expect(decodeJson(encodeAnswer(codec, { ok: true, value: 1 }))).toEqual({
      ok: false,
      error: { name: 'TypeError', message: 'refused' },
    });
  });

  it('an encoder that throws a non-Error: the answer says the response could not be encoded', () => {
    const { codec } = refusing(1, Object.create(null));
    expect(decodeJson(encodeAnswer(codec, { ok: true, value: 1 }))).toEqual({
      ok: false,
      error: { name: 'Error', message: 'The response could not be encoded: an object ([object Object])' },
    });
  });

  it('an encoder error with properties the codec refuses too: its name, message and code only', () => {
    const { codec } = refusing(2, Object.assign(new RangeError('r'), { code: 'E_R', extra: 1 }));
    expect(decodeJson(encodeAnswer(codec, { ok: true, value: 1 }))).toEqual({
      ok: false,
      error: { name: 'RangeError', message: 'r', code: 'E_R' },
    });
  });

  it('an error envelope with a property the codec cannot hold: name, message and a string code', () => {
    const packed = packError(Object.assign(new Error('m'), { code: 'E', amount: 1n }));
    expect(decodeJson(encodeAnswer(jsonCodec, { ok: false, error: packed }))).toEqual({
      ok: false,
      error: { name: 'Error', message: 'm', code: 'E' },
    });
    const numeric = packError(Object.assign(new Error('n'), { code: 7, amount: 1n }));
    expect(decodeJson(encodeAnswer(jsonCodec, { ok: false, error: numeric }))).toEqual({
      ok: false,
      error: { name: 'Error', message: 'n' },
    });
  });

  it('then a fixed error of strings; a codec that refuses everything: what it threw last', () => {
    const { codec, seen } = refusing(3);
    expect(decodeJson(encodeAnswer(codec, { ok: true, value: 1 }))).toEqual({
      ok: false,
      error: { name: 'Error', message: 'The answer could not be encoded' },
    });
    expect(seen).toHaveLength(4);
    const last = new Error('last');
    let calls = 0;
    const never: NatsCodec = {
      decode: decodeJson,
      encode: () => {
        throw ++calls === 3 ? last : new Error('earlier');
      },
    };
    expect(() => encodeAnswer(never, { ok: false, error: { name: 'E', message: 'm' } })).toThrow(last);
  });
});

describe('readReply', () => {
  const read = (json: string) => readReply(new TextEncoder().encode(json), jsonCodec, 's');
  const reason = (json: string): string => {
    const result = read(json);
    if (result.ok || !isSparkChannelError(result.error, 'RECEIVE_FAILED'))
      throw new Error('not RECEIVE_FAILED');
    return result.error.message;
  };

  it('says why a reply is not an envelope', () => {
    expect(reason('1')).toBe('The reply on "s" is not a spark-channel envelope (it is not an object)');
    expect(reason('{}')).toMatch(/has no boolean "ok"/);
    expect(reason('{"ok":false,"error":[]}')).toMatch(/has an error that is not an object/);
    expect(reason('{"ok":false,"error":{"message":"m"}}')).toMatch(/without a string "name"/);
    expect(reason('{"ok":false,"error":{"name":"E"}}')).toMatch(/without a string "message"/);
    expect(reason('{"ok":false,"error":{"name":"SparkChannelError","message":"m"}}')).toMatch(
      /SparkChannelError without a known "code"/,
    );
    expect(reason('{"ok":')).toMatch(/^The reply on "s" could not be decoded: SyntaxError/);
  });

  it('a reply whose getters or traps throw: "could not be read", cause the decoded value', () => {
    const decoded = trapAllProxy();
    const result = readReply(new Uint8Array(), { encode: jsonCodec.encode, decode: () => decoded }, 's');
    expect(result.ok).toBe(false);
    const error = (result as unknown as { error: SparkChannelError }).error;
    expect(error.message).toBe(
      'The reply on "s" is not a spark-channel envelope (it could not be read: Error: trap)',
    );
    expect(error.cause).toBe(decoded);
  });

  it('revives a SparkChannelError as one, and a plain error with its code and data', () => {
    const spark = read('{"ok":false,"error":{"name":"SparkChannelError","message":"m","code":"TIMEOUT"}}');
    expect(spark.ok === false && isSparkChannelError(spark.error, 'TIMEOUT')).toBe(true);
    const plain = read('{"ok":false,"error":{"name":"E","message":"m","code":0,"d":[1]}}');
    expect(plain.ok === false && { ...plain.error }).toEqual({ name: 'E', code: 0, d: [1] });
    expect(read('{"ok":true}')).toEqual({ ok: true, value: undefined });
  });
});

describe('the wire version marker', () => {
  const marked = (value: string) => ({
    headers: { get: (key: string) => (key === WIRE_HEADER ? value : ''), set: () => undefined },
  });

  it('is written as the NATS/1.0 header block the client sends (one shared object that cannot change)', () => {
    expect([WIRE_HEADER, WIRE_VERSION]).toEqual(['Spark-Channel-Wire', '1']);
    expect(new TextDecoder().decode(WIRE_HEADERS.encode())).toBe('NATS/1.0\r\nSpark-Channel-Wire: 1\r\n\r\n');
    expect([WIRE_HEADERS.get(WIRE_HEADER), WIRE_HEADERS.get('Other')]).toEqual(['1', '']);
    expect(Object.isFrozen(WIRE_HEADERS)).toBe(true);
    // Shared by every message: a client that would add its own (JetStream's Nats-Msg-Id) is told.
    expect(() => WIRE_HEADERS.set('Nats-Msg-Id', 'm-1')).toThrow(
      new TypeError(
        "The shared wire headers cannot be changed (setting `Nats-Msg-Id`): use the client's headers()",
      ),
    );
  });

  it('reads a message without headers, without the header, or marked 1 as version 1', () => {
    expect(wireMismatch({})).toBeUndefined();
    expect(wireMismatch({ headers: undefined })).toBeUndefined();
    expect(wireMismatch({ headers: null as never })).toBeUndefined();
    expect(
      wireMismatch({ headers: { get: () => undefined as never, set: () => undefined } }),
    ).toBeUndefined();
    expect(wireMismatch(marked(''))).toBeUndefined();
    expect(wireMismatch(marked('1'))).toBeUndefined();
    expect(wireMismatch({ headers: WIRE_HEADERS })).toBeUndefined();
  });

  it('refuses another version, and headers that cannot be read, saying which', () => {
    expect(wireMismatch(marked('2'))).toBe(
      'it is of wire version "2" (Spark-Channel-Wire); this side reads version 1',
    );
    expect(wireMismatch({ headers: trapAllProxy() as never })).toMatch(/^its headers could not be read: /);
    const throwing = Object.defineProperty({}, 'headers', {
      get: () => {
        throw new Error('no headers here');
      },
    }) as { headers?: never };
    expect(wireMismatch(throwing)).toBe('its headers could not be read: Error: no headers here');
  });

  it('readReply fails a reply of another version with RECEIVE_FAILED, its cause the bytes', () => {
    const bytes = new TextEncoder().encode('{"ok":true,"value":1}');
    expect(readReply(bytes, jsonCodec, 's', marked('1'))).toEqual({ ok: true, value: 1 });
    const result = readReply(bytes, jsonCodec, 's', marked('3'));
    const error = result.ok ? undefined : result.error;
    expect(isSparkChannelError(error, 'RECEIVE_FAILED')).toBe(true);
    expect(error?.message).toBe(
      'The reply on "s" cannot be read (it is of wire version "3" (Spark-Channel-Wire); this side reads version 1)',
    );
    expect(error?.cause).toBe(bytes);
  });
});
