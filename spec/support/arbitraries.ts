// What the fuzz suites share: the closed list of error codes, and fast-check's `anything` with a
// hostile leaf and hostile keys mixed in.
import fc from 'fast-check';

import type { SparkChannelErrorCode } from '../../lib/index.js';

/** Every SparkChannelErrorCode: a fuzz oracle checks that an error's code is one of them. */
export const ERROR_CODES: readonly SparkChannelErrorCode[] = [
  'SEND_FAILED',
  'RECEIVE_FAILED',
  'INVALID_RESPONSE_TYPE',
  'TIMEOUT',
  'CANCELLED',
  'CHANNEL_FULL',
  'RATE_LIMITED',
];

/** Any value fast-check can build, at most 3 deep, with `leaf` among the values and `key` as keys. */
export const anythingWith = (leaf: fc.Arbitrary<unknown>, key: fc.Arbitrary<string>): fc.Arbitrary<unknown> =>
  fc.anything({
    maxDepth: 3,
    key,
    values: [
      fc.boolean(),
      fc.integer(),
      fc.double(),
      fc.string(),
      fc.constant(null),
      fc.constant(undefined),
      fc.bigInt(),
      leaf,
    ],
    withNullPrototype: true,
    withBoxedValues: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withSparseArray: true,
    withObjectString: true,
    withDate: true,
  });
