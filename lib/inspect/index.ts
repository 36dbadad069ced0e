/**
 * `spark-channel/inspect`: a live inspector of modules and event buses (their queues, rates and
 * recent messages), as a snapshot, an HTML page or a small HTTP server. The root entry never
 * reaches this file.
 *
 * @module spark-channel/inspect
 */
export {
  createInspector,
  type InspectedModule,
  type Inspector,
  type InspectorOptions,
  type InspectorWatch,
} from './create-inspector.js';
export type {
  BusEdgeSnapshot,
  BusSnapshot,
  BusTypeSnapshot,
  DeadLetterEntry,
  ErrorEntry,
  InspectorSnapshot,
  LatencyPercentiles,
  ModuleSnapshot,
  TimelineEntry,
} from './inspector-snapshot.js';
export type { InspectorMount, MountOptions } from './mount.js';
export type { InspectorServer, InspectorServeOptions } from './serve.js';
export { renderInspector, type InspectorView } from './render-page.js';
