/**
 * The closed set of failure codes of spark-channel.
 *
 * - `SEND_FAILED`: the channel refused the message (closed by a Shutdown, or its server stopped).
 * - `RECEIVE_FAILED`: the message was accepted but the server stopped before it answered.
 * - `INVALID_RESPONSE_TYPE`: the response did not pass the request's `guard` (the "downcast").
 * - `TIMEOUT`: the request's `timeoutMs` elapsed first.
 * - `CANCELLED`: the request's `signal` aborted, or its subscriber unsubscribed.
 * - `CHANNEL_FULL`: a `try*` send found no room in a bounded channel.
 * - `RATE_LIMITED`: a `try*` send was over the dispatcher's rate limit.
 *
 * @example
 * const retryable: readonly SparkChannelErrorCode[] = ['TIMEOUT', 'CHANNEL_FULL', 'RATE_LIMITED'];
 * if (error instanceof SparkChannelError && retryable.includes(error.code)) retryLater();
 */
export type SparkChannelErrorCode =
  | 'SEND_FAILED'
  | 'RECEIVE_FAILED'
  | 'INVALID_RESPONSE_TYPE'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'CHANNEL_FULL'
  | 'RATE_LIMITED';

/**
 * The one error class the library throws or rejects with for its own failures. Handler errors
 * are never wrapped in it: they reach the caller unchanged.
 *
 * @example
 * try {
 *   await dispatcher.request({ type: 'GetData', key: 'user123' }, { timeoutMs: 500 });
 * } catch (error) {
 *   if (error instanceof SparkChannelError && error.code === 'TIMEOUT') retryLater();
 *   else throw error;
 * }
 */
export class SparkChannelError extends Error {
  override readonly name = 'SparkChannelError';
  declare readonly cause?: unknown;

  constructor(
    readonly code: SparkChannelErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Tells whether `error` is a {@link SparkChannelError}, optionally with the given `code`.
 *
 * @example
 * if (isSparkChannelError(error, 'CHANNEL_FULL')) shedLoad();
 */
export function isSparkChannelError(
  error: unknown,
  code?: SparkChannelErrorCode,
): error is SparkChannelError {
  try {
    return error instanceof SparkChannelError && (code === undefined || error.code === code);
  } catch {
    return false; // a Proxy whose getPrototypeOf trap throws is not one of ours
  }
}
