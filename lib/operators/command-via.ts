import { concatMap, from, map, type Observable, of, type OperatorFunction } from 'rxjs';

import { SparkGenericModuleDispatcher } from '../dispatcher.js';
import { RESOLVED } from '../internal/reply.js';
import { describe } from '../internal/validate.js';
import type { CommandOf, ModuleDefinition } from '../module-definition.js';
import { TypedDispatcher } from '../typed-dispatcher.js';

/**
 * A `MonoTypeOperatorFunction` that keeps the source's own (possibly narrower) type.
 *
 * @example
 * const log: PassThrough<MyMessage> = commandVia(logger);
 */
export type PassThrough<M> = <X extends M>(source: Observable<X>) => Observable<X>;

/**
 * Sends each value of the source as a command through `dispatcher`, in order, and passes it on
 * once the channel has accepted it: the next value is sent only then, so a full channel or a rate
 * limit slows the pipeline down instead of piling up sends (values that arrive meanwhile wait in
 * order, as with `concatMap`). The handler's outcome never comes back here: command failures go
 * to the server's `errors$` (see `mergeErrors`).
 *
 * Errors the output when a send is refused (`SEND_FAILED`: the module has shut down or stopped).
 * Unsubscribing stops sending; a command already handed to the channel is not withdrawn.
 *
 * @throws TypeError naming `dispatcher` when it is not a dispatcher.
 *
 * @example
 * event$.pipe(
 *   map((event) => ({ type: 'LogEvent' as const, event })),
 *   commandVia(logger),
 * ).subscribe();
 */
export function commandVia<M, R, C, E>(dispatcher: SparkGenericModuleDispatcher<M, R, C, E>): PassThrough<M>;
/**
 * Sends each value of the source as a command through a {@link TypedDispatcher}: only command
 * types of its definition are accepted. See the untyped overload for the semantics.
 *
 * @example
 * event$.pipe(map((event) => ({ type: 'LogEvent' as const, event })), commandVia(dispatcher)).subscribe();
 */
export function commandVia<D extends ModuleDefinition<D>, C, E>(
  dispatcher: TypedDispatcher<D, C, E>,
): PassThrough<CommandOf<D>>;
export function commandVia(dispatcher: unknown): OperatorFunction<never, unknown> {
  const raw: unknown = dispatcher instanceof TypedDispatcher ? (dispatcher.raw as unknown) : dispatcher;
  if (!(raw instanceof SparkGenericModuleDispatcher)) {
    throw new TypeError(
      `Expected \`dispatcher\` to be a SparkGenericModuleDispatcher or a TypedDispatcher, got ${describe(raw)}`,
    );
  }
  const target = raw as SparkGenericModuleDispatcher<unknown, unknown, unknown, unknown>;
  return concatMap((value: unknown) => {
    const accepted = target.sendCommand(value);
    // Taken at once (the channel had room): pass the value on now, not a microtask later, so a
    // synchronous source stays synchronous. Any other promise is awaited.
    return accepted === RESOLVED ? of(value) : from(accepted).pipe(map(() => value));
  });
}
