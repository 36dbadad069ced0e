// What stops a server from outside its loop: the `token` and `signal` options.
import { onTokenCancelled } from '../../cancellation-token.js';
import { checkSignal, onAbort, reasonOf } from '../signal/abort-fanout.js';
import type { ServerArguments } from './read-arguments.js';

/**
 * Stops the server when its token is cancelled (`stop`) or its signal aborts (`halt`, with the
 * abort reason as cause). An already aborted signal halts it at once. Returns what stops
 * listening, which the server calls as it stops (a server halted in here calls it itself).
 *
 * @throws TypeError naming `signal` when listening to it throws (after halting the server).
 */
export function watchStopTriggers(
  args: Pick<ServerArguments<unknown>, 'token' | 'signal'>,
  stop: () => void,
  halt: (reason: string, cause?: unknown) => void,
): () => void {
  const tokenWatch = args.token === undefined ? undefined : onTokenCancelled(args.token, stop);
  let unlisten: (() => void) | undefined;
  const dispose = (): void => {
    tokenWatch?.unsubscribe();
    unlisten?.();
    unlisten = undefined;
  };
  const signal = args.signal;
  if (signal === undefined) return dispose;
  const stopped = (reason: unknown): void => halt('the module server was stopped by its signal', reason);
  if (checkSignal('signal', signal)) {
    stopped(reasonOf(signal)); // aborted already: the server stops as soon as it is made
    return dispose;
  }
  try {
    unlisten = onAbort(signal, stopped);
  } catch (error: unknown) {
    // Node's addEventListener reads the signal's `constructor`, which may be a throwing getter.
    halt('the module server could not listen to its signal', error);
    dispose();
    throw new TypeError('Expected `signal` to be an AbortSignal, but listening to it threw', {
      cause: error,
    });
  }
  return dispose;
}
