// The points where tracing meets a message that leaves the process or the thread: a NATS request,
// command or event (spark-channel/nats) and a worker thread's task (spark-channel/worker). Those
// entries take one as their option `tracing` (spark-channel/otel's `openTelemetryWire()` builds
// it) and never import @opentelemetry/api themselves: it is an optional peer. Without the option
// they check one `undefined` per message and allocate nothing for it (no header object).

/**
 * What crosses the wire, as the tracing hooks see it.
 *
 * @example
 * const operation: WireOperation = { system: 'nats', kind: 'request', destination: 'users' };
 */
export interface WireOperation {
  /** The transport: `nats`, or `spark_channel` for a worker thread's task (`messaging.system`). */
  readonly system: string;
  readonly kind: 'request' | 'command' | 'event';
  /** The NATS subject, or the worker module's handler file name (`messaging.destination.name`). */
  readonly destination: string;
  /** The transport's id of the message, when it has one (`messaging.message.id`). */
  readonly id?: string;
}

/**
 * Writes one trace header (`traceparent`, `tracestate`) into the outgoing message.
 *
 * @example
 * const headers = new Map<string, string>();
 * const set: WireHeaderSetter = (key, value) => void headers.set(key, value);
 */
export type WireHeaderSetter = (key: string, value: string) => void;

/**
 * Reads one trace header of an incoming message: `undefined` when it is absent or unreadable.
 *
 * @example
 * const get: WireHeaderGetter = (key) => (key === 'traceparent' ? received.traceparent : undefined);
 */
export type WireHeaderGetter = (key: string) => string | undefined;

/**
 * Hooks that carry one trace across a process or thread boundary: the sending side starts a span
 * and writes its context into the message's headers; the receiving side reads them and starts the
 * serving span as its child. Passed as the option `tracing` of `natsDispatcher`, `serveModule`,
 * `natsEventBus` and `spawnWorkerModule` (and exported as `tracing` by a worker's handler file).
 *
 * Everything the receiving side reads came from the network or another thread: a header that is
 * malformed, oversized or absent must start a new trace, never throw. A hook that throws anyway is
 * caught by the transport and ignored (the message goes on untraced).
 *
 * @example
 * const tracing: WireTracing = openTelemetryWire(); // from spark-channel/otel
 * const users = natsDispatcher<UserMessage, User>(nc, 'users', { tracing, headers });
 */
export interface WireTracing {
  /**
   * Runs synchronously inside the send call (so the caller's context is active): starts the
   * sending span and writes its context through `set`. What it returns is passed to `sent`.
   */
  send(operation: WireOperation, set: WireHeaderSetter): unknown;
  /** The send is over: a request's answer arrived (or not), a command or event left. `ok` false with its error. */
  sent(state: unknown, ok: boolean, error?: unknown): void;
  /** Starts the serving span of a received message, a child of the context read through `get`. */
  receive(operation: WireOperation, get: WireHeaderGetter): unknown;
  /** Runs `handle` with the serving span active, returning what it returned. */
  run<T>(state: unknown, handle: () => T): T;
  /** The received message is over: answered, handed to the module, or failed. */
  received(state: unknown, ok: boolean, error?: unknown): void;
}
