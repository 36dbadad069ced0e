import type { Observable } from 'rxjs';

import type { HandlerContext, SparkGenericModuleHandler } from './handler.js';
import { kFailed, type SupervisionDecision } from './internal/server/brands.js';
import { checkOptions, checkPositiveNumber, describe } from './internal/validate.js';

/**
 * When a supervised handler is rebuilt, and when its module gives up.
 *
 * @example
 * const isFatal = (error: unknown): boolean => error instanceof CorruptStateError;
 * const policy: RestartPolicy<CacheMessage> = { maxRestarts: 3, withinMs: 60_000, isFatal };
 * const handler = supervise(() => new CacheHandler(), policy);
 */
export interface RestartPolicy<M> {
  /** How many restarts are allowed within `withinMs`; one more stops the module. 0 stops at the first fatal failure. */
  maxRestarts: number;
  /** The sliding window, in milliseconds on the module's clock (`Infinity`: ever). */
  withinMs: number;
  /**
   * Which failures leave the handler's state broken. Those rebuild the handler from the factory
   * (after the failing message has been answered); any other failure fails its message only, as
   * always. A predicate that throws counts as fatal: the state is then of unknown health.
   */
  isFatal(this: void, error: unknown, message: M): boolean;
}

/**
 * A handler whose state a module server may rebuild: made by {@link supervise}. Hand it to
 * `spawnModule` or `runModuleServer` like any handler; use one per module.
 *
 * @example
 * const handler = supervise(() => new CacheHandler(), { maxRestarts: 3, withinMs: 60_000, isFatal });
 * const { dispatcher } = spawnModule(handler);
 * handler.current; // the CacheHandler now serving: a fresh one after each restart
 */
// Not `implements Supervised`: its one member is internal, stripped from the published types.
export class SupervisedHandler<M, R, E = Error> implements SparkGenericModuleHandler<M, R, E> {
  #current: SparkGenericModuleHandler<M, R, E>;
  readonly #restarts: number[] = [];

  /**
   * Prefer {@link supervise}, which checks the policy.
   *
   * @param factory Builds the handler, at first and after each fatal failure.
   * @param policy When a failure is fatal, and how many restarts are allowed in what window.
   */
  constructor(
    readonly factory: () => SparkGenericModuleHandler<M, R, E>,
    readonly policy: Readonly<RestartPolicy<M>>,
  ) {
    this.#current = build(factory);
  }

  /** The handler now serving (a new one after each restart). */
  get current(): SparkGenericModuleHandler<M, R, E> {
    return this.#current;
  }

  /** Passes the request to the {@link current} handler. */
  handleRequest(request: M, context: HandlerContext): R | Promise<R> | Observable<R> {
    return this.#current.handleRequest(request, context);
  }

  /** Passes the command to the {@link current} handler. */
  handleCommand(command: M, context: HandlerContext): void | Promise<void> | Observable<unknown> {
    return this.#current.handleCommand(command, context);
  }

  /**
   * @internal The server saw `error` while handling `message` at time `now`: returns what to do.
   * `ignore`: not fatal; `restarted`: rebuilt (with the count in the window); `give-up`: stop,
   * with the reason and the error to report.
   */
  [kFailed](error: unknown, message: unknown, now: number): SupervisionDecision {
    let fatal: boolean;
    try {
      fatal = this.policy.isFatal(error, message as M) === true;
    } catch {
      fatal = true;
    }
    if (!fatal) return { action: 'ignore' };
    const { maxRestarts, withinMs } = this.policy;
    const restarts = this.#restarts;
    while (restarts.length > 0 && now - (restarts[0] as number) >= withinMs) restarts.shift();
    if (restarts.length >= maxRestarts) {
      const window = withinMs === Infinity ? '' : ` within ${withinMs} ms`;
      return {
        action: 'give-up',
        reason: `the supervision policy gave up: fatal failure after ${restarts.length} restart(s)${window} (maxRestarts ${maxRestarts})`,
        error,
      };
    }
    try {
      this.#current = build(this.factory);
    } catch (factoryError: unknown) {
      return {
        action: 'give-up',
        reason: 'the supervision policy gave up: the handler factory threw',
        error: factoryError,
      };
    }
    restarts.push(now);
    return { action: 'restarted', restarts: restarts.length };
  }
}

/**
 * Supervision-lite: builds a handler from `factory` and, when it fails in a way `policy.isFatal`
 * marks as fatal, rebuilds it from the factory so the module keeps serving with fresh state. More
 * than `maxRestarts` restarts within `withinMs` stop the module: every pending request fails with
 * `RECEIVE_FAILED` (its `cause` the fatal error), and `events$` ends with a `stopped` event
 * giving the reason. See docs/observability.md for how this compares with OTP supervisors.
 *
 * @throws TypeError naming `factory` or `policy.isFatal`, RangeError naming
 * `policy.maxRestarts` / `policy.withinMs`, or whatever the factory throws the first time.
 *
 * @example
 * const { dispatcher, server } = spawnModule(
 *   supervise(() => new CacheHandler(), {
 *     maxRestarts: 3,
 *     withinMs: 60_000,
 *     isFatal: (error) => error instanceof CorruptStateError,
 *   }),
 * );
 */
export function supervise<M, R, E = Error>(
  factory: () => SparkGenericModuleHandler<M, R, E>,
  policy: RestartPolicy<NoInfer<M>>,
): SupervisedHandler<M, R, E> {
  if (typeof factory !== 'function') {
    throw new TypeError(
      `Expected \`factory\` to be a function returning a handler, got ${describe(factory)}`,
    );
  }
  checkOptions('policy', policy);
  if (policy === undefined) throw new TypeError('Expected `policy` to be an object, got undefined');
  const { maxRestarts, withinMs, isFatal } = policy;
  if (typeof maxRestarts !== 'number' || !Number.isInteger(maxRestarts) || maxRestarts < 0) {
    throw new RangeError(
      `Expected \`policy.maxRestarts\` to be a non-negative integer, got ${describe(maxRestarts)}`,
    );
  }
  checkPositiveNumber('policy.withinMs', withinMs, true);
  if (typeof isFatal !== 'function') {
    throw new TypeError(`Expected \`policy.isFatal\` to be a function, got ${describe(isFatal)}`);
  }
  return new SupervisedHandler(factory, { maxRestarts, withinMs, isFatal });
}

function build<M, R, E>(
  factory: () => SparkGenericModuleHandler<M, R, E>,
): SparkGenericModuleHandler<M, R, E> {
  const handler = factory();
  const h = handler as Partial<Record<'handleRequest' | 'handleCommand', unknown>> | null;
  if (typeof h?.handleRequest !== 'function' || typeof h.handleCommand !== 'function') {
    throw new TypeError(
      `Expected \`factory\` to return a handler with handleRequest and handleCommand, got ${describe(handler)}`,
    );
  }
  return handler;
}
