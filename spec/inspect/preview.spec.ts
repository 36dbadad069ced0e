import { codeOf, errorPreviewOf, PREVIEW_LENGTH, previewOf } from '../../lib/inspect/preview.js';
import { SparkChannelError } from '../../lib/index.js';

describe('previewOf', () => {
  it('renders values as JSON where it can', () => {
    expect(previewOf({ type: 'GetUser', id: 7 })).toBe('{"type":"GetUser","id":7}');
    expect(previewOf('text')).toBe('"text"');
    expect(previewOf(42)).toBe('42');
    expect(previewOf(null)).toBe('null');
    expect(previewOf(undefined)).toBe('undefined');
    expect(previewOf(Symbol('s'))).toBe('Symbol(s)');
    expect(previewOf(() => 1)).toMatch(/=>/);
  });

  it('survives cycles, bigints, nested errors and a toJSON that returns nothing', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(previewOf(cyclic)).toBe('{"a":1,"self":"[Circular]"}');
    expect(previewOf({ n: 10n })).toBe('{"n":"10n"}');
    expect(previewOf({ cause: new RangeError('bad') })).toBe('{"cause":"RangeError: bad"}');
    expect(previewOf({ toJSON: () => undefined })).toBe('undefined');
  });

  it('never throws: a revoked Proxy, a throwing getter', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(previewOf(proxy)).toBe('[unreadable object]');
    const hostile = {
      get boom(): never {
        throw new Error('no');
      },
    };
    expect(previewOf(hostile)).toBe('[unreadable object]');
    expect(errorPreviewOf(proxy)).toBe('[unreadable object]');
    expect(codeOf(proxy)).toBeUndefined();
  });

  it(`cuts long text at ${PREVIEW_LENGTH} characters`, () => {
    const text = previewOf({ long: 'x'.repeat(1_000) });
    expect(text).toHaveLength(PREVIEW_LENGTH);
    expect(text.endsWith('…')).toBe(true);
    expect(errorPreviewOf(new Error('y'.repeat(1_000)))).toHaveLength(PREVIEW_LENGTH);
  });
});

describe('errorPreviewOf and codeOf', () => {
  it('names a SparkChannelError by its code', () => {
    const error = new SparkChannelError('TIMEOUT', 'Request timed out after 5 ms');
    expect(errorPreviewOf(error)).toBe('SparkChannelError [TIMEOUT]: Request timed out after 5 ms');
    expect(previewOf(error)).toBe('SparkChannelError [TIMEOUT]: Request timed out after 5 ms');
    expect(codeOf(error)).toBe('TIMEOUT');
  });

  it('uses the name of other errors, and previews thrown non-errors', () => {
    expect(codeOf(new TypeError('x'))).toBe('TypeError');
    expect(codeOf('a string')).toBeUndefined();
    expect(codeOf({ code: 42 })).toBeUndefined();
    expect(errorPreviewOf('fault 7')).toBe('"fault 7"');
    expect(errorPreviewOf(new TypeError('x'))).toBe('TypeError: x');
  });
});
