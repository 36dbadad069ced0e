// The worker script of the spark-channel/web-worker specs: what a worker file made by
// `ng generate web-worker` would hold, with one message type per behaviour under test. State is
// per worker (each stand-in runs its own copy), as in a browser.
import { Observable, of } from 'rxjs';

import { SparkChannelError } from '../../../lib/index.js';
import { serveInWorker, type WorkerScopeLike } from '../../../lib/web-worker/index.js';
import type { InProcessWorker } from './in-process-worker.js';

export type Message = { type: string; [field: string]: unknown };

let nextWorker = 0;
/** Meeting points shared by every worker of a spec file: two requests that wait for each other. */
const meetings = new Map<string, () => void>();

export function kitchenSink(scope: WorkerScopeLike, worker: InProcessWorker): void {
  const id = ++nextWorker;
  const commands: unknown[] = [];
  const aborts: { type: unknown; name: string; message: string; code: unknown }[] = [];

  serveInWorker<Message, unknown>(
    {
      // Not async: an observable must be returned as it is (a promise of one would be a value).
      handleRequest(message, { signal }) {
        switch (message.type) {
          case 'echo':
            return message['value'];
          case 'worker':
            return id;
          case 'commands':
            return commands;
          case 'aborts':
            return aborts;
          case 'meet': {
            const channel = String(message['channel']);
            const other = meetings.get(channel);
            if (other !== undefined) {
              other();
              return id;
            }
            return new Promise<void>((resolve) => meetings.set(channel, resolve)).then(() => id);
          }
          case 'hang':
            // Until aborted: then what the worker saw is recorded, for 'aborts' to read.
            return new Promise((_, reject) => {
              signal.addEventListener('abort', () => {
                const reason = signal.reason as { name?: unknown; message?: unknown; code?: unknown };
                aborts.push({
                  type: message['tag'],
                  name: String(reason?.name),
                  message: String(reason?.message),
                  code: reason?.code,
                });
                reject(signal.reason);
              });
            });
          case 'throw-code':
            throw Object.assign(new RangeError('out of range'), {
              code: 'E_RANGE',
              detail: { at: 3 },
              cause: new Error('root cause'),
            });
          case 'throw-spark':
            throw new SparkChannelError('TIMEOUT', 'a timeout inside the worker');
          case 'throw-aggregate':
            throw new AggregateError(
              [new TypeError('first'), new DOMException('second', 'AbortError')],
              'both',
            );
          case 'throw-value':
            throw { reason: 'not an error', n: 42 };
          case 'uncloneable':
            return { callback: () => 1 };
          case 'observable':
            return of('first', 'second');
          case 'empty':
            return new Observable((subscriber) => subscriber.complete());
          case 'crash':
            // What a browser does with an uncaught error in a timer: an error event on the page.
            setTimeout(() => worker.crash(new Error('boom in a timer')), 0);
            return new Promise(() => {});
          case 'close':
            setTimeout(() => scope.close?.(), 0);
            return new Promise(() => {});
          case 'post-garbage':
            // Messages that are not the library's: the page must ignore them.
            scope.postMessage('hello');
            scope.postMessage({ spark: 'reply', id: 1e9, envelope: { ok: true, value: 'stray' } });
            scope.postMessage({ spark: 'unknown' });
            return 'after garbage';
          default:
            throw new TypeError(`unknown request ${message.type}`);
        }
      },
      handleCommand(message) {
        if (message.type === 'fail') throw new Error('command failed in the worker');
        if (message.type === 'observe')
          return new Observable((s) => (commands.push('observed'), s.complete()));
        commands.push(message['value']);
      },
    },
    { scope },
  );
}
