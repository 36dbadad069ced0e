/**
 * A Node service that drains its module on SIGTERM, the signal a process manager (Kubernetes,
 * systemd, Docker, PM2) sends before it kills: stop taking work, let what was accepted finish
 * within a deadline, then exit with a code that says whether anything was cut off.
 *
 * The work comes in on stdin, one job id a line (a stand-in for a queue consumer or an HTTP
 * server). Run it with `npx tsx examples/recipes/sigterm-drain.ts`, type a few ids, then press
 * Ctrl-C (SIGINT is handled the same way). spec/recipes/sigterm-drain.spec.ts runs it as a child
 * process, sends SIGTERM while jobs are queued, and reads what it prints:
 * `accepted <id>`, `handled <id>`, `refused <id> <code>`, `draining …`, `drained <report>`.
 *
 * Environment: `WORK_MS` (each job's duration, 50 by default), `DRAIN_MS` (the drain deadline,
 * 10 000 by default: keep it below the manager's grace period, 30 s in Kubernetes).
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

import { createRouter, isSparkChannelError, spawnTypedModule } from '../../lib/index.js';

type JobsApi = { Process: { command: { id: string } } };

const workMs = Number(process.env['WORK_MS'] ?? 50);
const drainMs = Number(process.env['DRAIN_MS'] ?? 10_000);

const { dispatcher, server } = spawnTypedModule(
  createRouter<JobsApi>({
    Process: {
      // The job honours `signal`: past the deadline the drain aborts it instead of waiting.
      command: async ({ id }, { signal }) => {
        await sleep(workMs, undefined, { signal });
        console.log(`handled ${id}`);
      },
    },
  }),
  { capacity: 1_000 },
);

const input = createInterface({ input: process.stdin });
input.on('line', (id) => {
  dispatcher.sendCommand({ type: 'Process', id }).then(
    () => console.log(`accepted ${id}`),
    (error: unknown) =>
      console.log(`refused ${id} ${isSparkChannelError(error) ? error.code : String(error)}`),
  );
});

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  // Stop taking work first: nothing read after this point is sent.
  input.close();
  process.stdin.destroy();
  // A second signal means "now": stop at once (queued jobs are dropped, the running one aborted).
  process.once(signal, () => server.stop());
  const { queued, running } = server.stats();
  console.log(`draining queued=${queued} running=${running}`);
  const report = await server.drain(drainMs);
  console.log(`drained ${JSON.stringify(report)}`);
  // Non-zero when the deadline cut work off, so the manager's logs show it.
  process.exitCode = report.outcome === 'deadline' ? 1 : 0;
}

process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
console.log('ready');
