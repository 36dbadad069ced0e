import { isSparkChannelErrorCode } from '../../lib/internal/error-codes.js';

describe('isSparkChannelErrorCode', () => {
  it('accepts exactly the seven codes', () => {
    for (const code of [
      'SEND_FAILED',
      'RECEIVE_FAILED',
      'INVALID_RESPONSE_TYPE',
      'TIMEOUT',
      'CANCELLED',
      'CHANNEL_FULL',
      'RATE_LIMITED',
    ]) {
      expect(isSparkChannelErrorCode(code)).toBe(true);
    }
    for (const other of ['ENOENT', 'timeout', '', 42, undefined, null, {}]) {
      expect(isSparkChannelErrorCode(other)).toBe(false);
    }
  });
});
