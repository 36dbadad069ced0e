// Builds spec/nats/c-client/wire-client.c with gcc against Debian's libnats-dev (the official
// nats.c) into a temp folder. Installs gcc and libnats-dev with apt-get when missing and running
// as root, as ensureNatsServer does for nats-server; otherwise says loudly why the spec is skipped.
// Synchronous: it decides describe vs describe.skip.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const source = join(__dirname, 'wire-client.c');
const PACKAGES = 'gcc libnats-dev';
const APT = 'apt-get install -y -o DPkg::Lock::Timeout=120';

function compile(out: string): string | undefined {
  try {
    // No pkg-config: Debian puts nats/nats.h and libnats.so on gcc's default paths.
    execFileSync('gcc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-O1', source, '-o', out, '-lnats'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 120_000,
    });
    return undefined;
  } catch (error: unknown) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return stderr !== undefined && stderr !== '' ? stderr : String(error);
  }
}

/** The built client: its path, and a cleanup that removes its temp folder. */
export interface CClient {
  readonly path: string;
  remove(): void;
}

/** Builds the C client, or returns undefined (with a console message) when it cannot be built. */
export function buildCClient(): CClient | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'spark-wire-c-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  const path = join(dir, 'wire-client');
  let failure = compile(path);
  if (failure !== undefined && process.getuid?.() === 0) {
    try {
      execFileSync(
        'sh',
        // The lock timeout: other specs may be installing nats-server at the same moment.
        ['-c', `${APT} ${PACKAGES} || (apt-get update && ${APT} ${PACKAGES})`],
        { stdio: 'ignore', timeout: 300_000 },
      );
    } catch {
      // reported below, with the compiler's own words
    }
    failure = compile(path);
  }
  if (failure === undefined) return { path, remove };
  remove();
  console.warn(
    `spec/nats/c-client.spec.ts SKIPPED: the C client could not be built (needs gcc and libnats-dev; ` +
      `apt-get install -y ${PACKAGES}, as root).\n${failure}`,
  );
  return undefined;
}
