import { TestScheduler } from 'rxjs/testing';

import { mergeErrors, type ModuleError, spawnModule } from '../lib/index.js';
import { recordingLogger } from './support/helpers.js';

function failingModule<M>(name: string) {
  const error = new Error(name);
  const { dispatcher, server } = spawnModule<M, never>(
    {
      handleRequest: () => {
        throw error;
      },
      handleCommand: () => {
        throw error;
      },
    },
    { logger: recordingLogger() },
  );
  return { dispatcher, server, error };
}

describe('mergeErrors', () => {
  it('emits the handler failures of every server as they happen, and completes when all have stopped', async () => {
    const a = failingModule<string>('a');
    const b = failingModule<number>('b');
    const seen: ModuleError<unknown, unknown>[] = [];
    let completed = false;
    mergeErrors(a.server, b.server).subscribe({
      next: (error) => seen.push(error),
      complete: () => (completed = true),
    });
    await a.dispatcher.sendCommand('x');
    await b.dispatcher.request(1).catch(() => undefined);
    await a.dispatcher.request('y').catch(() => undefined);
    await a.dispatcher.shutdown();
    expect(completed).toBe(false);
    await b.dispatcher.sendCommand(2);
    await b.dispatcher.shutdown();
    expect(completed).toBe(true);
    expect(seen).toEqual([
      { kind: 'command', message: 'x', error: a.error },
      { kind: 'request', message: 1, error: b.error },
      { kind: 'request', message: 'y', error: a.error },
      { kind: 'command', message: 2, error: b.error },
    ]);
  });

  it('completes at once with no servers, or only stopped ones', () => {
    const stopped = failingModule<string>('stopped');
    stopped.server.stop();
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ expectObservable }) => {
      expectObservable(mergeErrors()).toBe('|');
      expectObservable(mergeErrors(stopped.server)).toBe('|');
    });
  });

  it('throws a TypeError naming the argument that is not a server', () => {
    const { server } = failingModule<string>('ok');
    expect(() => mergeErrors(server, {} as never)).toThrow(TypeError);
    expect(() => mergeErrors(server, null as never)).toThrow(
      /Expected `servers\[1\]` to be a module server, got null/,
    );
    expect(() => mergeErrors({ errors$: 1 } as never)).toThrow(/`servers\[0\]`/);
    server.stop();
  });
});
