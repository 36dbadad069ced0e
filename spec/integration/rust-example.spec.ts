// The Rust crate's own example (GetData / UpdateData / LogEvent), end to end: the request,
// command and shutdown flows as a user of the crate would write them in TypeScript.
import {
  ModuleChannel,
  type ModuleError,
  runModuleServer,
  SparkChannelCancellationToken,
  SparkChannelError,
  SparkGenericModuleDispatcher,
  type SparkGenericModuleHandler,
} from '../../lib/index.js';
import { recordingLogger } from '../support/helpers.js';

type MyMessage =
  | { type: 'GetData'; key: string }
  | { type: 'UpdateData'; key: string; value: number }
  | { type: 'LogEvent'; event: string };
type MyResponse = { type: 'Data'; data: number[] } | { type: 'Success'; success: boolean };

class MyHandler implements SparkGenericModuleHandler<MyMessage, MyResponse> {
  readonly store = new Map<string, number[]>();
  readonly events: string[] = [];

  async handleRequest(request: MyMessage): Promise<MyResponse> {
    await Promise.resolve(); // a real handler would do I/O here
    switch (request.type) {
      case 'GetData':
        return { type: 'Data', data: this.store.get(request.key) ?? [] };
      case 'UpdateData':
        this.store.set(request.key, [...(this.store.get(request.key) ?? []), request.value]);
        return { type: 'Success', success: true };
      case 'LogEvent':
        throw new Error('LogEvent received as request');
    }
  }

  handleCommand(command: MyMessage): void {
    if (command.type !== 'LogEvent') throw new Error(`Unexpected command type ${command.type}`);
    this.events.push(command.event);
  }
}

const isData = (r: MyResponse): r is Extract<MyResponse, { type: 'Data' }> => r.type === 'Data';

describe('the Rust crate’s example, in TypeScript', () => {
  it('runs requests, commands, errors and shutdown end to end', async () => {
    const channel = new ModuleChannel<MyMessage, MyResponse>(32);
    const handler = new MyHandler();
    const logger = recordingLogger();
    const server = runModuleServer(handler, channel, { logger });
    const dispatcher = new SparkGenericModuleDispatcher(channel);
    const errors: ModuleError<MyMessage, Error>[] = [];
    server.errors$.subscribe((e) => errors.push(e));

    // Request flow
    await expect(dispatcher.request({ type: 'UpdateData', key: 'user123', value: 1 })).resolves.toEqual({
      type: 'Success',
      success: true,
    });
    await dispatcher.request({ type: 'UpdateData', key: 'user123', value: 2 });
    const data = await dispatcher.request({ type: 'GetData', key: 'user123' }, { guard: isData });
    expect(data.data).toEqual([1, 2]);

    // Downcast failure: the caller's error, not the module's
    const wrongType = await dispatcher
      .request({ type: 'UpdateData', key: 'k', value: 3 }, { guard: isData })
      .catch((e: unknown) => e);
    expect(wrongType).toBeInstanceOf(SparkChannelError);
    expect((wrongType as SparkChannelError).code).toBe('INVALID_RESPONSE_TYPE');

    // Handler error reaches the caller unchanged
    await expect(dispatcher.request({ type: 'LogEvent', event: 'x' })).rejects.toThrow(
      'LogEvent received as request',
    );

    // Command flow: success is silent; failure goes to errors$ and the logger only
    await dispatcher.sendCommand({ type: 'LogEvent', event: 'User logged in' });
    await expect(dispatcher.sendCommand({ type: 'GetData', key: 'oops' })).resolves.toBeUndefined();

    // Shutdown flow
    const token = new SparkChannelCancellationToken();
    let notified = false;
    token.cancelled$.subscribe(() => (notified = true));
    await dispatcher.shutdown(token);
    expect(notified).toBe(true);
    expect(server.isRunning).toBe(false);

    expect(handler.events).toEqual(['User logged in']);
    expect(errors.map((e) => [e.kind, e.message.type])).toEqual([
      ['request', 'LogEvent'],
      ['command', 'GetData'],
    ]);
    expect(logger.errors).toHaveLength(1);
    expect(server.stats()).toEqual({ queued: 0, running: 0, handled: 7, failed: 2 });
    await expect(dispatcher.sendCommand({ type: 'LogEvent', event: 'late' })).rejects.toMatchObject({
      code: 'SEND_FAILED',
    });
  });
});
