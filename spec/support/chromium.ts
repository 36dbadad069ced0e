// Debian's Chromium for the specs that drive a page (never a test tool's own browser download).
// A fresh machine may not have it yet: running as root, the spec installs it with apt-get the way
// spec/nats/nats-server.ts installs nats-server, so `npm test` is the first thing a newcomer types.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where the specs expect Debian's chromium package. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Returns {@link CHROMIUM}, installing Debian's `chromium` first when it is missing and this
 * process may (root). Throws a message saying what to install when it still is not there.
 */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  if (process.getuid?.() === 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    try {
      execFileSync(
        'sh',
        ['-c', 'apt-get install -y -qq chromium || (apt-get update -qq && apt-get install -y -qq chromium)'],
        { stdio: 'ignore', env, timeout: 600_000 },
      );
    } catch {
      /* reported below */
    }
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium)`,
    );
  }
  return CHROMIUM;
}
