// The instrumentation scope of the default tracer. The version is written out rather than read
// from package.json (outside the build's rootDir); spec/otel/version.spec.ts fails when they differ.
export const TRACER_NAME = 'spark-channel';
export const TRACER_VERSION = '0.1.0';
