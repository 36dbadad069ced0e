// What the loop reports about a settled job beyond its reply: the lifecycle `settled` event and
// the `late-reply` dead letter (only when someone observes); and the failure of the running jobs
// when the server stops.
import type { ChannelPort } from '../channel/channel-port.js';
import { reply } from '../reply.js';
import { isGivenUp } from '../signal/cancellable-wrapper.js';
import { failure } from '../validate.js';
import type { Job } from './job.js';
import { givenUpOutcome, type Lifecycle } from './lifecycle.js';

/** The settled event: a request its caller gave up on ends as the caller saw it. */
export function settledEvent(
  lifecycle: Lifecycle,
  job: Job,
  gaveUp: boolean,
  ok: boolean,
  value: unknown,
): void {
  const record = job.record as NonNullable<Job['record']>;
  if (gaveUp && job.wrapper !== undefined) {
    const given = givenUpOutcome(job.wrapper);
    lifecycle.settled(record, given.outcome, given.error);
  } else {
    lifecycle.settled(record, ok ? 'ok' : 'error', ok ? undefined : value);
  }
}

/** A reply nobody waits for any more (the caller gave up, or a stop failed it first). */
export function lateReply(port: ChannelPort, job: Job, ok: boolean, value: unknown): void {
  port.deadLetter(
    'late-reply',
    job.source as Parameters<ChannelPort['deadLetter']>[1],
    undefined,
    ok ? { ok: true, value } : { ok: false, error: value },
  );
}

/** The server stopped: every running job is settled with `RECEIVE_FAILED` and its signal aborted. */
export function failRunning(jobs: Iterable<Job>, reason: string, cause: unknown, lifecycle: Lifecycle): void {
  for (const job of jobs) {
    const what = job.kind === 'request' ? 'Request not answered' : 'Command not finished';
    const error = failure('RECEIVE_FAILED', `${what}: ${reason}`, cause);
    job.settled = true;
    job.abort(error);
    if (job.record !== undefined)
      settledEvent(lifecycle, job, job.wrapper !== undefined && isGivenUp(job.wrapper), false, error);
    if (job.wrapper !== undefined) reply(job.wrapper, { ok: false, error });
  }
}
