// Queue-group members in separate processes: a member process killed (SIGKILL) with requests in
// flight fails only those requests; the surviving process takes the new work; two live member
// processes share the load.
import type { ChildProcess } from 'node:child_process';

import { natsDispatcher } from '../../lib/nats/index.js';
import { codeOf } from '../support/helpers.js';
import { spawnFixture, useNatsProcesses } from './fixtures/processes.js';
import { ensureNatsServer, startNatsServer } from './nats-server.js';

const describeNats = ensureNatsServer() ? describe : describe.skip;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function member(url: string, subject: string, name: string, lines: string[]): ChildProcess {
  return spawnFixture('member.ts', [url, subject, name], lines);
}

async function until(lines: string[], line: string): Promise<void> {
  for (let i = 0; i < 400 && !lines.includes(line); i++) await sleep(25);
}

describeNats('spark-channel/nats across processes (real nats-server)', () => {
  const suite = useNatsProcesses(startNatsServer);

  it('a member process killed mid-flight fails only its requests; the other process takes new work', async () => {
    const subject = `spec.processes.${process.pid}`;
    const lines: string[] = [];
    const a = member(suite.nats.url, subject, 'a', lines);
    suite.children.push(a);
    await until(lines, 'a ready');
    const dispatcher = natsDispatcher<{ type: string; ms?: number }, { member: string }>(
      suite.client,
      subject,
      {
        timeoutMs: 1_500,
      },
    );
    const inFlight = [
      dispatcher.request({ type: 'slow', ms: 5_000 }),
      dispatcher.request({ type: 'slow', ms: 5_000 }),
    ];
    await until(lines, 'a got slow');
    suite.children.push(member(suite.nats.url, subject, 'b', lines));
    await until(lines, 'b ready');
    const exited = new Promise((resolve) => a.once('exit', resolve));
    a.kill('SIGKILL');
    await exited;
    const codes = await Promise.all(inFlight.map((p) => codeOf(p)));
    for (const code of codes) expect(['TIMEOUT', 'RECEIVE_FAILED']).toContain(code);
    await sleep(200); // the server notices the dead connection
    const after = await Promise.all(Array.from({ length: 5 }, () => dispatcher.request({ type: 'echo' })));
    expect(after.map((r) => r.member)).toEqual(['b', 'b', 'b', 'b', 'b']);

    // A third member process joins: the queue group shares the load between the two processes.
    suite.children.push(member(suite.nats.url, subject, 'c', lines));
    await until(lines, 'c ready');
    const shared = await Promise.all(Array.from({ length: 40 }, () => dispatcher.request({ type: 'echo' })));
    expect(new Set(shared.map((r) => r.member))).toEqual(new Set(['b', 'c']));
  }, 60_000);
});
