// Graceful shutdown with a deadline (`server.drain`): closes the channel as a Shutdown would and
// stops at once if everything already sent has not finished by the deadline. Nothing per message.
import type { SchedulerLike, Subscription } from 'rxjs';

import { SparkChannelCancellationToken } from '../../cancellation-token.js';
import { SparkGenericModuleMessage } from '../../module-message.js';
import type { DrainReport } from '../../module-server-types.js';
import type { ChannelPort } from '../channel/channel-port.js';
import { longTimer, monotonicScheduler } from '../time/clock.js';
import { checkPositiveNumber } from '../validate.js';

/** What drain needs of its server. */
export interface Drainable {
  readonly port: ChannelPort;
  readonly scheduler: SchedulerLike | undefined;
  readonly stopped: Promise<void>;
  /** The server's state now: read when the drain starts and once the server has stopped. */
  state(): {
    readonly isClosed: boolean;
    readonly isStopped: boolean;
    readonly handled: number;
    readonly failed: number;
    /** Jobs cut off by the stop, running or queued. */
    readonly abandoned: number;
  };
  halt(reason: string): void;
}

export function drain(server: Drainable, deadlineMs: number): Promise<DrainReport> {
  try {
    checkPositiveNumber('deadlineMs', deadlineMs, true);
  } catch (error: unknown) {
    return Promise.reject(error);
  }
  const empty = { handled: 0, failed: 0, refused: 0, aborted: 0 };
  const before = server.state();
  if (before.isStopped) return Promise.resolve({ outcome: 'stopped', ...empty });
  const port = server.port;
  const refused = port.refusedCount();
  let outcome: DrainReport['outcome'] = 'drained';
  let deadline: Subscription | undefined;
  try {
    // Armed before the channel closes: a user clock that throws refuses the drain untouched.
    if (deadlineMs !== Infinity) {
      deadline = longTimer(deadlineMs, server.scheduler ?? monotonicScheduler, () => {
        outcome = 'deadline';
        server.halt(`the drain deadline of ${deadlineMs} ms passed`);
      });
    }
  } catch (error: unknown) {
    return Promise.reject(
      new TypeError('Expected `scheduler` to be a working RxJS scheduler, but arming the deadline threw', {
        cause: error,
      }),
    );
  }
  if (!before.isClosed) {
    port.offer(SparkGenericModuleMessage.Shutdown(new SparkChannelCancellationToken()), () => undefined);
  }
  return server.stopped.then(() => {
    deadline?.unsubscribe();
    const after = server.state();
    return {
      outcome,
      handled: after.handled - before.handled,
      failed: after.failed - before.failed,
      refused: port.refusedCount() - refused,
      aborted: outcome === 'deadline' ? after.abandoned : 0,
    };
  });
}
