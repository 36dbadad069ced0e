import { type Observable, timer } from 'rxjs';
import type { SparkGenericModuleHandler } from 'spark-channel';

// The README's messages (the Rust crate's example), with a simulated cost on LogEvent.
export type DataMessage =
  | { type: 'GetData'; key: string }
  | { type: 'UpdateData'; key: string; value: number }
  | { type: 'LogEvent'; event: string; workMs?: number };

export type DataResponse = { type: 'Data'; data: number[] } | { type: 'Success'; success: boolean };
export type Data = Extract<DataResponse, { type: 'Data' }>;
export const isData = (response: DataResponse): response is Data => response.type === 'Data';

/** Plain TypeScript, no Angular: the module's state and logic, one message at a time. */
export class DataHandler implements SparkGenericModuleHandler<DataMessage, DataResponse> {
  readonly #store = new Map<string, number[]>([['user123', [1, 2, 3]]]);

  handleRequest(request: DataMessage): DataResponse {
    switch (request.type) {
      case 'GetData':
        return { type: 'Data', data: this.#store.get(request.key) ?? [] };
      case 'UpdateData':
        this.#store.set(request.key, [...(this.#store.get(request.key) ?? []), request.value]);
        return { type: 'Success', success: true };
      case 'LogEvent':
        throw new Error('LogEvent received as request');
    }
  }

  handleCommand(command: DataMessage): Observable<unknown> {
    if (command.type !== 'LogEvent') throw new Error(`Unexpected command type: ${command.type}`);
    // A slow write somewhere: the next message waits for it, so the queue has something to show.
    return timer(command.workMs ?? 0);
  }
}
