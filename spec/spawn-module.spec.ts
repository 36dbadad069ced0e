import { ModuleChannel, SparkGenericModuleDispatcher, spawnModule } from '../lib/index.js';
import { recordingLogger } from './support/helpers.js';

describe('spawnModule', () => {
  const handler = { handleRequest: (n: number) => n * 2, handleCommand: (): void => undefined };

  it('wires a channel, a server and a dispatcher together', async () => {
    const { dispatcher, server } = spawnModule(handler);
    expect(dispatcher).toBeInstanceOf(SparkGenericModuleDispatcher);
    expect(dispatcher.sender).toBeInstanceOf(ModuleChannel);
    expect(dispatcher.sender.capacity).toBe(Infinity);
    await expect(dispatcher.request(21)).resolves.toBe(42);
    expect(server.isRunning).toBe(true);
    await dispatcher.shutdown();
    expect(server.isRunning).toBe(false);
  });

  it('passes each option to its owner', async () => {
    const logger = recordingLogger();
    const { dispatcher, server } = spawnModule(
      {
        handleRequest: (n: number) => n,
        handleCommand: () => {
          throw new Error('logged');
        },
      },
      { capacity: 4, logger, concurrency: 2, timeoutMs: 1_000, rateLimit: { limit: 100, intervalMs: 1_000 } },
    );
    expect(dispatcher.sender.capacity).toBe(4);
    await dispatcher.sendCommand(1);
    await dispatcher.shutdown();
    expect(logger.errors).toHaveLength(1);
    expect(server.stats()).toMatchObject({ handled: 1, failed: 1 });
  });

  it('validates everything before starting anything', () => {
    expect(() => spawnModule(handler, { capacity: 0 })).toThrow(/`capacity`/);
    expect(() => spawnModule(handler, { timeoutMs: -1 })).toThrow(/`timeoutMs`/);
    expect(() => spawnModule(handler, { concurrency: 0 })).toThrow(/`concurrency`/);
    expect(() => spawnModule(handler, 'fast' as never)).toThrow(/`options`/);
    expect(() => spawnModule({} as never)).toThrow(/`handler/);
  });
});
