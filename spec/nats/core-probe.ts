// Asked once per spec file that needs it (hostile.spec.ts, fuzz.spec.ts).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Whether the module core (not spark-channel/nats) settles a request whose handler throws a
 * revoked Proxy or one that throws on every trap. Until it does, such a request never settles in
 * the member, whatever the NATS layer does: the tests that need it are skipped, with a warning.
 * Asked in a child process so that a hang costs two seconds and no stuck module here.
 */
export const coreSettlesProxies: boolean = (() => {
  try {
    execFileSync(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'core-proxy-probe.ts')], {
      cwd: join(__dirname, '..', '..'),
      stdio: 'ignore',
      timeout: 15_000,
    });
    return true;
  } catch {
    console.warn(
      'spec/nats: the module core does not settle a request whose handler throws a hostile Proxy yet; ' +
        'the NATS tests that need it are skipped.',
    );
    return false;
  }
})();
