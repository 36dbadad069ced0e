// examples/recipes/nest-provider.ts in a real Nest application context: `app.close()` calls the
// provider's onModuleDestroy, whose drain answers every order placed before it, refuses those
// placed after it began, and cuts the backlog off at its deadline. Each scenario runs in its own Node
// process (spec/recipes/fixtures/nest-app.ts): Nest 12 is ES modules only, and Jest runs CommonJS.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(__dirname, '..', '..');
const fixture = join(__dirname, 'fixtures', 'nest-app.ts');

async function scenario<T>(name: string): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fixture, name], {
    cwd: root,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
}

describe('examples/recipes/nest-provider.ts (a real Nest application context)', () => {
  it('app.close() drains the module: every order placed before it is answered, in order', async () => {
    const seen = await scenario<{
      queuedAtClose: number;
      answers: string[];
      written: string[];
      drain: object;
      running: boolean;
      afterClose: string;
    }>('backlog');

    const expected = Array.from({ length: 20 }, (_, i) => `order-${i + 1}`);
    expect(seen.queuedAtClose).toBe(19); // one running, the rest queued: a backlog for the drain
    expect(seen.answers).toEqual(expected);
    expect(seen.written).toEqual(expected);
    expect(seen.drain).toEqual({ outcome: 'drained', handled: 20, failed: 0, refused: 0, aborted: 0 });
    expect(seen.running).toBe(false);
    expect(seen.afterClose).toBe('SEND_FAILED');
  }, 60_000);

  // app.close() reaches onModuleDestroy a few ticks later: an order placed in between is still
  // taken, and answered, by the drain. Only once the drain has begun are orders refused.
  it('an order placed just after app.close() is called is still answered by the drain', async () => {
    const seen = await scenario<{ first: string; late: string; drain: object }>('closing');

    expect(seen.first).toBe('order-1');
    expect(seen.late).toBe('order-2');
    expect(seen.drain).toEqual({ outcome: 'drained', handled: 2, failed: 0, refused: 0, aborted: 0 });
  }, 60_000);

  it('past drainMs the backlog is cut off: the running write is aborted, every order fails with RECEIVE_FAILED', async () => {
    const seen = await scenario<{ answers: string[]; aborted: string[]; drain: object; running: boolean }>(
      'deadline',
    );

    expect(seen.answers).toEqual(['RECEIVE_FAILED', 'RECEIVE_FAILED', 'RECEIVE_FAILED']);
    expect(seen.aborted).toEqual(['order-1']); // the running write saw its signal abort
    expect(seen.drain).toMatchObject({ outcome: 'deadline', aborted: 3 });
    expect(seen.running).toBe(false);
  }, 60_000);
});
