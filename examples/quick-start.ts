/**
 * The Rust crate's own example ("Example Usage" in its README), ported to spark-channel.
 *
 * Run it with `npm run demo`. It walks through requests, a "downcast" with a guard, commands,
 * a failing command, a failing request, and a graceful shutdown, printing each step.
 */
import { firstValueFrom } from 'rxjs';

import {
  type HandlerContext,
  ModuleChannel,
  runModuleServer,
  SparkChannelCancellationToken,
  SparkChannelError,
  SparkGenericModuleDispatcher,
  type SparkGenericModuleHandler,
} from '../lib/index.js';

// enum MyMessage { GetData(String), UpdateData(String, u32), LogEvent(String) }
type MyMessage =
  | { type: 'GetData'; key: string }
  | { type: 'UpdateData'; key: string; value: number }
  | { type: 'LogEvent'; event: string };

// enum MyResponse { Data(Vec<u32>), Success(bool) }
type MyResponse = { type: 'Data'; data: number[] } | { type: 'Success'; success: boolean };
type Data = Extract<MyResponse, { type: 'Data' }>;

// The "downcast": a type predicate the dispatcher checks at run time (guard option).
const isData = (response: MyResponse): response is Data => response.type === 'Data';

// impl SparkGenericModuleHandler<MyMessage, MyResponse, eyre::Error> for MyHandler
class MyHandler implements SparkGenericModuleHandler<MyMessage, MyResponse> {
  // Handler state. The server calls one method at a time, so plain mutation is safe (`&mut self`).
  readonly #store = new Map<string, number[]>([['user123', [1, 2, 3]]]);

  async handleRequest(request: MyMessage, context: HandlerContext): Promise<MyResponse> {
    switch (request.type) {
      case 'GetData': {
        await lookupDelay(context.signal); // pretend this is I/O; the signal aborts it on stop
        return { type: 'Data', data: [...(this.#store.get(request.key) ?? [])] };
      }
      case 'UpdateData': {
        const values = this.#store.get(request.key) ?? [];
        this.#store.set(request.key, [...values, request.value]);
        return { type: 'Success', success: true };
      }
      case 'LogEvent':
        // This shouldn't happen as LogEvent is a command.
        throw new Error('LogEvent received as request');
    }
  }

  handleCommand(command: MyMessage): void {
    if (command.type !== 'LogEvent') throw new Error(`Unexpected command type: ${command.type}`);
    console.log(`   [handler] Event logged: ${command.event}`);
  }
}

function lookupDelay(signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, 5);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

const show = (value: unknown): string =>
  typeof value === 'string' || value instanceof Error ? String(value) : JSON.stringify(value);

async function main(): Promise<void> {
  console.log('1. Start the server');
  // let (tx, rx) = mpsc::channel(32);
  const channel = new ModuleChannel<MyMessage, MyResponse>(32);
  // tokio::spawn(run_module_server(handler, rx)); command failures are logged here.
  const server = runModuleServer(new MyHandler(), channel, {
    logger: { error: (...args: unknown[]) => console.log('   [logger]', ...args.map(show)) },
  });
  // let dispatcher = SparkGenericModuleDispatcher::new(tx);
  const dispatcher = new SparkGenericModuleDispatcher(channel);
  // (`spawnModule(new MyHandler(), { capacity: 32 })` does these three steps in one call.)
  server.errors$.subscribe(({ kind, message, error }) =>
    console.log(`   [errors$] ${kind} ${message.type} failed: ${error.message}`),
  );
  console.log(`   running: ${server.isRunning}, channel capacity: ${channel.capacity}`);

  console.log('\n2. Send a request: GetData("user123")');
  const response = await dispatcher.request({ type: 'GetData', key: 'user123' });
  if (response.type === 'Data') console.log(`   Received data: [${response.data.join(', ')}]`);

  console.log('\n3. Update, then read back with a guard (the "downcast")');
  const updated = await dispatcher.request({ type: 'UpdateData', key: 'user123', value: 4 });
  console.log(`   UpdateData answered: ${JSON.stringify(updated)}`);
  const data = await dispatcher.request({ type: 'GetData', key: 'user123' }, { guard: isData });
  console.log(`   Received data: [${data.data.join(', ')}]  (typed as Data, no check needed)`);
  try {
    await dispatcher.request({ type: 'UpdateData', key: 'user123', value: 5 }, { guard: isData });
  } catch (error) {
    if (!(error instanceof SparkChannelError)) throw error;
    console.log(`   A Success fails the isData guard: ${error.code} (${error.message})`);
  }

  console.log('\n4. Send a command: LogEvent("User logged in")');
  await dispatcher.sendCommand({ type: 'LogEvent', event: 'User logged in' });
  console.log('   sendCommand resolved: the channel accepted the command');

  console.log('\n5. Send a command that fails: GetData as a command');
  const reported = firstValueFrom(server.errors$);
  await dispatcher.sendCommand({ type: 'GetData', key: 'user123' });
  console.log('   sendCommand still resolved: command failures never reach the sender');
  const commandFailure = await reported;
  console.log(`   ...but errors$ saw it (kind: ${commandFailure.kind}), and so did the logger`);

  console.log('\n6. Send a request whose handler throws: LogEvent as a request');
  const reportedRequest = firstValueFrom(server.errors$);
  try {
    await dispatcher.request({ type: 'LogEvent', event: 'oops' });
  } catch (error) {
    const sameObject = error === (await reportedRequest).error;
    console.log(`   The caller got: ${String(error)}; the same object as on errors$: ${sameObject}`);
  }
  console.log(`   The server goes on: running ${server.isRunning}, stats ${JSON.stringify(server.stats())}`);

  console.log('\n7. Shut down gracefully');
  const token = new SparkChannelCancellationToken();
  token.cancelled$.subscribe(() => console.log('   [token] cancelled by the server as it stops'));
  // Rust: dispatcher.sender.send(SparkGenericModuleMessage::Shutdown(token)). In TypeScript,
  // dispatcher.shutdown(token) sends exactly that and also waits until the server has stopped.
  await dispatcher.shutdown(token);
  console.log(`   token.isCancelled: ${token.isCancelled}`);
  console.log(`   server.isRunning: ${server.isRunning}, channel.isClosed: ${channel.isClosed}`);

  console.log('\n8. Send after shutdown');
  try {
    await dispatcher.sendCommand({ type: 'LogEvent', event: 'too late' });
    console.log('   unexpected: the command was accepted');
  } catch (error) {
    if (!(error instanceof SparkChannelError)) throw error;
    console.log(`   Refused: ${error.name} ${error.code} (${error.message})`);
  }

  console.log('\nDone.');
}

main().catch((error: unknown) => {
  console.error('quick-start failed:', error);
  process.exitCode = 1;
});
