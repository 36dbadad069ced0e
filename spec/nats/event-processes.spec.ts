// natsEventBus across real processes: two subscriber processes both get every event (fan-out),
// two in one queue group share them (each event handled once in the group), and a hostile
// payload is refused in each process without stopping it.
import type { ChildProcess } from 'node:child_process';

import { natsEventBus } from '../../lib/nats/index.js';
import { spawnFixture, useNatsProcesses } from './fixtures/processes.js';
import { ensureNatsServer, startNatsServer } from './nats-server.js';

const describeNats = ensureNatsServer() ? describe : describe.skip;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Events = { Tick: { n: number } };

function subscriber(
  url: string,
  prefix: string,
  name: string,
  lines: string[],
  queue?: string,
): ChildProcess {
  const args = [url, prefix, name];
  if (queue !== undefined) args.push(queue);
  return spawnFixture('event-subscriber.ts', args, lines);
}

/** Waits until `done()` holds (a safety deadline, not a timing assertion). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !done(); i++) await sleep(25);
}

/** The `n`s the process `name` handled, in the order it handled them. */
const got = (lines: string[], name: string): number[] =>
  lines.filter((line) => line.startsWith(`${name} got `)).map((line) => Number(line.slice(name.length + 5)));

describeNats('natsEventBus across processes (real nats-server)', () => {
  const suite = useNatsProcesses(startNatsServer);

  it('fan-out: two processes each handle every event in order; a queue group of two shares them', async () => {
    const prefix = `spec.event-processes.${process.pid}`;
    const lines: string[] = [];
    const names = ['a', 'b', 'q1', 'q2'];
    suite.children.push(
      subscriber(suite.nats.url, prefix, 'a', lines),
      subscriber(suite.nats.url, prefix, 'b', lines),
      subscriber(suite.nats.url, prefix, 'q1', lines, 'workers'),
      subscriber(suite.nats.url, prefix, 'q2', lines, 'workers'),
    );
    await until(() => names.every((name) => lines.includes(`${name} ready`)));
    expect(names.filter((name) => !lines.includes(`${name} ready`))).toEqual([]);

    const bus = natsEventBus<Events>(suite.client, { prefix });
    const sent = Array.from({ length: 60 }, (_, n) => n);
    for (const n of sent) await bus.publish({ type: 'Tick', n });
    // A hostile payload on the same subject, then one more event: each process refuses the first
    // (reported on its errors$) and handles the second.
    suite.client.publish(`${prefix}.Tick`, new TextEncoder().encode('{"type":"Tick","n":'));
    await bus.publish({ type: 'Tick', n: 60 });
    const all = [...sent, 60];
    await until(
      () =>
        got(lines, 'a').length === all.length &&
        got(lines, 'b').length === all.length &&
        got(lines, 'q1').length + got(lines, 'q2').length === all.length,
    );

    expect(got(lines, 'a')).toEqual(all);
    expect(got(lines, 'b')).toEqual(all);
    const [q1, q2] = [got(lines, 'q1'), got(lines, 'q2')];
    expect([...q1, ...q2].sort((x, y) => x - y)).toEqual(all);
    expect(q1.length).toBeGreaterThan(0);
    expect(q2.length).toBeGreaterThan(0);
    expect(q1).toEqual([...q1].sort((x, y) => x - y));
    expect(q2).toEqual([...q2].sort((x, y) => x - y));
    expect(lines.filter((line) => line.endsWith('refused NatsPayloadError')).length).toBe(3); // a, b, and one of q1/q2
    expect(suite.children.map((child) => child.exitCode)).toEqual([null, null, null, null]);
    await bus.close();
  }, 60_000);
});
