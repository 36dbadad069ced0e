// Per timed request: nothing of its own, the request is its own entry (a `Timed`). A bucket (this
// class, its ring and one timer) is shared by every pending request of one duration.
import type { SchedulerLike, Subscription } from 'rxjs';
// RxJS's timer provider: the global `setTimeout`, unless `TestScheduler.run` has patched in
// virtual time (as it patches the clock's `performanceTimestampProvider`).
import { timeoutProvider } from 'rxjs/internal/scheduler/timeoutProvider';

import { monotonicScheduler, timerDelay } from './clock.js';

/** Something with a deadline in a {@link Deadlines} bucket: told once when it passes. */
export interface Timed {
  /** When it is due, on the bucket's clock; set by {@link Deadlines.arm}. */
  dueAt: number;
  /** The bucket it is pending in; `undefined` once it fired or was cancelled. */
  timedBy: Deadlines | undefined;
  /** Its deadline passed. */
  onDeadline(): void;
}

/** A Node timer (browsers and `TestScheduler` hand out numbers, which have neither). */
interface Refable {
  ref?: () => unknown;
  unref?: () => unknown;
}

// The platform's own timer functions, as found at load. Only a timer they made is kept across
// idle periods: fake timers (jest's, vitest's) and patched ones belong to tests, which count
// timers and expect a settled request to leave none.
const platformSetTimeout = globalThis.setTimeout;
const platformClearTimeout = globalThis.clearTimeout;
const platformQueueMicrotask = globalThis.queueMicrotask;

/**
 * The most queued requests one clock reading serves ({@link Deadlines.armQueued}): a reading costs
 * more than a quarter of a timed request in a burst (Node's `performance.now()`, 40–50 ns here),
 * and 32 sends take about 10 µs, which is all a timeout can start late by.
 */
const STAMP_WINDOW = 32;
/**
 * A window of queued sends that took longer than this (the caller does real work between them)
 * shrinks to one: each is then read at once, so a slow run never starts its timeouts late by
 * more than one window.
 */
const SLOW_WINDOW_MS = 1;
/**
 * Queued requests read at once, each soon after the one before, before the window grows past
 * one: callers that queue one request per turn (clients each awaiting their answer) would
 * otherwise pay a microtask per request and save no reading.
 */
const STREAK_TO_GROW = 8;

/**
 * What made a bucket read the clock for the entries waiting: the window filled, the synchronous
 * run ended (the microtask), or a request read at once came after them.
 */
type Stamp = 'full' | 'run-end' | 'flush';

/**
 * The number of timeout buckets a dispatcher holds (pending ones, and at most one idle spare):
 * @internal for the tests that check idle buckets are let go.
 */
export const kDeadlineBuckets = Symbol('spark-channel.deadlineBuckets');

/**
 * Timeouts of one duration expire in the order they were set, so one timer serves them all:
 * adding a timeout is a push, not a timer of its own (a timer costs more than the rest of a
 * request). `onIdle` hears when none is pending, so whoever keeps buckets by duration can let
 * this one go ({@link release}).
 *
 * On the default clock, on the platform's own timers, the timer is a `setTimeout` kept across
 * idle periods: unref'd while idle (it then keeps no process alive and, firing, finds nothing to
 * do), ref'd again by the next timeout, so a caller awaiting one request after another does not
 * create and clear a timer each. One that wakes before the head is due sleeps again for the
 * rest. Anywhere else (fake or patched timers, `TestScheduler.run`, any other scheduler, none of
 * which a test expects to find a timer left on) the timer is cleared as soon as no timeout is
 * pending. Time comes from the module's clock (by default `performance.now()`),
 * so fake timers and `TestScheduler` drive it. A duration longer than a timer can take (2³¹−1 ms)
 * is waited for in steps: each wake re-reads the clock.
 */
export class Deadlines {
  // A ring of the entries in due order; cancelled ones stay until they reach the head.
  #ring: (Timed | undefined)[] = new Array<Timed | undefined>(16);
  #mask = 15;
  #head = 0;
  #length = 0;
  #live = 0;
  #expiring = false;
  /** The due time the pending timer was set for; `Infinity` when none is pending. */
  #timerAt = Infinity;
  /** Whether the pending timer is one a timeout waits on (for the default clock: ref'd). */
  #armed = false;
  readonly #native: boolean;
  #action: Subscription | undefined;
  #timer: unknown;
  /** Whether `#timer` is the platform's, kept across idle periods. */
  #kept = false;
  #unrefQueued = false;
  /** How many entries at the ring's tail wait for a clock reading (due `Infinity` until then). */
  #unstamped = 0;
  /** How many queued entries the next reading may serve (1 … {@link STAMP_WINDOW}). */
  #window = 1;
  /** Queued entries that waited for a reading since the last one (cancelled ones too). */
  #waited = 0;
  /** Readings in a row, at a window of one, each soon after the one before. */
  #streak = 0;
  /** The last reading of the clock this bucket took. */
  #lastReading = -Infinity;
  #stampQueued = false;
  readonly #stampTask = (): void => {
    this.#stampQueued = false;
    this.#stamp('run-end');
  };

  constructor(
    readonly durationMs: number,
    readonly scheduler: SchedulerLike = monotonicScheduler,
    readonly onIdle?: (deadlines: Deadlines) => void,
  ) {
    this.#native = scheduler === monotonicScheduler;
  }

  /** Whether no timeout is pending. */
  get idle(): boolean {
    return this.#live === 0;
  }

  /** Calls `fire` after the duration unless the returned function is called first. */
  add(fire: () => void): () => void {
    const entry: Timed = { dueAt: 0, timedBy: undefined, onDeadline: fire };
    this.arm(entry, this.scheduler.now());
    return () => this.cancel(entry);
  }

  /**
   * Tells `entry` once the duration has passed since `startedAt` (a reading of this bucket's
   * clock), unless it is {@link cancel}led first.
   *
   * @throws whatever a foreign scheduler's `now()` or `schedule()` throws (`entry` is then not pending).
   */
  arm(entry: Timed, startedAt: number): void {
    // The ones waiting for a reading were sent before this one: they get theirs first.
    if (this.#unstamped > 0) this.#stamp('flush');
    this.#lastReading = startedAt;
    entry.dueAt = startedAt + this.durationMs;
    this.#push(entry);
    entry.timedBy = this;
    this.#live++;
    try {
      this.#armTimer();
    } catch (error: unknown) {
      this.cancel(entry);
      throw error;
    }
  }

  /**
   * As {@link arm} from a reading of the clock taken after this call, for a request that was
   * sent and is queued behind others (a burst, or clients overlapping): one reading serves up
   * to {@link STAMP_WINDOW} of them, taken when the window is full or, at the latest, in a
   * microtask at the end of the synchronous run. The timeout thus never starts before the send
   * and starts late by at most the sends of one window (microseconds), or by the caller's own
   * synchronous work after it, which no timer could have cut short; a window that took over
   * 1 ms shrinks to one request. The window grows (doubling, from one) only while requests
   * queue in runs: after {@link STREAK_TO_GROW} readings at one in quick succession, and back
   * to one when a run ends having made one request wait, or none. Anywhere but the default
   * clock on the platform's timers (fake timers, `TestScheduler`, a foreign scheduler: none of
   * which runs a microtask the way real time does) it is {@link arm} with a reading taken now.
   *
   * @throws whatever a foreign scheduler's `now()` or `schedule()` throws (`entry` is then not pending).
   */
  armQueued(entry: Timed): void {
    if (!this.#native || foreignTimers()) return this.arm(entry, this.scheduler.now());
    // Due after every entry in the ring (it was sent after them all): #push appends it.
    entry.dueAt = Infinity;
    this.#push(entry);
    entry.timedBy = this;
    this.#live++;
    if (++this.#unstamped >= this.#window) return this.#stamp('full');
    this.#waited++;
    if (!this.#stampQueued) {
      this.#stampQueued = true;
      platformQueueMicrotask(this.#stampTask);
    }
  }

  /** Gives the entries waiting for a reading their due time, from a reading taken now. */
  #stamp(why: Stamp): void {
    const count = this.#unstamped;
    const waited = this.#waited;
    this.#waited = 0;
    if (why === 'run-end' && waited < 2) this.#shrink(); // waiting saved no reading this run
    if (count === 0) return;
    this.#unstamped = 0;
    const now = this.scheduler.now(); // the default clock: it does not throw
    if (now - this.#lastReading > SLOW_WINDOW_MS) this.#shrink();
    else if (why === 'full' && (this.#window > 1 || ++this.#streak >= STREAK_TO_GROW))
      this.#window = Math.min(this.#window * 2, STAMP_WINDOW);
    this.#lastReading = now;
    const due = now + this.durationMs;
    const ring = this.#ring;
    const mask = this.#mask;
    // Cancelled ones among them get it too: harmless, they leave when they reach the head.
    for (let i = this.#length - count; i < this.#length; i++)
      (ring[(this.#head + i) & mask] as Timed).dueAt = due;
    this.#armTimer();
  }

  #shrink(): void {
    this.#window = 1;
    this.#streak = 0;
  }

  /** Makes sure the timer waits for the head, which has its due time (none waits for a reading). */
  #armTimer(): void {
    // While expiring, #expire schedules for whatever is left once it is done.
    if (this.#expiring) return;
    const due = (this.#ring[this.#head] as Timed).dueAt;
    // `!(>=)`: a NaN clock schedules too.
    if (!(due >= this.#timerAt) || (!this.#armed && this.#stale())) this.#schedule(due);
    else if (!this.#armed) this.#ref();
  }

  /** `entry` no longer waits for its deadline (nothing happens if it is not pending here). */
  cancel(entry: Timed): void {
    if (entry.timedBy !== this) return;
    entry.timedBy = undefined;
    this.#live--;
    if (this.#expiring) return; // #expire drops it, and goes idle after
    // Cancelled heads leave now: a bucket that never goes idle (clients that always keep one
    // request pending) would otherwise grow its ring without bound. Once none is pending, none
    // is left, and the ring is empty for the next.
    while (this.#length > 0 && (this.#ring[this.#head] as Timed).timedBy !== this) this.#shift();
    if (this.#live === 0) this.#idle();
  }

  /** The owner let this idle bucket go: its timer goes too, not to hold it until it fires. */
  release(): void {
    if (this.#live > 0) return;
    this.#cancelTimer();
  }

  #push(entry: Timed): void {
    if (this.#length > this.#mask) this.#grow();
    const ring = this.#ring;
    const mask = this.#mask;
    let at = this.#head + this.#length;
    // A request made by a synchronous handler on the stack of another's send is armed before
    // it: it walks back past the later ones, so the ring stays in due order.
    for (let before = ring[(at - 1) & mask]; at > this.#head; before = ring[(--at - 1) & mask]) {
      if ((before as Timed).dueAt <= entry.dueAt) break;
      ring[at & mask] = before;
    }
    ring[at & mask] = entry;
    this.#length++;
  }

  #shift(): Timed {
    const entry = this.#ring[this.#head] as Timed;
    this.#ring[this.#head] = undefined; // let the entry be collected
    this.#head = (this.#head + 1) & this.#mask;
    this.#length--;
    // The entries waiting for a reading are the ring's tail: never more than the ring holds.
    if (this.#unstamped > this.#length) this.#unstamped = this.#length;
    return entry;
  }

  #grow(): void {
    const size = this.#mask + 1;
    const ring = new Array<Timed | undefined>(size * 2);
    for (let i = 0; i < this.#length; i++) ring[i] = this.#ring[(this.#head + i) & this.#mask];
    this.#ring = ring;
    this.#mask = size * 2 - 1;
    this.#head = 0;
  }

  /** (Re)sets the timer for `due`, replacing any pending one. */
  #schedule(due: number): void {
    const left = due - this.scheduler.now();
    // Never longer than the duration: a clock that answers NaN waits the duration, as it did
    // before the clock was read here.
    const delay = timerDelay(left < this.durationMs ? left : this.durationMs);
    this.#cancelTimer();
    if (this.#native) {
      let timer: unknown = undefined;
      timer = timeoutProvider.setTimeout(() => this.#fired(timer), delay);
      this.#timer = timer;
      this.#kept = !foreignTimers() && typeof (timer as Refable).unref === 'function';
    } else {
      const action = this.scheduler.schedule(() => {
        this.#action = undefined;
        this.#timerAt = Infinity;
        this.#armed = false;
        this.#expire();
      }, delay);
      // A scheduler that runs the action at once has already expired what was due.
      if ((action as Subscription | undefined)?.closed === true) return;
      this.#action = action;
    }
    this.#timerAt = due;
    this.#armed = true;
  }

  #fired(timer: unknown): void {
    if (timer !== this.#timer) return; // one that was replaced, but could not be cleared
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#armed = false;
    if (this.#live > 0) this.#expire();
  }

  /** Whether the kept idle timer is on real time while fake timers now run the clock. */
  #stale(): boolean {
    return this.#kept && foreignTimers();
  }

  #ref(): void {
    (this.#timer as Refable | undefined)?.ref?.();
    this.#armed = true;
  }

  #cancelTimer(): void {
    this.#action?.unsubscribe();
    this.#action = undefined;
    if (this.#timer !== undefined) {
      // Cleared by the functions that made it. One of fake timers since uninstalled is not
      // cleared, but finds itself replaced if it ever fires.
      if (this.#kept) {
        // Ref'd again first: Node deletes a duration's timer list on clearTimeout only for a
        // ref'd timer, so clearing unref'd ones of ever new durations kept ~100 B a duration
        // for good (measured: 11 MB over 100,000 distinct timeouts).
        (this.#timer as Refable).ref?.();
        platformClearTimeout(this.#timer as Parameters<typeof clearTimeout>[0]);
      } else timeoutProvider.clearTimeout(this.#timer as Parameters<typeof timeoutProvider.clearTimeout>[0]);
      this.#timer = undefined;
      this.#kept = false;
    }
    this.#timerAt = Infinity;
    this.#armed = false;
  }

  #expire(): void {
    this.#expiring = true;
    try {
      const now = this.scheduler.now();
      while (this.#length > 0) {
        const head = this.#ring[this.#head] as Timed;
        if (head.timedBy === this && head.dueAt > now) break;
        this.#shift();
        if (head.timedBy !== this) continue; // cancelled
        head.timedBy = undefined;
        this.#live--;
        head.onDeadline();
      }
    } finally {
      // Also after a fire that threw: the timeouts still pending must not lose their timer.
      this.#expiring = false;
      if (this.#live === 0) this.#idle();
      // A head still waiting for its reading was queued by a fire just now: that reading, at the
      // latest in a microtask, arms the timer.
      else if ((this.#ring[this.#head] as Timed).dueAt !== Infinity)
        this.#schedule((this.#ring[this.#head] as Timed).dueAt);
    }
  }

  #idle(): void {
    if (!this.#kept) this.#cancelTimer();
    else if (this.#armed && !this.#unrefQueued) {
      // Unref'd at the next sweep, at most one macrotask later, unless a request arms it again
      // first: a loop of sequential requests would otherwise unref and ref the timer (two native
      // calls) on every request.
      this.#unrefQueued = true;
      queueUnref(this);
    }
    this.onIdle?.(this);
  }

  /** The sweep: still idle, so the kept timer no longer holds the process. */
  unrefIfIdle(): void {
    this.#unrefQueued = false;
    if (this.#live > 0 || !this.#armed || !this.#kept) return;
    (this.#timer as Refable | undefined)?.unref?.();
    this.#armed = false;
  }
}

/** Whether timers are not the platform's own now: faked, patched, or `TestScheduler.run`'s. */
/** The buckets that went idle since the last sweep. */
let idleBuckets: Deadlines[] = [];
let sweepQueued = false;

function queueUnref(deadlines: Deadlines): void {
  idleBuckets.push(deadlines);
  if (sweepQueued) return;
  sweepQueued = true;
  // On the platform's own timer (kept timers exist only there), unref'd: the sweep holds nothing.
  (platformSetTimeout(sweepIdle, 0) as Refable).unref?.();
}

function sweepIdle(): void {
  sweepQueued = false;
  const swept = idleBuckets;
  idleBuckets = [];
  for (const deadlines of swept) deadlines.unrefIfIdle();
}

function foreignTimers(): boolean {
  return timeoutProvider.delegate !== undefined || globalThis.setTimeout !== platformSetTimeout;
}
