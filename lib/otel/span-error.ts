import { type Span, SpanStatusCode } from '@opentelemetry/api';

import { describe } from '../internal/validate.js';
import { isSparkChannelError } from '../spark-channel-error.js';
import { ATTR_ERROR_TYPE, ATTR_SPARK_CHANNEL_ERROR_CODE } from './attributes.js';

/**
 * Marks `span` failed with `error`: status ERROR, the exception, `error.type` (the
 * `SparkChannelError` code, else the error's `name`, else `_OTHER`) and, for the library's own
 * errors, `spark_channel.error_code`.
 */
export function failSpan(span: Span, error: unknown): void {
  const code = isSparkChannelError(error) ? error.code : undefined;
  if (code !== undefined) span.setAttribute(ATTR_SPARK_CHANNEL_ERROR_CODE, code);
  span.setAttribute(ATTR_ERROR_TYPE, code ?? (error instanceof Error ? error.name : '_OTHER'));
  if (error instanceof Error || typeof error === 'string') span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message:
      error instanceof Error
        ? error.message
        : typeof error === 'string'
          ? error
          : `${describe(error)} was thrown`,
  });
}
