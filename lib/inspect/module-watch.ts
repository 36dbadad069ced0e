// inspect: one watched module — its events$, errors$ and deadLetters$ folded into counters, two
// latency windows and a timeline ring. Per message event: one slot of the ring reused in place
// (an object per ring position, made once), one sample store; nothing else is allocated and
// nothing is kept beyond the ring. The message and error values stay referenced from their slot
// until it is reused, and are turned into text only when a snapshot includes them.
import type { Subscription } from 'rxjs';

import type { DeadLetter } from '../dead-letter.js';
import type { MessageOutcome, ModuleEvent } from '../module-event.js';
import type { ModuleError, ModuleServer } from '../module-server-types.js';
import type { ModuleSnapshot, TimelineEntry } from './inspector-snapshot.js';
import { errorPreviewOf, previewOf } from './preview.js';
import { SampleWindow } from './sample-window.js';

/** What a module watch needs from its inspector. */
export interface WatchContext {
  readonly timelineSize: number;
  readonly latencySamples: number;
  readonly depthPoints: number;
  readonly sampleMs: number;
  now(): number;
  /** The next change number (shared by every module, so one cursor covers them all). */
  nextRev(): number;
  deadLetter(watch: ModuleWatch, letter: DeadLetter<unknown>): void;
  error(watch: ModuleWatch, error: ModuleError<unknown, unknown>): void;
}

/** One position of the timeline ring, reused for each message that lands on it. */
class Slot {
  id = 0;
  kind: 'request' | 'command' = 'command';
  message: unknown = undefined;
  acceptedAt = NaN;
  startedAt = NaN;
  settledAt = NaN;
  outcome: MessageOutcome | undefined = undefined;
  error: unknown = undefined;
  rev = 0;
  /** The texts, made at the first snapshot that includes the slot (and dropped on reuse). */
  messageText: string | undefined = undefined;
  errorText: string | undefined = undefined;
}

const NO_TEXT = undefined;

export class ModuleWatch {
  readonly #ring: (Slot | undefined)[];
  readonly #queueWait: SampleWindow;
  readonly #handling: SampleWindow;
  readonly #depth: Float64Array;
  #depthNext = 0;
  #depthCount = 0;
  readonly #outcomes = { ok: 0, error: 0, timeout: 0, cancelled: 0 };
  #deadLetters = 0;
  #errors = 0;
  #restarts = 0;
  #lastHandled = 0;
  #throughput = 0;
  #stopped: { readonly reason: string; readonly at: number } | undefined;
  #watching = true;
  readonly #subscriptions: Subscription[] = [];

  constructor(
    readonly name: string,
    readonly serial: number,
    readonly server: ModuleServer<unknown, unknown>,
    /** The module's channel, when a dispatcher was given: how a bus subscription finds it. */
    readonly channel: object | undefined,
    readonly context: WatchContext,
  ) {
    this.#ring = new Array<Slot | undefined>(context.timelineSize);
    this.#queueWait = new SampleWindow(context.latencySamples);
    this.#handling = new SampleWindow(context.latencySamples);
    this.#depth = new Float64Array(context.depthPoints);
    this.#lastHandled = server.stats().handled;
    // Each stream is subscribed once per watch; the callbacks are made here, not per message.
    this.#subscriptions.push(
      server.events$.subscribe((event) => this.#onEvent(event)),
      server.errors$.subscribe((error) => {
        this.#errors++;
        context.error(this, error);
      }),
      server.deadLetters$.subscribe((letter) => {
        this.#deadLetters++;
        context.deadLetter(this, letter);
      }),
    );
    // events$ of a server that had already stopped completes without a `stopped` event.
    void server.stopped.then(() => this.#stop('the module server stopped', context.now()));
  }

  get isStopped(): boolean {
    return this.#stopped !== undefined;
  }

  /** Stops recording: unsubscribes from the server's streams. */
  unwatch(): void {
    this.#watching = false;
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#subscriptions.length = 0;
  }

  /** Called once per sampling tick: the queue depth and the throughput. */
  sample(): void {
    const stats = this.server.stats();
    this.#depth[this.#depthNext] = stats.queued;
    this.#depthNext = (this.#depthNext + 1) % this.#depth.length;
    if (this.#depthCount < this.#depth.length) this.#depthCount++;
    this.#throughput = ((stats.handled - this.#lastHandled) * 1_000) / this.context.sampleMs;
    this.#lastHandled = stats.handled;
  }

  snapshot(): ModuleSnapshot {
    const stats = this.server.stats();
    const stopped = this.#stopped;
    const depth: number[] = [];
    const first = (this.#depthNext - this.#depthCount + this.#depth.length) % this.#depth.length;
    for (let i = 0; i < this.#depthCount; i++)
      depth.push(this.#depth[(first + i) % this.#depth.length] as number);
    return {
      name: this.name,
      serial: this.serial,
      status: stopped !== undefined ? 'stopped' : stats.running > 0 ? 'running' : 'idle',
      ...(stopped !== undefined && { stopReason: stopped.reason, stoppedAt: stopped.at }),
      stats: { queued: stats.queued, running: stats.running, handled: stats.handled, failed: stats.failed },
      outcomes: { ...this.#outcomes },
      throughput: stopped !== undefined ? 0 : this.#throughput, // a stopped module is not sampled
      depth,
      queueWait: this.#queueWait.percentiles(),
      handling: this.#handling.percentiles(),
      deadLetters: this.#deadLetters,
      errors: this.#errors,
      restarts: this.#restarts,
    };
  }

  /** The messages of the ring that changed after `since`, oldest first, at most the newest `limit`. */
  timeline(since: number, limit: number): TimelineEntry[] {
    const changed: Slot[] = [];
    for (const slot of this.#ring) if (slot !== undefined && slot.rev > since) changed.push(slot);
    changed.sort((a, b) => a.id - b.id);
    const kept = changed.length > limit ? changed.slice(changed.length - limit) : changed;
    return kept.map((slot) => this.#entryOf(slot));
  }

  #entryOf(slot: Slot): TimelineEntry {
    slot.messageText ??= previewOf(slot.message);
    if (slot.outcome !== undefined && slot.outcome !== 'ok' && slot.errorText === NO_TEXT)
      slot.errorText = errorPreviewOf(slot.error);
    return {
      module: this.name,
      serial: this.serial,
      id: slot.id,
      kind: slot.kind,
      ...(!Number.isNaN(slot.acceptedAt) && { acceptedAt: slot.acceptedAt }),
      ...(!Number.isNaN(slot.startedAt) && { startedAt: slot.startedAt }),
      ...(!Number.isNaN(slot.settledAt) && { settledAt: slot.settledAt }),
      ...(slot.outcome !== undefined && { outcome: slot.outcome }),
      message: slot.messageText,
      ...(slot.errorText !== undefined && { error: slot.errorText }),
    };
  }

  #onEvent(event: ModuleEvent<unknown>): void {
    switch (event.type) {
      case 'accepted': {
        const slot = this.#slotOf(event.id);
        if (slot === undefined) return;
        slot.kind = event.kind;
        slot.message = event.message;
        slot.acceptedAt = event.at;
        slot.rev = this.context.nextRev();
        return;
      }
      case 'started': {
        if (event.queuedMs !== undefined) this.#queueWait.push(event.queuedMs);
        const slot = this.#slotOf(event.id);
        if (slot === undefined) return;
        slot.kind = event.kind;
        slot.message = event.message;
        slot.startedAt = event.at;
        slot.rev = this.context.nextRev();
        return;
      }
      case 'settled': {
        this.#outcomes[event.outcome]++;
        if (event.handlingMs !== undefined) this.#handling.push(event.handlingMs);
        const slot = this.#slotOf(event.id);
        if (slot === undefined) return;
        slot.kind = event.kind;
        slot.message = event.message;
        slot.settledAt = event.at;
        slot.outcome = event.outcome;
        slot.error = event.error;
        slot.rev = this.context.nextRev();
        return;
      }
      case 'restarted':
        this.#restarts++;
        return;
      case 'stopped':
        this.#stop(event.reason, this.context.now());
        return;
    }
  }

  /**
   * The slot of message `id`: its own, or the position it lands on when that holds an older
   * message (which falls out of the ring). `undefined` when a newer message holds it: `id` has
   * fallen out already (it waited behind a whole ring of later messages).
   */
  #slotOf(id: number): Slot | undefined {
    const at = id % this.#ring.length;
    let slot = this.#ring[at];
    if (slot === undefined) this.#ring[at] = slot = new Slot();
    else if (slot.id === id) return slot;
    else if (slot.id > id) return undefined;
    slot.id = id;
    slot.acceptedAt = NaN;
    slot.startedAt = NaN;
    slot.settledAt = NaN;
    slot.outcome = undefined;
    slot.error = undefined;
    slot.messageText = NO_TEXT;
    slot.errorText = NO_TEXT;
    return slot;
  }

  #stop(reason: string, at: number): void {
    if (this.#stopped !== undefined || !this.#watching) return;
    this.#stopped = { reason, at };
    this.context.nextRev();
  }
}
