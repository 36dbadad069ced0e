// A handler that went asynchronous: its promise adopted, or its observable followed, until the
// loop can settle it. Per asynchronous job: the `then` of its promise (a native promise shares
// the server's callbacks, AwaitSlot), or an observable's observer; the loop's inner
// subscription is the batch's, shared by every job of the batch.
import { EmptyError, type Observable, type Observer, take, type Unsubscribable } from 'rxjs';

import { onAbort } from '../signal/abort-fanout.js';
import { canGiveUp } from '../signal/cancellable-wrapper.js';
import type { Job } from './job.js';
import { Shape, shapeOf } from './shape.js';

/** What following needs of the loop: one object per server, built once. */
export interface Settler {
  /** The job is done: answer, then go on with the next message. */
  finish(job: Job, ok: boolean, value: unknown): void;
  /** The caller gave up while the job's observable ran: settle it as cancelled. */
  cutOff(job: Job): void;
  /** Runs `subscribe` inside the instrumentation's `run` (a job with a record only). */
  run(job: Job, subscribe: () => Unsubscribable): Unsubscribable;
  log(level: 'error' | 'warn', ...args: unknown[]): void;
}

/**
 * Adopts handlers' promises for one server with one pair of callbacks instead of a pair per job
 * (a context and two closures: 168 B of the 1.1 kB a pipelined request with an async handler
 * allocated). It can hold one promise at a time: the default loop awaits one job at a time, so
 * that is every promise of the loop; another that comes while it is taken (under
 * `concurrency`, or a promise that never settled) gets callbacks of its own from
 * {@link awaitJob}. Only an instance of the global `Promise` whose `then` is its prototype's is
 * held here: a promise calls exactly one of its callbacks, once, so the shared pair always
 * answers the job it was given for (an object that only inherits from `Promise.prototype` makes
 * that `then` throw, and the job fails with it, as `await` would).
 */
export class AwaitSlot {
  #job: Job | undefined;
  readonly #onValue = (value: unknown): void => this.#settled(true, value);
  readonly #onError = (error: unknown): void => this.#settled(false, error);

  constructor(private readonly loop: Settler) {}

  /** As {@link awaitJob}. */
  adopt(job: Job, thenable: PromiseLike<unknown>): undefined {
    if (this.#job !== undefined || !(thenable instanceof Promise)) return awaitJob(this.loop, job, thenable);
    try {
      // An own `then` (or a getter) is anybody's: read once, and trusted only if it is the
      // prototype's. Read unbound, then called on its promise.
      // eslint-disable-next-line @typescript-eslint/unbound-method
      const then = thenable.then;
      if (then !== Promise.prototype.then) return awaitJob(this.loop, job, thenable);
      this.#job = job;
      void then.call(thenable, this.#onValue, this.#onError); // the promise it returns follows ours: nobody needs it
    } catch (error: unknown) {
      // A throwing `then` getter, or a `constructor` (read by `then` for the promise it makes)
      // that throws: as `await` would, the job fails with it.
      this.#job = undefined;
      this.loop.finish(job, false, error);
    }
    return undefined;
  }

  #settled(ok: boolean, value: unknown): void {
    const job = this.#job as Job;
    this.#job = undefined; // free before the loop goes on: the next job may take it
    this.loop.finish(job, ok, value);
  }
}

/** Adopts a handler's thenable exactly as `await` would. Nothing to tear down: a promise runs on. */
export function awaitJob(loop: Settler, job: Job, thenable: PromiseLike<unknown>): undefined {
  let done = false; // a foreign thenable may call back twice, or throw after calling back
  const onValue = (value: unknown): void => {
    if (done) return;
    done = true;
    loop.finish(job, true, value);
  };
  const onError = (error: unknown): void => {
    if (done) return;
    done = true;
    loop.finish(job, false, error);
  };
  try {
    // Promise.resolve adopts a foreign thenable exactly as `await` would (a throwing `then`
    // rejects, a second callback is ignored) and hands a native promise back as it is.
    Promise.resolve(thenable).then(onValue, onError);
  } catch (error: unknown) {
    onError(error); // a native promise whose own `then` was replaced, and throws
  }
  return undefined;
}

/**
 * Follows a handler's observable: a request takes its first value and unsubscribes at once
 * (`take(1)`: even a synchronous source is cut off after one value), a command runs to
 * completion. A request whose caller gives up while it runs is cut off too: unsubscribing is
 * how RxJS cancels, so the slot frees without waiting for the source. Returns the teardown that
 * unsubscribes it (the loop calls it when the job is settled or the server stops).
 */
export function followJob(loop: Settler, job: Job, source: Observable<unknown>): () => void {
  const request = job.wrapper !== undefined;
  let answered = false;
  const observer: Partial<Observer<unknown>> = {
    next: (value) => {
      if (!request || answered) return;
      answered = true;
      answer(loop, job, value);
    },
    error: (error: unknown) => {
      if (answered) return;
      answered = true;
      loop.finish(job, false, error);
    },
    complete: () => {
      if (answered) return;
      answered = true;
      if (request) loop.finish(job, false, new EmptyError());
      else loop.finish(job, true, undefined);
    },
  };
  const stopWatching = request ? watchCaller(loop, job) : undefined;
  let subscription: Unsubscribable | undefined;
  try {
    const followed = request ? take<unknown>(1)(source) : source;
    // Subscribing runs the observable's work: inside the instrumentation's `run` too.
    subscription =
      job.record === undefined
        ? followed.subscribe(observer)
        : loop.run(job, () => followed.subscribe(observer));
  } catch (error: unknown) {
    observer.error?.(error); // a foreign observable whose lift or subscribe throws
  }
  return () => {
    stopWatching?.();
    try {
      subscription?.unsubscribe();
    } catch (error: unknown) {
      loop.log('error', "spark-channel: a handler's observable threw while unsubscribing:", error);
    }
  };
}

/**
 * An observable's first value answers the request, but a thenable is adopted first, as a
 * promise handler's result is: resolving the caller's promise with it would adopt it out of
 * our reach, and one that never settles would leave the caller pending even after a stop.
 */
function answer(loop: Settler, job: Job, value: unknown): void {
  let shape: Shape;
  try {
    shape = shapeOf(value);
  } catch (error: unknown) {
    return loop.finish(job, false, error);
  }
  if (shape !== Shape.Promise) return loop.finish(job, true, value);
  let done = false;
  const settle = (ok: boolean, result: unknown): void => {
    if (done) return;
    done = true;
    loop.finish(job, ok, result);
  };
  try {
    Promise.resolve(value as PromiseLike<unknown>).then(
      (result) => settle(true, result),
      (error: unknown) => settle(false, error),
    );
  } catch (error: unknown) {
    settle(false, error);
  }
}

/** Cuts the running observable of `job` off when its caller gives up on it. */
function watchCaller(loop: Settler, job: Job): (() => void) | undefined {
  const wrapper = job.wrapper as NonNullable<Job['wrapper']>;
  if (!canGiveUp(wrapper)) return undefined;
  try {
    return onAbort(wrapper.signal as AbortSignal, () => {
      if (!job.settled) loop.cutOff(job);
    });
  } catch {
    /* istanbul ignore next -- the channel admits only signals that passed checkSignal */
    return undefined;
  }
}
