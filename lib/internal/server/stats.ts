// A server's counters as a stream (`stats$`): at most one value per microtask while anything
// changed. Built on the first subscription; until then the loop pays one field read per message.
import { Subject, type Subscriber, type TeardownLogic } from 'rxjs';

import type { ModuleServerStats } from '../../module-server-types.js';
import type { ServerHooks } from './server-hooks.js';

export class StatsStream implements ServerHooks {
  readonly #subject = new Subject<ModuleServerStats>();
  #queued = false;

  constructor(
    readonly snapshot: () => ModuleServerStats,
    readonly isStopped: () => boolean,
  ) {}

  /** The current value on subscribe, then the changes; completes when the server stops. */
  subscribe(subscriber: Subscriber<ModuleServerStats>): TeardownLogic {
    subscriber.next(this.snapshot());
    if (this.isStopped()) return subscriber.complete();
    return this.#subject.subscribe(subscriber);
  }

  started(): void {
    this.#changed();
  }

  settled(): void {
    this.#changed();
  }

  woke(): void {
    this.#changed();
  }

  stopped(): void {
    this.#subject.next(this.snapshot());
    this.#subject.complete();
  }

  /** One microtask per burst of changes, and none while nobody subscribes. */
  #changed(): void {
    if (this.#queued || !this.#subject.observed) return;
    this.#queued = true;
    queueMicrotask(() => {
      this.#queued = false;
      if (!this.isStopped()) this.#subject.next(this.snapshot());
    });
  }
}
