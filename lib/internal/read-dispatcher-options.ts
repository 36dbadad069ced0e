// A dispatcher's options, checked and read once (not per request).
import type { SchedulerLike } from 'rxjs';

import { monotonicScheduler } from './time/clock.js';
import { RateLimiter } from './time/rate-limiter.js';
import { checkOptions, checkPositiveInteger, checkPositiveNumber, checkScheduler } from './validate.js';

/** What a dispatcher keeps of its options. */
export interface DispatcherArguments {
  readonly scheduler: SchedulerLike;
  readonly timeoutMs: number;
  readonly limiter: RateLimiter | undefined;
}

/**
 * Reads `options` once: a getter cannot pass the check and then answer differently.
 *
 * @throws TypeError naming `options`, `rateLimit` or `scheduler` when they are not objects or
 * reading them throws (a getter, a Proxy trap: its error is the cause).
 * @throws RangeError naming `timeoutMs`, `rateLimit.limit` or `rateLimit.intervalMs` when bad.
 */
export function readDispatcherOptions(options: unknown): DispatcherArguments {
  checkOptions('options', options);
  let scheduler: unknown, timeoutMs: unknown, rateLimit: unknown;
  try {
    ({ scheduler, timeoutMs, rateLimit } = (options ?? {}) as Record<string, unknown>);
  } catch (error: unknown) {
    throw unreadable('options', error);
  }
  const clock = scheduler === undefined ? monotonicScheduler : readScheduler(scheduler);
  const timeout = timeoutMs === undefined ? Infinity : checkPositiveNumber('timeoutMs', timeoutMs, true);
  if (rateLimit === undefined) return { scheduler: clock, timeoutMs: timeout, limiter: undefined };
  checkOptions('rateLimit', rateLimit);
  let limit: unknown, intervalMs: unknown;
  try {
    ({ limit, intervalMs } = rateLimit as { limit: unknown; intervalMs: unknown });
  } catch (error: unknown) {
    throw unreadable('rateLimit', error);
  }
  const limiter = new RateLimiter(
    checkPositiveInteger('rateLimit.limit', limit),
    checkPositiveNumber('rateLimit.intervalMs', intervalMs, false),
    clock,
  );
  return { scheduler: clock, timeoutMs: timeout, limiter };
}

/** The TypeError of an option whose getter or Proxy trap threw: it names the option, the error is its cause. */
function unreadable(name: string, cause: unknown): TypeError {
  return new TypeError(`Expected \`${name}\` to be an object that can be read, but reading it threw`, {
    cause,
  });
}

/**
 * `scheduler`, read once: its `now` and `schedule` must be functions.
 *
 * @throws TypeError naming `scheduler` when they are not, or reading them throws.
 */
function readScheduler(value: unknown): SchedulerLike {
  let now: unknown, schedule: unknown;
  if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
    try {
      ({ now, schedule } = value as Partial<SchedulerLike>);
    } catch (error: unknown) {
      throw unreadable('scheduler', error);
    }
  }
  if (typeof now === 'function' && typeof schedule === 'function') return value as SchedulerLike;
  return checkScheduler(value); // not a scheduler: its TypeError says so
}
