/**
 * `spark-channel/testing`: test kit for code that talks to modules. Public API only.
 *
 * @module spark-channel/testing
 */
export { createProbe, type ExpectOptions, type ProbeOptions, type TestProbe } from './create-probe.js';
export { ProbeAssertionError } from './probe-assertion-error.js';
export type { ProbeCommand, ProbeMessage, ProbeRequest, ProbeRequestStatus } from './probe-message.js';
export type { MatchedBy, PartialMessage, ProbePattern } from './probe-pattern.js';
