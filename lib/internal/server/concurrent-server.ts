// The loop under `concurrency` or `key`: messages are emitted one at a time through mergeMap,
// up to `concurrency` handlers at once, started in order (per key, with `key`). Everything
// else (handling, settlement, stopping) is the default loop's, in lib/module-server.ts.
import { EMPTY, mergeMap, Observable, type OperatorFunction } from 'rxjs';

import { type AnyMessage, type Emission, ModuleServerLoop } from '../../module-server.js';
import { RESOLVED } from '../reply.js';
import type { Job } from './job.js';

/** A module server that runs up to `concurrency` handlers at once (one per key with `key`). */
export class ConcurrentServer<M, R, E> extends ModuleServerLoop<M, R, E> {
  #pumping = false;

  override wake(): void {
    this.statsStream?.woke();
    this.feed();
  }

  /** Emits queued messages one by one while a handler slot is free. */
  protected override feed(): void {
    if (this.#pumping || this.isStopped) return;
    this.#pumping = true;
    try {
      while (this.running < this.concurrency) {
        // A Shutdown waits until everything sent before it has finished.
        const message = this.port.take(this.running === 0);
        if (message === undefined) break;
        if (message.type === 'Shutdown') {
          this.shutdown(message.token);
          break;
        }
        this.running++;
        this.incoming.next(message);
        if (this.isStopped) break;
      }
    } finally {
      this.#pumping = false;
    }
  }

  protected override project(): OperatorFunction<Emission, never> {
    return mergeMap((message) => this.#start(message as AnyMessage), this.concurrency);
  }

  /**
   * Handles `first` and, while handlers answer synchronously and a slot is free, the messages
   * queued behind it (a run): one inner subscription for the run.
   */
  #start(first: AnyMessage): Observable<never> {
    for (let message: AnyMessage | undefined = first; ;) {
      const job = this.handle(message);
      if (job !== undefined) {
        return new Observable<never>((subscriber) => {
          job.inner = subscriber;
          if (job.settled) return subscriber.complete(); // a stop came first
          return () => job.unfollow();
        });
      }
      if (this.isStopped || this.running >= this.concurrency) return EMPTY;
      message = this.port.take(false); // a Shutdown ends the run; feed takes it
      if (message === undefined) return EMPTY;
      this.running++;
    }
  }

  protected override track(job: Job): void {
    this.active.add(job);
  }

  protected override goOn(job: Job): void {
    this.active.delete(job);
    job.inner?.complete(); // mergeMap frees the slot before anything new is fed to it
    this.feed();
  }

  protected override goOnLater(job: Job): void {
    this.active.delete(job);
    job.inner?.complete();
    const feed = (): void => this.feed();
    this.scheduleOnClock(feed);
    void RESOLVED.then(feed);
  }
}
