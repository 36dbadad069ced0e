import { merge, type Observable } from 'rxjs';

import { describe } from './internal/validate.js';
import type { ModuleError, ModuleServer } from './module-server.js';

/**
 * The {@link ModuleError} type of a server's `errors$`.
 *
 * @example
 * type QuoteError = ModuleErrorOf<typeof quotes.server>; // ModuleError<MessageOf<QuotesApi>, Error>
 */
export type ModuleErrorOf<S> = S extends ModuleServer<infer M, infer E> ? ModuleError<M, E> : never;

/**
 * Every handler failure of every server given, as one stream: the place to watch a whole
 * pipeline's errors. Completes once every server has stopped (at once when given none).
 *
 * Each value is typed by the server it came from, so a union of message types tells them apart.
 *
 * @throws TypeError naming the argument that is not a module server.
 *
 * @example
 * mergeErrors(fetcher.server, store.server).subscribe(({ kind, message, error }) =>
 *   console.warn(`${kind} ${JSON.stringify(message)} failed:`, error),
 * );
 */
export function mergeErrors<S extends readonly ModuleServer<unknown, unknown>[]>(
  ...servers: S
): Observable<ModuleErrorOf<S[number]>> {
  servers.forEach((server: unknown, index) => {
    const errors$ = (server as Partial<ModuleServer<unknown, unknown>> | null)?.errors$;
    if (typeof errors$?.subscribe !== 'function') {
      throw new TypeError(`Expected \`servers[${index}]\` to be a module server, got ${describe(server)}`);
    }
  });
  return merge(...servers.map((server) => server.errors$)) as Observable<ModuleErrorOf<S[number]>>;
}
