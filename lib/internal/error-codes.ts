import type { SparkChannelErrorCode } from '../spark-channel-error.js';

// Every code, for reviving a SparkChannelError that crossed a thread or the wire as plain data.
const CODES: ReadonlySet<string> = new Set<SparkChannelErrorCode>([
  'SEND_FAILED',
  'RECEIVE_FAILED',
  'INVALID_RESPONSE_TYPE',
  'TIMEOUT',
  'CANCELLED',
  'CHANNEL_FULL',
  'RATE_LIMITED',
]);

export function isSparkChannelErrorCode(code: unknown): code is SparkChannelErrorCode {
  return typeof code === 'string' && CODES.has(code);
}
