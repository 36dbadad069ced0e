import type { Subscriber } from 'rxjs';

import type { CallbackWrapper } from '../../callback-wrapper.js';
import { checkSignal, onAbort, reasonOf } from '../signal/abort-fanout.js';
import type { HandlerContext } from '../../handler.js';
import type { Result } from '../../result.js';
import type { MessageRecord } from './lifecycle.js';

/**
 * One message being handled: the handler's context, and the server's bookkeeping for it. The
 * context's AbortController is made only when the handler reads `signal`, so a handler that never
 * looks pays nothing for it.
 */
export class Job implements HandlerContext {
  /** Set once the message's outcome is decided (answered, failed, or abandoned by a stop). */
  settled = false;
  /** Its lifecycle record, when someone observed the server as it started. */
  record: MessageRecord | undefined = undefined;
  /** An asynchronous job under `concurrency`: the inner subscription it holds a slot with. */
  inner: Subscriber<never> | undefined = undefined;
  /** An asynchronous job: stops following its observable (and its caller's signal). */
  teardown: (() => void) | undefined = undefined;
  #controller: AbortController | undefined;
  #abortReason: unknown;
  #aborted = false;
  #unlink: (() => void) | undefined;

  constructor(
    readonly kind: 'request' | 'command',
    readonly message: unknown,
    readonly wrapper: CallbackWrapper<unknown, Result<unknown, unknown>> | undefined,
    /** The channel message it came in, by identity (keyed ordering releases its key with it). */
    readonly source: unknown = undefined,
  ) {}

  get signal(): AbortSignal {
    return (this.#controller ??= this.#createController()).signal;
  }

  /** The work is no longer wanted: the server stopped. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#abortReason = reason;
    this.#unlink?.();
    this.#unlink = undefined;
    this.#controller?.abort(reason);
  }

  /** Stops following the job's observable (and its caller's signal), once. */
  unfollow(): void {
    const teardown = this.teardown;
    this.teardown = undefined;
    teardown?.();
  }

  /** The work is over: stop listening to the caller. */
  release(): void {
    this.#unlink?.();
    this.#unlink = undefined;
  }

  #createController(): AbortController {
    const controller = new AbortController();
    if (this.#aborted) {
      controller.abort(this.#abortReason);
      return controller;
    }
    const callerSignal = this.wrapper?.signal;
    if (callerSignal !== undefined && !this.settled) {
      // Read with the native getters: the channel admitted only real signals, but their own
      // properties could still lie.
      if (checkSignal('signal', callerSignal)) controller.abort(reasonOf(callerSignal));
      else this.#unlink = onAbort(callerSignal, (reason) => controller.abort(reason));
    }
    return controller;
  }
}
