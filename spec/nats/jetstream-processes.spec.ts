// Durable commands across real member processes: a member process SIGKILLed while it handles a
// command (unacked) → after the ack wait the other member handles it; a member process that was
// down while commands were sent handles them all once it starts.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

import { connect, type NatsConnection } from '@nats-io/transport-node';

import { natsDispatcher } from '../../lib/nats/index.js';
import { jetStreamCommands } from '../../lib/nats/jetstream/index.js';
import { ensureNatsServer } from './nats-server.js';
import { type RunningJetStream, startJetStreamServer } from './jetstream-server.js';

const describeNats = ensureNatsServer() ? describe : describe.skip;
const root = join(__dirname, '..', '..');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function member(url: string, subject: string, name: string, lines: string[]): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'fixtures', 'durable-member.ts'), url, subject, name, '1500'],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: root },
  );
  child.stdout
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
  return child;
}

/** Waits until `done()` holds (a safety deadline, not a timing assertion). */
async function until(done: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !done() && Date.now() < end;) await sleep(25);
}

describeNats('durable commands across processes (real nats-server -js)', () => {
  let nats: RunningJetStream;
  let client: NatsConnection;
  const children: ChildProcess[] = [];
  let count = 0;
  const subject = (): string => `spec.jsproc.${process.pid}.${++count}`;

  beforeAll(async () => {
    nats = await startJetStreamServer();
    client = await connect({ servers: nats.url });
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await client.close();
    await nats.stop();
  });

  it('a member process killed mid-command: the other member handles that command', async () => {
    const on = subject();
    const lines: string[] = [];
    const a = member(nats.url, on, 'a', lines);
    children.push(a);
    await until(() => lines.includes('a ready'));
    const sender = natsDispatcher<{ id: number; ms?: number }, unknown>(client, on, {
      durable: jetStreamCommands({ ackWaitMs: 1_500 }),
    });
    await sender.sendCommand({ id: 1, ms: 60_000 }); // a holds it, unacked
    await until(() => lines.includes('a start 1'));
    const b = member(nats.url, on, 'b', lines);
    children.push(b);
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
    const sender = natsDispatcher<{ id: number }, unknown>(client, on, {
      durable: jetStreamCommands({ ackWaitMs: 1_500 }),
    });
    for (let id = 0; id < 30; id++) await sender.sendCommand({ id });
    const lines: string[] = [];
    children.push(member(nats.url, on, 'c', lines));
    await until(() => lines.filter((l) => l.startsWith('c done ')).length >= 30);
    expect(lines.filter((l) => l.startsWith('c done '))).toEqual(
      Array.from({ length: 30 }, (_, id) => `c done ${id}`), // one member: in stream order
    );
  }, 60_000);
});
