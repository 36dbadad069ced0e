// ChannelPort.dropOldestCommand: room for one more by dropping the oldest queued command (an
// event bus's `drop-oldest`), reported as a `dropped` dead letter.
import {
  type DeadLetter,
  ModuleChannel,
  SparkGenericModuleDispatcher,
  SparkGenericModuleMessage,
  spawnModule,
} from '../../lib/index.js';
import { portOf } from '../../lib/internal/channel/channel-port.js';

const error = new Error('made room');

function channelOf(capacity: number) {
  const channel = new ModuleChannel<string, string>(capacity);
  const port = portOf(channel);
  const dead: DeadLetter<unknown>[] = [];
  port.deadLetters().subscribe((d) => dead.push(d));
  return { channel, port, dead, dispatcher: new SparkGenericModuleDispatcher(channel) };
}

describe('ChannelPort.dropOldestCommand', () => {
  it('with room, drops nothing and says there is room', () => {
    const { port, channel, dead } = channelOf(2);
    channel.trySend(SparkGenericModuleMessage.Command('a'));
    expect(port.dropOldestCommand(undefined, error)).toBe(true);
    expect(channel.size).toBe(1);
    expect(dead).toEqual([]);
  });

  it('when full, drops the oldest queued command (past requests), as a dropped dead letter', () => {
    const { port, channel, dead, dispatcher } = channelOf(3);
    void dispatcher.request('r').catch(() => undefined);
    channel.trySend(SparkGenericModuleMessage.Command('a'));
    channel.trySend(SparkGenericModuleMessage.Command('b'));
    expect(port.dropOldestCommand(undefined, error)).toBe(true);
    expect(channel.size).toBe(2);
    expect(dead).toEqual([{ reason: 'dropped', kind: 'command', message: 'a', error }]);
  });

  it('drops only a command `match` accepts; false when none does', () => {
    const { port, channel, dead } = channelOf(2);
    channel.trySend(SparkGenericModuleMessage.Command('a'));
    channel.trySend(SparkGenericModuleMessage.Command('b'));
    expect(port.dropOldestCommand((m) => m === 'b', error)).toBe(true);
    expect(dead.map((d) => d.message)).toEqual(['b']);
    channel.trySend(SparkGenericModuleMessage.Command('c'));
    expect(port.dropOldestCommand((m) => m === 'z', error)).toBe(false);
    expect(channel.size).toBe(2);
  });

  it('false while other senders wait for room (the slot would be theirs), and once closed', async () => {
    const { port, channel, dispatcher } = channelOf(1);
    channel.trySend(SparkGenericModuleMessage.Command('a'));
    const waiting = dispatcher.sendCommand('b');
    expect(port.dropOldestCommand(undefined, error)).toBe(false);
    port.close('test');
    await expect(waiting).rejects.toEqual(expect.objectContaining({ code: 'SEND_FAILED' }));
    expect(port.dropOldestCommand(undefined, error)).toBe(false);
  });

  it('the server skips a command dropped from the batch it is running', async () => {
    const seen: string[] = [];
    const held: (() => void)[] = [];
    const { dispatcher } = spawnModule<string, never>(
      {
        handleRequest: () => undefined as never,
        handleCommand: (c) => {
          seen.push(c);
          if (c === 'first' || c === 'x') return new Promise<void>((resolve) => held.push(resolve));
          return undefined;
        },
      },
      { capacity: 2, logger: { error: () => undefined } },
    );
    const port = portOf(dispatcher.sender);
    await dispatcher.sendCommand('first'); // running
    await dispatcher.sendCommand('x');
    await dispatcher.sendCommand('yy'); // full
    held.shift()?.();
    await new Promise((resolve) => setTimeout(resolve, 0)); // the batch [x, yy] runs: x is held
    expect(seen).toEqual(['first', 'x']);
    await dispatcher.sendCommand('zz'); // full again
    expect(port.dropOldestCommand((m) => m === 'yy', error)).toBe(true);
    held.shift()?.();
    await dispatcher.shutdown();
    expect(seen).toEqual(['first', 'x', 'zz']);
  });

  it('works on a keyed channel', async () => {
    const seen: string[] = [];
    let hold: (() => void) | undefined;
    const { dispatcher, server } = spawnModule<string, never>(
      {
        handleRequest: () => undefined as never,
        handleCommand: (c) => {
          seen.push(c);
          if (c === 'first') return new Promise<void>((resolve) => (hold = resolve));
          return undefined;
        },
      },
      { capacity: 2, key: (c) => c.length, logger: { error: () => undefined } },
    );
    const port = portOf(dispatcher.sender);
    await dispatcher.sendCommand('first');
    await dispatcher.sendCommand('x');
    await dispatcher.sendCommand('yy');
    expect(port.dropOldestCommand((m) => m === 'x', error)).toBe(true);
    hold?.();
    await dispatcher.shutdown();
    expect(seen).toEqual(['first', 'yy']);
    expect(server.isRunning).toBe(false);
  });
});
