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
