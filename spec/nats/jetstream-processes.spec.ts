// Durable commands across real member processes: a member process SIGKILLed while it handles a
// command (unacked) → after the ack wait the other member handles it; a member process that was
// down while commands were sent handles them all once it starts.
import type { ChildProcess } from 'node:child_process';

import { natsDispatcher } from '../../lib/nats/index.js';
import { jetStreamCommands } from '../../lib/nats/jetstream/index.js';
import { ensureNatsServer } from './nats-server.js';
import { spawnFixture, useNatsProcesses } from './fixtures/processes.js';
import { startJetStreamServer } from './jetstream-server.js';

const describeNats = ensureNatsServer() ? describe : describe.skip;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function member(url: string, subject: string, name: string, lines: string[]): ChildProcess {
  return spawnFixture('durable-member.ts', [url, subject, name, '1500'], lines);
}

/** Waits until `done()` holds (a safety deadline, not a timing assertion). */
async function until(done: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !done() && Date.now() < end;) await sleep(25);
}

describeNats('durable commands across processes (real nats-server -js)', () => {
  const suite = useNatsProcesses(startJetStreamServer);
  let count = 0;
  const subject = (): string => `spec.jsproc.${process.pid}.${++count}`;

  it('a member process killed mid-command: the other member handles that command', async () => {
    const on = subject();
    const lines: string[] = [];
    const a = member(suite.nats.url, on, 'a', lines);
    suite.children.push(a);
    await until(() => lines.includes('a ready'));
    const sender = natsDispatcher<{ id: number; ms?: number }, unknown>(suite.client, on, {
      durable: jetStreamCommands({ ackWaitMs: 1_500 }),
    });
    await sender.sendCommand({ id: 1, ms: 60_000 }); // a holds it, unacked
    await until(() => lines.includes('a start 1'));
    const b = member(suite.nats.url, on, 'b', lines);
    suite.children.push(b);
    await until(() => lines.includes('b ready'));
    const exited = new Promise((resolve) => a.once('exit', resolve));
    a.kill('SIGKILL');
    await exited;
    await sender.sendCommand({ id: 2 });
    await until(() => lines.includes('b done 2') && lines.includes('b start 1'));
    expect(lines).toContain('b start 1'); // redelivered to the survivor after the ack wait
    expect(lines).toContain('b done 2');
    expect(lines).not.toContain('a done 1');
  }, 60_000);

  it('the only member process is down while commands are sent: it handles all of them once started', async () => {
    const on = subject();
    const sender = natsDispatcher<{ id: number }, unknown>(suite.client, on, {
      durable: jetStreamCommands({ ackWaitMs: 1_500 }),
    });
    for (let id = 0; id < 30; id++) await sender.sendCommand({ id });
    const lines: string[] = [];
    suite.children.push(member(suite.nats.url, on, 'c', lines));
    await until(() => lines.filter((l) => l.startsWith('c done ')).length >= 30);
    expect(lines.filter((l) => l.startsWith('c done '))).toEqual(
      Array.from({ length: 30 }, (_, id) => `c done ${id}`), // one member: in stream order
    );
  }, 60_000);
});
