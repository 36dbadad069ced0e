/**
 * The textbook RxJS module server: a Subject of envelopes, `concatMap` over the handler as an
 * observable, and a reply AsyncSubject per request. What spark-channel replaces; it overflows the
 * stack inside concatMap when many synchronous messages queue behind a slow one.
 */
import {
  AsyncSubject,
  catchError,
  concatMap,
  defer,
  EMPTY,
  firstValueFrom,
  from,
  type Observable,
  of,
  Subject,
  tap,
} from 'rxjs';

import { Workload } from '../workload.js';
import type { Bus, Peer } from './peer.js';

interface Envelope {
  readonly message: number;
  readonly reply: AsyncSubject<number> | undefined; // undefined: a command
}

export const textbookRxjs: Peer = {
  id: 'textbook-rxjs',
  label: 'textbook RxJS',
  wiring: 'Subject → concatMap(defer(handler) as observable) → AsyncSubject reply per request',
  mailbox: true,
  commands: true,
  ours: false,
  guarantees: {
    ordering: 'yes: concatMap, one at a time, FIFO',
    typedReplies: 'yes (AsyncSubject<R>)',
    backpressure: 'no: concatMap buffers without bound',
    cancellation: 'no (would need takeUntil per request and more)',
    isolation: 'yes with catchError inside the inner; breaks on a long synchronous backlog (stack overflow)',
  },
  create(handler, next): Bus {
    const inbox = new Subject<Envelope>();
    const asObservable = (answer: number | Promise<number>): Observable<number> =>
      answer instanceof Promise ? from(answer) : of(answer);
    const loop = inbox
      .pipe(
        concatMap(({ message, reply }) =>
          defer(() => asObservable(handler(message))).pipe(
            tap({
              next: (value) => {
                reply?.next(value);
                reply?.complete();
              },
              error: (error: unknown) => reply?.error(error),
            }),
            catchError(() => EMPTY),
          ),
        ),
      )
      .subscribe();
    const request = (message: number): Promise<number> => {
      const reply = new AsyncSubject<number>();
      inbox.next({ message, reply });
      return firstValueFrom(reply);
    };
    return {
      request,
      command: (message) => inbox.next({ message, reply: undefined }),
      drain: async () => {
        const m = next();
        Workload.check(m, await request(m));
      },
      close: () => {
        loop.unsubscribe();
        inbox.complete();
        return Promise.resolve();
      },
    };
  },
};
