// examples/recipes/sigterm-drain.ts as a real child process: jobs go in on its stdin, SIGTERM
// arrives while they are queued, and every job it accepted must be handled before it exits 0;
// with a deadline too short for the backlog, the cut-off jobs are counted and it exits 1.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const example = join(root, 'examples', 'recipes', 'sigterm-drain.ts');

interface Service {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves once a line matching `pattern` has been printed (at most 20 s). */
  until(pattern: RegExp): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(env: Record<string, string>): Service {
  // `--import tsx`, not tsx's CLI: the CLI forks a child, and the signal must reach this one.
  const child = spawn(process.execPath, ['--import', 'tsx', example], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const complete = buffered.split('\n');
    buffered = complete.pop() ?? '';
    for (const line of complete) {
      lines.push(line);
      for (const waiter of waiters.filter(({ pattern }) => pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  child.stderr.resume(); // the default logger reports aborted jobs there
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const until = (pattern: RegExp): Promise<string> => {
    const seen = lines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no line matching ${pattern}; got:\n${lines.join('\n')}`)),
        20_000,
      );
      waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  };
  return { child, lines, until, exited };
}

const ids = (lines: readonly string[], verb: string): string[] =>
  lines.filter((line) => line.startsWith(`${verb} `)).map((line) => line.split(' ')[1] ?? '');

interface Report {
  outcome: string;
  handled: number;
  failed: number;
  refused: number;
  aborted: number;
}

async function runWithBacklog(env: Record<string, string>, jobs: number) {
  const service = start(env);
  try {
    await service.until(/^ready$/);
    const sent = Array.from({ length: jobs }, (_, i) => `job-${i + 1}`);
    service.child.stdin?.write(sent.map((id) => `${id}\n`).join(''));
    await service.until(new RegExp(`^accepted ${sent.at(-1)}$`));
    service.child.kill('SIGTERM');
    const draining = await service.until(/^draining /);
    const report = JSON.parse((await service.until(/^drained /)).slice('drained '.length)) as Report;
    const { code, signal } = await service.exited;
    return { service, sent, draining, report, code, signal };
  } finally {
    if (service.child.exitCode === null) service.child.kill('SIGKILL');
  }
}

describe('examples/recipes/sigterm-drain.ts (a child process, a real SIGTERM)', () => {
  it('handles every job it accepted before exiting 0, though SIGTERM came while they were queued', async () => {
    const { service, sent, draining, report, code, signal } = await runWithBacklog({ WORK_MS: '80' }, 25);

    expect(ids(service.lines, 'accepted')).toEqual(sent);
    const queued = Number(/queued=(\d+)/.exec(draining)?.[1]);
    expect(queued).toBeGreaterThan(0); // the drain really had a backlog to finish
    expect(ids(service.lines, 'handled')).toEqual(sent); // all of them, in the order accepted
    expect(report).toMatchObject({ outcome: 'drained', failed: 0, aborted: 0 });
    expect(report.handled).toBeGreaterThanOrEqual(queued);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('exits 1 when the deadline cuts the backlog off, and counts every job it did not finish', async () => {
    const { service, sent, report, code, signal } = await runWithBacklog(
      { WORK_MS: '1000', DRAIN_MS: '300' },
      10,
    );

    expect(ids(service.lines, 'accepted')).toEqual(sent);
    const handled = ids(service.lines, 'handled');
    expect(report.outcome).toBe('deadline');
    expect(report.aborted).toBeGreaterThan(0);
    // Each accepted job was either handled or counted as cut off: none vanished unreported.
    expect(handled.length + report.aborted).toBe(sent.length);
    expect(handled).toEqual(sent.slice(0, handled.length));
    expect({ code, signal }).toEqual({ code: 1, signal: null });
  }, 60_000);
});
