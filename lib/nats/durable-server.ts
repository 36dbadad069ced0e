// The module server of a durable member as its user sees it: the server itself, with every
// DurableDelivery in its streams shown as the command it carries, and the member's own dead
// letters (commands given up on) on `deadLetters$`. Read by users, never once per message.
import { map, merge, type Observable } from 'rxjs';

import type { DeadLetter } from '../dead-letter.js';
import type { ModuleError, ModuleServer } from '../module-server-types.js';
import { DurableDelivery } from './durable-delivery.js';

const unwrap = <M>(message: unknown): M =>
  (message instanceof DurableDelivery ? message.message : message) as M;

/**
 * `server` with durable deliveries unwrapped in `errors$`, `events$` and `deadLetters$`, and
 * `extraDeadLetters` merged into `deadLetters$`.
 */
export function durableServer<M, E>(
  server: ModuleServer<unknown, E>,
  extraDeadLetters: Observable<DeadLetter<unknown>>,
): ModuleServer<M, E> {
  const errors$ = server.errors$.pipe(
    map((report): ModuleError<M, E> => ({ ...report, message: unwrap<M>(report.message) })),
  );
  return {
    errors$,
    stopped: server.stopped,
    get isRunning() {
      return server.isRunning;
    },
    stop: () => server.stop(),
    stats: () => server.stats(),
    get stats$() {
      return server.stats$;
    },
    drain: (deadlineMs) => server.drain(deadlineMs),
    [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
    get events$() {
      return server.events$.pipe(
        map((event) => ('message' in event ? { ...event, message: unwrap<M>(event.message) } : event)),
      );
    },
    get deadLetters$() {
      return merge(
        server.deadLetters$.pipe(
          map((letter): DeadLetter<M> => ({ ...letter, message: unwrap<M>(letter.message) })),
        ),
        extraDeadLetters as Observable<DeadLetter<M>>,
      );
    },
  };
}
