// A stop from inside a handler that is running synchronously. The server does not keep a
// reference to that handler's Job while it runs (so V8 may leave it unallocated, see Job.standIn):
// these pin down that the stop still fails the message at once, aborts the handler's signal
// whether it was read before or after the stop, counts it as abandoned, and leaves any other
// message's handler on the stack alone.
import { firstValueFrom, toArray } from 'rxjs';

import {
  type HandlerContext,
  ModuleChannel,
  runModuleServer,
  SparkGenericModuleDispatcher,
  type SparkGenericModuleHandler,
  spawnModule,
} from '../lib/index.js';
import { codeOf } from './support/helpers.js';

type Seen = { before?: boolean; after?: boolean; later?: boolean };

function stopping(
  how: 'return' | 'throw' | 'promise',
  readFirst: boolean,
  seen: Seen,
  stop: () => void,
): (message: string, context: HandlerContext) => unknown {
  return (_message, context) => {
    const early = readFirst ? context.signal : undefined;
    if (early !== undefined) seen.before = early.aborted;
    stop();
    seen.after = context.signal.aborted;
    if (early !== undefined) seen.after = seen.after && early.aborted && early === context.signal;
    setTimeout(() => (seen.later = context.signal.aborted));
    if (how === 'throw') throw new Error('after the stop');
    if (how === 'promise') return Promise.reject(new Error('after the stop'));
    return 'too late';
  };
}

describe('a stop from inside a synchronously running handler', () => {
  describe.each([
    ['returns', 'return'],
    ['throws', 'throw'],
    ['returns a rejecting promise', 'promise'],
  ] as const)('the handler %s after it', (_label, how) => {
    it.each([false, true])(
      'fails the request at once, aborts its signal (read before the stop: %s), counts it abandoned',
      async (readFirst) => {
        const seen: Seen = {};
        const errors: unknown[] = [];
        const { dispatcher, server } = spawnModule<string, string>({
          handleRequest: (m, context) =>
            stopping(how, readFirst, seen, () => server.stop())(m, context) as string,
          handleCommand: () => undefined,
        });
        server.errors$.subscribe((error) => errors.push(error));
        // The request runs at once, on this stack, and its handler stops the server.
        const answer = dispatcher.request('stop');
        expect(server.isRunning).toBe(false);
        await expect(codeOf(answer)).resolves.toBe('RECEIVE_FAILED');
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect(seen).toEqual(
          readFirst ? { before: false, after: true, later: true } : { after: true, later: true },
        );
        expect(server.isRunning).toBe(false);
        expect(server.stats()).toMatchObject({ handled: 0, failed: 0, running: 0 });
        expect(errors).toEqual([]); // stopped, not broken
      },
    );
  });

  it('fails the stopping request before the queued ones, in that order', async () => {
    const order: string[] = [];
    const { dispatcher, server } = spawnModule<string, string>({
      handleRequest: (m) => {
        if (m === 'stop') server.stop();
        return m;
      },
      handleCommand: () => undefined,
    });
    const first = dispatcher.request('stop').catch(() => order.push('stop'));
    const second = dispatcher.request('queued').catch(() => order.push('queued'));
    await Promise.all([first, second]);
    expect(order).toEqual(['stop', 'queued']);
  });

  it('a command handler that stops its server: its signal is aborted, nothing counted as handled', async () => {
    const seen: Seen = {};
    const { dispatcher, server } = spawnModule<string, string>({
      handleRequest: (m) => m,
      handleCommand: (m, context) => void stopping('return', false, seen, () => server.stop())(m, context),
    });
    await dispatcher.sendCommand('stop');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seen).toEqual({ after: true, later: true });
    expect(server.stats()).toMatchObject({ handled: 0, failed: 0, running: 0 });
  });

  it('with events$ observed (the traced path), the same: failed at once, signal aborted, one settled event', async () => {
    const seen: Seen = {};
    const channel = new ModuleChannel<string, string>();
    const handler: SparkGenericModuleHandler<string, string> = {
      handleRequest: (m, context) =>
        stopping('return', false, seen, () => server.stop())(m, context) as string,
      handleCommand: () => undefined,
    };
    const server = runModuleServer(handler, channel);
    const events = firstValueFrom(server.events$.pipe(toArray()));
    const dispatcher = new SparkGenericModuleDispatcher(channel);
    await expect(codeOf(dispatcher.request('stop'))).resolves.toBe('RECEIVE_FAILED');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seen).toEqual({ after: true, later: true });
    const settled = (await events).filter((event) => event.type === 'settled');
    expect(settled).toEqual([expect.objectContaining({ outcome: 'error' })]);
  });

  it('a handler that stops another module leaves its own message alone: it is answered', async () => {
    const other = spawnModule<string, string>({ handleRequest: (m) => m, handleCommand: () => undefined });
    const { dispatcher } = spawnModule<string, string>({
      handleRequest: (m, context) => {
        other.server.stop();
        return context.signal.aborted ? 'aborted' : m;
      },
      handleCommand: () => undefined,
    });
    await expect(dispatcher.request('fine')).resolves.toBe('fine');
  });

  it("is the same when another module's handler, nested inside this one, stops this server", async () => {
    // A's handler calls B, whose handler runs at once on the same stack and stops A: A's handler
    // is still running, so its message is the one failed, and its signal aborts.
    let aborted: boolean | undefined;
    const b = spawnModule<string, string>({
      handleRequest: (m) => {
        a.server.stop();
        return m;
      },
      handleCommand: () => undefined,
    });
    const a = spawnModule<string, string>({
      handleRequest: (m, context) => {
        void b.dispatcher.request(m);
        aborted = context.signal.aborted;
        return m;
      },
      handleCommand: () => undefined,
    });
    await expect(codeOf(a.dispatcher.request('x'))).resolves.toBe('RECEIVE_FAILED');
    expect(aborted).toBe(true);
    expect(a.server.isRunning).toBe(false);
    expect(b.server.isRunning).toBe(true);
  });
});
