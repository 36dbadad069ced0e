// The attribute and metric names spark-channel/otel writes as strings, checked against
// @opentelemetry/semantic-conventions (a dev dependency only: the messaging names are in its
// `incubating` entry, which is not meant to be a runtime dependency, and the package is ~10 MB).
import {
  ATTR_ERROR_TYPE as STABLE_ERROR_TYPE,
  ERROR_TYPE_VALUE_OTHER,
} from '@opentelemetry/semantic-conventions';
import * as incubating from '@opentelemetry/semantic-conventions/incubating';

import * as otel from '../../lib/otel/index.js';

describe('the semantic conventions spark-channel/otel follows', () => {
  it.each([
    ['ATTR_MESSAGING_SYSTEM', otel.ATTR_MESSAGING_SYSTEM, incubating.ATTR_MESSAGING_SYSTEM],
    [
      'ATTR_MESSAGING_OPERATION_TYPE',
      otel.ATTR_MESSAGING_OPERATION_TYPE,
      incubating.ATTR_MESSAGING_OPERATION_TYPE,
    ],
    [
      'ATTR_MESSAGING_OPERATION_NAME',
      otel.ATTR_MESSAGING_OPERATION_NAME,
      incubating.ATTR_MESSAGING_OPERATION_NAME,
    ],
    [
      'ATTR_MESSAGING_DESTINATION_NAME',
      otel.ATTR_MESSAGING_DESTINATION_NAME,
      incubating.ATTR_MESSAGING_DESTINATION_NAME,
    ],
    ['ATTR_MESSAGING_MESSAGE_ID', otel.ATTR_MESSAGING_MESSAGE_ID, incubating.ATTR_MESSAGING_MESSAGE_ID],
    ['ATTR_ERROR_TYPE', otel.ATTR_ERROR_TYPE, STABLE_ERROR_TYPE],
    [
      'METRIC_MESSAGING_CLIENT_SENT_MESSAGES',
      otel.METRIC_MESSAGING_CLIENT_SENT_MESSAGES,
      incubating.METRIC_MESSAGING_CLIENT_SENT_MESSAGES,
    ],
    [
      'METRIC_MESSAGING_PROCESS_DURATION',
      otel.METRIC_MESSAGING_PROCESS_DURATION,
      incubating.METRIC_MESSAGING_PROCESS_DURATION,
    ],
    [
      'METRIC_MESSAGING_CLIENT_OPERATION_DURATION',
      otel.METRIC_MESSAGING_CLIENT_OPERATION_DURATION,
      incubating.METRIC_MESSAGING_CLIENT_OPERATION_DURATION,
    ],
  ])('%s is the conventions’ name', (_name, ours, theirs) => {
    expect(ours).toBe(theirs);
  });

  it('uses the conventions’ operation types and the fallback error type', () => {
    expect([
      incubating.MESSAGING_OPERATION_TYPE_VALUE_SEND,
      incubating.MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
    ]).toEqual(['send', 'process']);
    expect(ERROR_TYPE_VALUE_OTHER).toBe('_OTHER');
  });

  it('keeps its own gauges out of the conventions’ namespace', () => {
    expect(otel.METRIC_SPARK_CHANNEL_QUEUE_DEPTH.startsWith('spark_channel.')).toBe(true);
    expect(otel.METRIC_SPARK_CHANNEL_IN_FLIGHT.startsWith('spark_channel.')).toBe(true);
    expect(Object.values(incubating)).not.toContain(otel.METRIC_SPARK_CHANNEL_QUEUE_DEPTH);
  });
});
