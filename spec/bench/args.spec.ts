/**
 * The bench and soak command lines parse their flags with `node:util` parseArgs (strict): --help
 * prints the usage, an unknown flag is refused with a message and exit code 2, and a value works
 * as `--flag=value` and as `--flag value` (`--seconds=2` used to be ignored, and the soak ran
 * for 60 s). Runs the real CLIs in child processes; each is quick (the soak runs one second).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');

interface Run {
  readonly code: number | null;
  readonly killed: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node <args>` in the repository, killed after `limitMs` (then `killed` is true). */
function run(args: readonly string[], limitMs: number): Promise<Run> {
  // Flags given to npm itself would reach the CLIs as npm_config_*: none of the spec's business.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_config_')));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, killed, stdout, stderr });
    });
  });
}

const soak = (...flags: string[]): Promise<Run> => run([tsx, 'scripts/soak.ts', ...flags], 30_000);
const bench = (...flags: string[]): Promise<Run> => run(['bench/run-all.cjs', ...flags], 30_000);

describe('npm run soak flags', () => {
  it('prints the usage for --help and exits 0', async () => {
    const r = await soak('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: npm run soak');
    expect(r.stdout).toContain('--seconds=<n>');
  });

  it('refuses an unknown flag with a message and exit code 2', async () => {
    const r = await soak('--secs=1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--secs'");
    expect(r.stderr).toContain('--help');
  });

  it('refuses a value that is not a number', async () => {
    const r = await soak('--seconds', 'soon');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--seconds must be a positive number, got 'soon'");
  });

  it('honours --seconds=1: the soak stops after about a second, not 60', async () => {
    const r = await soak('--seconds=1');
    expect(r.killed).toBe(false); // it ended on its own, well within the 30 s allowed
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('soak: 1 s,');
    const elapsed = Number(/messages in ([\d.]+) s/.exec(r.stdout)?.[1]);
    expect(elapsed).toBeLessThan(10); // the flag was read (the old parser ran 60 s), not a speed check
    expect(r.stdout).toContain('violations 0');
  }, 40_000);
});

describe('npm run bench flags', () => {
  it('prints the usage for --help and exits 0', async () => {
    const r = await bench('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: npm run bench');
    expect(r.stdout).toContain('--quick');
  });

  it('refuses an unknown flag with a message and exit code 2, and runs nothing else', async () => {
    const r = await bench('--quik');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--quik'");
    expect(r.stdout).not.toContain('spark-channel bench');
  });

  it('reads a value given as `--flag value` too', async () => {
    const r = await bench('--kind', 'sideways');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--kind must be sync or async, got 'sideways'");
  });
});
