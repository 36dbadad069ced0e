// A channel's dead letters (the server's `deadLetters$`): built only while someone listens.
import { Observable, Subject } from 'rxjs';

import type { DeadLetter, DeadLetterReason } from '../../dead-letter.js';
import type { SparkGenericModuleMessage } from '../../module-message.js';

type AnyMessage = SparkGenericModuleMessage<unknown, unknown, unknown, unknown>;

export class DeadLetterOutlet {
  // Untyped inside, so the channel's variance in M stays what its public surface makes it.
  #subject: Subject<DeadLetter<unknown>> | undefined;

  /** Every message that went nowhere, from now on (hot; never completes). */
  stream(): Observable<DeadLetter<unknown>> {
    return new Observable<DeadLetter<unknown>>((subscriber) =>
      (this.#subject ??= new Subject()).subscribe(subscriber),
    );
  }

  /** Whether anyone listens (so the server may skip looking for dead letters). */
  get watched(): boolean {
    return this.#subject?.observed === true;
  }

  /** Reports a message that went nowhere, when anyone listens. */
  report(
    reason: DeadLetterReason,
    envelope: AnyMessage,
    error?: unknown,
    result?: DeadLetter<unknown>['result'],
  ): void {
    const subject = this.#subject;
    if (subject?.observed !== true || envelope.type === 'Shutdown') return;
    const request = envelope.type === 'Request';
    const letter: DeadLetter<unknown> = {
      reason,
      kind: request ? 'request' : 'command',
      message: request ? envelope.wrapper.message : envelope.message,
      ...(error === undefined ? {} : { error }),
      ...(result === undefined ? {} : { result }),
    };
    subject.next(letter);
  }
}
