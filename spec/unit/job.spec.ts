import { getEventListeners } from 'node:events';
import { AsyncSubject } from 'rxjs';

import { CallbackWrapper, type Result } from '../../lib/index.js';
import { Job } from '../../lib/internal/server/job.js';

function requestJob(callerSignal?: AbortSignal): Job {
  const wrapper = new CallbackWrapper<unknown, Result<unknown, unknown>>(
    'ping',
    new AsyncSubject(),
    callerSignal,
  );
  return new Job('request', 'ping', wrapper);
}

/** Abort listeners currently registered on `signal`. */
function listeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

describe('Job', () => {
  it('keeps its kind, message and wrapper, and starts unsettled', () => {
    const wrapper = new CallbackWrapper<unknown, Result<unknown, unknown>>('m', new AsyncSubject());
    const request = new Job('request', 'm', wrapper);
    const command = new Job('command', { type: 'log' }, undefined);

    expect([request.kind, request.message, request.wrapper, request.settled]).toEqual([
      'request',
      'm',
      wrapper,
      false,
    ]);
    expect([command.kind, command.message, command.wrapper, command.settled]).toEqual([
      'command',
      { type: 'log' },
      undefined,
      false,
    ]);
  });

  describe('signal', () => {
    it('is a live AbortSignal, the same one on every read', () => {
      const job = new Job('command', 'm', undefined);

      expect(job.signal).toBeInstanceOf(AbortSignal);
      expect(job.signal.aborted).toBe(false);
      expect(job.signal).toBe(job.signal);
    });

    it('is lazy: the caller signal is not listened to until the handler reads it', () => {
      const caller = new AbortController();
      const job = requestJob(caller.signal);

      expect(listeners(caller.signal)).toBe(0);
      void job.signal;
      expect(listeners(caller.signal)).toBe(1);
      void job.signal;
      expect(listeners(caller.signal)).toBe(1);
    });

    it('aborts with the reason of abort() called after it was read', () => {
      const job = new Job('command', 'm', undefined);
      const signal = job.signal;
      const onAbort = jest.fn();
      signal.addEventListener('abort', onAbort);
      const reason = new Error('server stopped');

      job.abort(reason);

      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBe(reason);
      expect(onAbort).toHaveBeenCalledTimes(1);
    });

    it('is born aborted, with the reason, when abort() came before the first read', () => {
      const job = new Job('command', 'm', undefined);
      const reason = new Error('server stopped');

      job.abort(reason);

      expect(job.signal.aborted).toBe(true);
      expect(job.signal.reason).toBe(reason);
    });

    it('keeps the first abort reason', () => {
      const job = new Job('command', 'm', undefined);
      const first = new Error('first');

      job.abort(first);
      job.abort(new Error('second'));

      expect(job.signal.reason).toBe(first);
    });

    it('an aborted job never listens to its caller', () => {
      const caller = new AbortController();
      const job = requestJob(caller.signal);

      job.abort(new Error('stopped'));
      void job.signal;

      expect(listeners(caller.signal)).toBe(0);
    });
  });

  describe('link to the caller signal', () => {
    it('aborts when the caller aborts, with the caller’s reason', () => {
      const caller = new AbortController();
      const job = requestJob(caller.signal);
      const signal = job.signal;
      const reason = new Error('caller timed out');

      caller.abort(reason);

      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBe(reason);
    });

    it('is born aborted when the caller had already aborted when it was read', () => {
      const caller = new AbortController();
      const reason = new Error('caller gave up');
      caller.abort(reason);

      const job = requestJob(caller.signal);

      expect(job.signal.aborted).toBe(true);
      expect(job.signal.reason).toBe(reason);
      expect(listeners(caller.signal)).toBe(0);
    });

    it('is not linked when the job is already settled on the first read', () => {
      const caller = new AbortController();
      const job = requestJob(caller.signal);
      job.settled = true;

      const signal = job.signal;
      caller.abort();

      expect(signal.aborted).toBe(false);
      expect(listeners(caller.signal)).toBe(0);
    });

    it('a job without a caller signal is never aborted but by abort()', () => {
      const job = requestJob();
      expect(job.signal.aborted).toBe(false);

      job.abort('stopped');
      expect(job.signal.aborted).toBe(true);
    });

    it('release() removes the link: a later caller abort no longer reaches the job', () => {
      const caller = new AbortController();
      const job = requestJob(caller.signal);
      const signal = job.signal;
      expect(listeners(caller.signal)).toBe(1);

      job.release();

      expect(listeners(caller.signal)).toBe(0);
      caller.abort();
      expect(signal.aborted).toBe(false);
    });

    it('release() is idempotent, and harmless before the signal was read', () => {
      const caller = new AbortController();
      const job = requestJob(caller.signal);

      job.release();
      void job.signal;
      job.release();
      job.release();

      expect(listeners(caller.signal)).toBe(0);
    });

    it('abort() removes the link too', () => {
      const caller = new AbortController();
      const job = requestJob(caller.signal);
      const signal = job.signal;
      const reason = new Error('server stopped');

      job.abort(reason);
      caller.abort(new Error('too late'));

      expect(listeners(caller.signal)).toBe(0);
      expect(signal.reason).toBe(reason);
    });

    it('leaves no listener behind over many jobs on one long-lived caller signal', () => {
      const caller = new AbortController();
      for (let i = 0; i < 1_000; i++) {
        const job = requestJob(caller.signal);
        void job.signal;
        if (i % 2 === 0) job.release();
        else job.abort('done');
      }

      expect(listeners(caller.signal)).toBe(0);
    });
  });
});
