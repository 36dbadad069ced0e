import { Injectable, inject } from '@angular/core';
import { ModuleService } from 'spark-channel/angular';

import { AppInspector } from './app-inspector';
import { type DataMessage, type DataResponse, DataHandler, isData } from './data.handler';

/**
 * The module as an injectable service: one server for the whole app, stopped when the app is
 * destroyed. `stats`, `errors` and `isRunning` are signals inherited from ModuleService.
 */
@Injectable({ providedIn: 'root' })
export class DataService extends ModuleService<DataMessage, DataResponse> {
  constructor() {
    super(new DataHandler(), { capacity: 32, maxErrors: 5 });
    inject(AppInspector).inspector.watch('data', this.server); // the inspector panel's card
  }

  async getData(key: string): Promise<number[]> {
    const response = await this.dispatcher.request(
      { type: 'GetData', key },
      { guard: isData, timeoutMs: 1_000 },
    );
    return response.data;
  }

  logEvent(event: string, workMs = 0): Promise<void> {
    return this.dispatcher.sendCommand({ type: 'LogEvent', event, workMs });
  }

  /** A command the handler refuses: its failure reaches `errors`, never this caller. */
  sendUnsupportedCommand(): Promise<void> {
    return this.dispatcher.sendCommand({ type: 'UpdateData', key: 'user123', value: 4 });
  }
}
