import type { MessageOutcome } from './module-event.js';

/**
 * The message an instrumentation hook is about: one object per message, the same in every hook.
 *
 * @example
 * const instrument: ModuleInstrumentation<Msg> = {
 *   sent: ({ id, kind, message }: InstrumentedMessage<Msg>) => log.debug(`#${id} ${kind} ${message.type}`),
 * };
 */
export interface InstrumentedMessage<M> {
  /** The same id as in `server.events$`. */
  readonly id: number;
  readonly kind: 'request' | 'command';
  readonly message: M;
}

/**
 * How an instrumented message ended.
 *
 * @example
 * const instrument: ModuleInstrumentation<Msg> = {
 *   settled: (_state, _message, { outcome, handlingMs }: InstrumentedSettlement) =>
 *     histogram.record(handlingMs ?? 0, { outcome }),
 * };
 */
export interface InstrumentedSettlement {
  readonly outcome: MessageOutcome;
  readonly error?: unknown;
  readonly queuedMs: number | undefined;
  readonly handlingMs: number | undefined;
}

/**
 * Hooks into every message of one server, for tracing (the OpenTelemetry helper in
 * `spark-channel/otel` is one) or custom metrics. Passed as the server option `instrument`; a
 * server without it pays nothing.
 *
 * Messages sent before the server started have no `sent`: their state is `undefined`. A hook
 * that throws is logged and ignored; it never breaks the message or the server.
 *
 * @example
 * const instrument: ModuleInstrumentation<Msg> = {
 *   settled: (_state, { kind }, { outcome }) => counter.add(1, { kind, outcome }),
 * };
 * const { dispatcher } = spawnModule(new MyHandler(), { instrument });
 */
export interface ModuleInstrumentation<M = unknown> {
  /**
   * Runs synchronously inside the sender's call (`request`, `sendCommand`, `send`), so the
   * caller's async context is still active; what it returns is the message's `state`.
   */
  sent?(message: InstrumentedMessage<M>): unknown;
  /**
   * Wraps the handler call: it must call `handle` once and return what it returned. The
   * synchronous part of the handler runs inside it (an AsyncLocalStorage context entered there
   * follows the handler's awaits). When the handler returns an Observable, the server's
   * subscription to it is wrapped too: `run` may run twice for one message.
   */
  run?<T>(state: unknown, message: InstrumentedMessage<M>, handle: () => T): T;
  /** Runs once per message, whatever happened to it (also when it never started). */
  settled?(state: unknown, message: InstrumentedMessage<M>, settlement: InstrumentedSettlement): void;
}
