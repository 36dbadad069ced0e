import { Component, inject, PLATFORM_ID, signal } from '@angular/core';
import { isPlatformServer } from '@angular/common';
import { map, type Observable, timer } from 'rxjs';
import type { SparkGenericModuleHandler } from 'spark-channel';
import { injectModule } from 'spark-channel/angular';

type ReportRequest = { type: 'GetReport'; key: string };
export interface Report {
  readonly key: string;
  readonly values: readonly number[];
  readonly answeredOn: 'server' | 'browser';
}

/** Answers after a short wait, as a module calling a backend would: the render has to wait for it. */
class ReportHandler implements SparkGenericModuleHandler<ReportRequest, Report> {
  readonly #answeredOn = isPlatformServer(inject(PLATFORM_ID)) ? 'server' : 'browser';

  handleRequest({ key }: ReportRequest): Observable<Report> {
    return timer(20).pipe(map(() => ({ key, values: [1, 2, 3], answeredOn: this.#answeredOn })));
  }

  handleCommand(): void {
    throw new Error('the report module takes requests only');
  }
}

/**
 * Asks its own module for a report as it is created. On the server, the module's pending task
 * keeps the render waiting until the answer is in, so the HTML Angular sends holds it; the
 * module stops when the render's application is destroyed.
 */
@Component({
  selector: 'app-rendered-report',
  template: `
    <section>
      <h2>Report</h2>
      <output data-testid="report">{{ report() }}</output>
    </section>
  `,
})
export class RenderedReport {
  readonly #reports = injectModule(new ReportHandler());
  protected readonly report = signal('loading…');

  constructor() {
    void this.#load();
  }

  async #load(): Promise<void> {
    try {
      const { key, values, answeredOn } = await this.#reports.dispatcher.request({
        type: 'GetReport',
        key: 'user123',
      });
      this.report.set(`${key} → [${values.join(', ')}], answered on the ${answeredOn}`);
    } catch (error: unknown) {
      this.report.set(`report failed: ${String(error)}`);
    }
  }
}
