/**
 * What a probe's `expect*` methods reject (or `expectNoMessage` throws) with when the code under
 * test did not send what the test expected. The message says what was expected, what arrived
 * instead (or that nothing did), and lists every message received so far.
 *
 * @example
 * await expect(probe.expectCommand({ type: 'LogEvent' })).rejects.toThrow(ProbeAssertionError);
 */
export class ProbeAssertionError extends Error {
  override readonly name = 'ProbeAssertionError';
}
