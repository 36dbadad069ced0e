// One durable command on its way through a member's module mailbox. serveModule's handler
// unwraps it (`run`), so the user's handler gets the plain message, and the delivery learns when
// the handler settled — the moment the member may ack it, never before.
import { isObservable, Observable } from 'rxjs';

import type { HandlerContext, SparkGenericModuleHandler } from '../handler.js';
import { NatsPayloadError } from './codec.js';

/**
 * How a durable delivery's handler settled: `ok`, or the failure (which `errors$` reports too).
 *
 * @example
 * const onSettled = (outcome: DurableOutcome): void => (outcome.ok ? msg.ack() : msg.nak());
 */
export type DurableOutcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/**
 * A durable command in a member's mailbox: the decoded message (or the {@link NatsPayloadError}
 * for bytes that could not be decoded) and what to do once its handler settled. Made by a
 * {@link DurableCommands} implementation; `serveModule` runs it. A handler torn down by a stop
 * settles nothing: the command stays unacked, and the stream delivers it again.
 *
 * @example
 * const delivery = new DurableDelivery(decoded, (outcome) => (outcome.ok ? msg.ack() : msg.nak()));
 * await host.deliver(delivery);
 */
export class DurableDelivery {
  /**
   * The command's own `type`, when it has a string one: what the module's instrumentation (span
   * names, `events$`) names the delivery by, as it names a core command.
   */
  readonly type: string | undefined;
  #settled = false;

  constructor(
    /** The command, decoded; a {@link NatsPayloadError} when it could not be. */
    readonly message: unknown,
    /** Called once, when the handler settled; never for a handler a stop tore down. */
    readonly onSettled: (outcome: DurableOutcome) => void,
  ) {
    let type: unknown;
    try {
      type =
        typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
    } catch {
      // a codec's exotic value whose `type` throws: the delivery goes unnamed
    }
    this.type = typeof type === 'string' ? type : undefined;
  }

  /** Runs `handler.handleCommand` on the message and reports how it settled, whatever it returned. */
  run<M>(
    handler: SparkGenericModuleHandler<M, unknown, unknown>,
    context: HandlerContext,
  ): void | Promise<void> | Observable<unknown> {
    let result: void | Promise<void> | Observable<unknown>;
    try {
      if (this.message instanceof NatsPayloadError) throw this.message;
      result = handler.handleCommand(this.message as M, context);
    } catch (error: unknown) {
      this.#settle({ ok: false, error });
      throw error;
    }
    if (isObservableSafely(result)) {
      const source = result;
      return new Observable<unknown>((subscriber) =>
        source.subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => {
            this.#settle({ ok: false, error });
            subscriber.error(error);
          },
          complete: () => {
            this.#settle({ ok: true });
            subscriber.complete();
          },
        }),
      );
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        () => this.#settle({ ok: true }),
        (error: unknown) => {
          this.#settle({ ok: false, error });
          throw error;
        },
      );
    }
    this.#settle({ ok: true });
    return result;
  }

  #settle(outcome: DurableOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    this.onSettled(outcome);
  }
}

function isObservableSafely(value: unknown): value is Observable<unknown> {
  try {
    return isObservable(value);
  } catch {
    return false; // a Proxy whose get trap throws: the module server reports it as it would
  }
}

function isThenable(value: unknown): value is PromiseLike<void> {
  try {
    return (
      (typeof value === 'object' || typeof value === 'function') &&
      value !== null &&
      typeof (value as { then?: unknown }).then === 'function'
    );
  } catch {
    return false; // a Proxy whose get trap throws: the module server reports it as it would
  }
}
