// Starts a real nats-server on a free loopback port for spec/nats (installed with apt-get when
// missing and running as root). `available` is false, with a console message, when it cannot be.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

function onPath(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v nats-server'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Finds nats-server, installing it with apt-get if running as root. Synchronous: decides describe vs describe.skip. */
export function ensureNatsServer(): boolean {
  if (onPath()) return true;
  if (process.getuid?.() === 0) {
    try {
      execFileSync(
        'sh',
        ['-c', 'apt-get install -y nats-server || (apt-get update && apt-get install -y nats-server)'],
        {
          stdio: 'ignore',
          timeout: 180_000,
        },
      );
    } catch {
      /* reported below */
    }
  }
  if (onPath()) return true;
  console.warn(
    'spec/nats skipped: nats-server is not on PATH and could not be installed (apt-get, as root).',
  );
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface RunningNats {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** `args` are extra nats-server arguments (`-js -sd <dir>`); `port` reuses one (a restart). */
export async function startNatsServer(args: readonly string[] = [], port?: number): Promise<RunningNats> {
  port ??= await freePort();
  const child: ChildProcess = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), ...args], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
