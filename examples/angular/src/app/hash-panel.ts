import { Component, DestroyRef, inject, signal } from '@angular/core';
import { isSparkChannelError, type MessageOf, type ResponseOf, TypedDispatcher } from 'spark-channel';
import { spawnWebWorkerModule } from 'spark-channel/web-worker';

import type { HashApi, HashStats } from './hash-api';
import { sha256, toHex } from './sha256';

/**
 * Hashes in a Web Worker through spark-channel/web-worker, while the page keeps drawing: the
 * spinner turns on requestAnimationFrame (the main thread), so it stops if the main thread is busy;
 * a CSS animation would not (the compositor runs it).
 */
@Component({
  selector: 'app-hash-panel',
  template: `
    <div class="actions">
      <label
        >rounds <input type="number" data-testid="hash-rounds" [value]="rounds()" (input)="setRounds($event)"
      /></label>
      <button type="button" data-testid="hash" (click)="hash()" [disabled]="hashing()">
        Hash in a worker
      </button>
      <button type="button" data-testid="hash-cancel" (click)="cancel()" [disabled]="!hashing()">
        Cancel
      </button>
      <button type="button" data-testid="hash-here" (click)="hashHere()" [disabled]="hashing()">
        Hash on this page
      </button>
      <button type="button" data-testid="hash-crash" (click)="crash()">Crash the worker</button>
      <button type="button" data-testid="tick" (click)="ticks.set(ticks() + 1)">Tick</button>
    </div>
    <p>
      <span class="spinner" data-testid="spinner" [style.transform]="'rotate(' + angle() + 'deg)'"></span>
      <output data-testid="hash-status">{{ status() }}</output>
      <small
        >frames drawn while hashing: <span data-testid="frames">{{ frames() }}</span>, ticks:
        <span data-testid="ticks">{{ ticks() }}</span></small
      >
    </p>
    <output data-testid="hash-result">{{ result() }}</output>
    <small data-testid="hash-stats">{{ statsText() }}</small>
  `,
  styles: `
    .spinner {
      display: inline-block;
      width: 1rem;
      height: 1rem;
      margin-right: 0.5rem;
      border: 3px solid #3b5bdb;
      border-right-color: transparent;
      border-radius: 50%;
      vertical-align: middle;
    }
    output {
      display: inline-block;
    }
  `,
})
export class HashPanel {
  /** The module: its handler runs in hash.worker.ts, in a Web Worker Angular's builder bundles. */
  readonly #module = spawnWebWorkerModule<MessageOf<HashApi>, ResponseOf<HashApi>>(
    () => new Worker(new URL('./hash.worker', import.meta.url), { type: 'module' }),
    { timeoutMs: 120_000 },
  );
  readonly #hashes = new TypedDispatcher<HashApi>(this.#module.dispatcher);
  #controller: AbortController | undefined;
  #spinning = false;

  protected readonly rounds = signal(10_000);
  protected readonly hashing = signal(false);
  protected readonly status = signal('idle');
  protected readonly result = signal('no hash yet');
  protected readonly statsText = signal('');
  protected readonly frames = signal(0);
  protected readonly angle = signal(0);
  protected readonly ticks = signal(0);

  constructor() {
    // The module lives as long as the component: stopped (its worker terminated) on destroy.
    inject(DestroyRef).onDestroy(() => this.#module.server.stop());
    void this.refreshStats();
  }

  protected setRounds(event: Event): void {
    this.rounds.set(Number((event.target as HTMLInputElement).value));
  }

  protected async hash(): Promise<void> {
    this.#controller = new AbortController();
    this.hashing.set(true);
    this.status.set('hashing…');
    this.frames.set(0);
    this.#spin();
    const started = performance.now();
    try {
      const { hex, rounds, ranIn } = await this.#hashes.request(
        { type: 'Hash', text: 'spark-channel', rounds: this.rounds() },
        { signal: this.#controller.signal },
      );
      this.result.set(
        `${rounds} rounds: ${hex} (in a ${ranIn}, ${Math.round(performance.now() - started)} ms)`,
      );
      this.status.set('done');
    } catch (error: unknown) {
      this.status.set(describe(error));
    } finally {
      this.hashing.set(false);
      await this.refreshStats();
    }
  }

  /** The same rounds on the main thread, for comparison: the page is frozen until they are done. */
  protected hashHere(): void {
    const started = performance.now();
    let digest: Uint8Array = new TextEncoder().encode('spark-channel');
    for (let i = 0; i < this.rounds(); i++) digest = sha256(digest);
    const ms = Math.round(performance.now() - started);
    this.result.set(`${this.rounds()} rounds: ${toHex(digest)} (on this page, ${ms} ms)`);
    this.status.set('done');
  }

  protected cancel(): void {
    this.#controller?.abort();
  }

  protected async crash(): Promise<void> {
    try {
      await this.#hashes.request({ type: 'Crash' });
    } catch (error: unknown) {
      this.status.set(describe(error));
    }
    await this.refreshStats();
  }

  /** Asks the worker what it has done: queued behind a cancelled hash until its handler stops. */
  protected async refreshStats(): Promise<void> {
    const { worker, completed, aborted }: HashStats = await this.#hashes.request({ type: 'Stats' });
    this.statsText.set(`worker ${worker}: ${completed} completed, ${aborted} aborted`);
  }

  /** One turn of the spinner per frame while hashing: main-thread frames, counted. */
  #spin(): void {
    // One loop at a time: a hash started within a frame of the last one's end finds it running.
    if (this.#spinning) return;
    this.#spinning = true;
    const frame = (): void => {
      if (!this.hashing()) {
        this.#spinning = false;
        return;
      }
      this.frames.update((n) => n + 1);
      this.angle.update((deg) => (deg + 6) % 360);
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }
}

function describe(error: unknown): string {
  if (isSparkChannelError(error)) return `failed: ${error.code}`;
  return `failed: ${error instanceof Error ? error.message : String(error)}`;
}
