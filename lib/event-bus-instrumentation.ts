// The points where tracing meets an event bus. `createEventBus({ instrument })`
// takes one (spark-channel/otel's `openTelemetryEvents()` builds it); a bus without it checks one
// `undefined` per publish and per module delivery, and allocates nothing for it.

/**
 * How one delivery to a module subscriber ended.
 *
 * @example
 * const deliveries: Record<DeliveryOutcome, number> = { accepted: 0, dropped: 0, refused: 0, failed: 0 };
 * const report: DeliveryReport = (outcome) => void deliveries[outcome]++;
 */
export type DeliveryOutcome =
  /** Its module's channel took the command (at once, or after `publish` waited for room). */
  | 'accepted'
  /** Its drop policy dropped the event: a `dropped` dead letter of the module. */
  | 'dropped'
  /** Its module refused it (stopped, over its rate limit, a key function threw): a `refused` dead letter. */
  | 'refused'
  /** Its `toCommand`, or a plain `{ sendCommand }` subscriber, threw or rejected. */
  | 'failed';

/**
 * Called once per delivery to a module subscriber, with how it ended.
 *
 * @example
 * const report: DeliveryReport = (outcome, error) => {
 *   if (outcome !== 'accepted') log.warn(`delivery ${outcome}`, error);
 * };
 */
export type DeliveryReport = (outcome: DeliveryOutcome, error?: unknown) => void;

/**
 * One publish, from the publisher's call to the moment every module subscriber took (or lost) it.
 *
 * @example
 * const trace: PublishTrace = {
 *   run: (deliver) => deliver(),
 *   deliver: (id, deliver) => deliver((outcome) => counter.add(1, { subscriber: id, outcome })),
 *   settled: (error) => { if (error !== undefined) log.warn('publish lost', error); },
 * };
 */
export interface PublishTrace {
  /** Wraps the whole delivery: module subscribers, then observers, run inside. Calls `deliver` once. */
  run<T>(deliver: () => T): T;
  /** Wraps the delivery to module subscriber number `id`: calls `deliver` once; `report` runs once, maybe later. */
  deliver<T>(id: number, deliver: (report: DeliveryReport) => T): T;
  /** The publish settled: resolved (no `error`), or rejected because the bus closed before delivering it. */
  settled(error?: unknown): void;
}

/**
 * What an event bus calls to be traced: `publish` runs synchronously in the publisher's call (its
 * async context active), for a publish the bus goes on with (not one it rejects at once: a bad
 * event, a closed bus, a `tryPublish` with no room). It must not throw.
 *
 * @example
 * const instrument: EventBusInstrumentation = {
 *   publish: (_event, type) => { published.add(1, { type }); return noopTrace; }, // noopTrace: a PublishTrace
 * };
 * const bus = createEventBus<ShopEvents>({ instrument });
 */
export interface EventBusInstrumentation {
  /** `type` is the event's `type` as the bus read it (once: a getter may answer differently later). */
  publish(event: object, type: string): PublishTrace;
}
