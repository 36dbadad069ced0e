/**
 * The fan-out benchmark's checks (bench/fanout/): its workload must catch a lost, repeated or
 * reordered event, whoever the implementation; and each implementation, wired as the bench wires
 * it, must deliver every event to every subscriber once and in order, at every size, in both
 * modes. emittery and @nestjs/cqrs ship ESM only, which Jest's CommonJS runtime cannot load:
 * `npm run bench -- --quick` (CI) runs them through the same checks in child processes.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { QUICK } from '../../bench/config';
import type { FanoutPeer } from '../../bench/fanout/peer';
import { fanoutEventemitter3 } from '../../bench/fanout/peers/eventemitter3';
import { fanoutFloor } from '../../bench/fanout/peers/floor';
import { FANOUT_PEER_IDS } from '../../bench/fanout/peers/load';
import { fanoutMitt } from '../../bench/fanout/peers/mitt';
import { fanoutSpark } from '../../bench/fanout/peers/spark-channel';
import { fanoutScenarios, isFanoutId } from '../../bench/fanout/scenarios';
import { FanoutWorkload } from '../../bench/fanout/workload';
import { SPARK_ENTRY_ENV } from '../../bench/peers/spark-channel';
import { CheckFailure } from '../../bench/workload';

const root = join(__dirname, '..', '..');

beforeAll(() => {
  // The spark-channel peer loads the build the bench parent names, with Node's own require: here,
  // lib/ itself through tsx's CommonJS hook.
  const entry = join(tmpdir(), `spark-channel-bench-entry-${process.pid}.cjs`);
  writeFileSync(
    entry,
    `require(${JSON.stringify(join(root, 'node_modules', 'tsx', 'dist', 'cjs', 'api', 'index.cjs'))}).register();\n` +
      `module.exports = require(${JSON.stringify(join(root, 'lib', 'index.ts'))});\n`,
  );
  process.env[SPARK_ENTRY_ENV] = entry;
});

const deliver = (work: FanoutWorkload, events: number, skip?: { subscriber: number; seq: number }): void => {
  for (let e = 0; e < events; e++) {
    const seq = work.next();
    work.listeners.forEach((listener, i) => {
      if (skip?.subscriber !== i || skip.seq !== seq) void listener({ type: 'Tick', seq });
    });
  }
};

describe('FanoutWorkload', () => {
  it('passes when every subscriber got every event once, in order', async () => {
    const work = new FanoutWorkload(3);
    deliver(work, 5);
    await expect(work.drained()).resolves.toBeUndefined();
    expect(() => work.verify('ok')).not.toThrow();
    expect(work.handled).toBe(15);
  });

  it('fails on an event lost for one subscriber', () => {
    const work = new FanoutWorkload(3);
    deliver(work, 5, { subscriber: 1, seq: 2 });
    expect(() => work.verify('lost')).toThrow(CheckFailure);
    expect(() => work.verify('lost')).toThrow(/out of publish order/);
  });

  it('fails on the last event lost (nothing after it to be out of order)', () => {
    const work = new FanoutWorkload(2);
    deliver(work, 3, { subscriber: 0, seq: 2 });
    expect(() => work.verify('last')).toThrow(/5 delivery\(ies\) handled, 6 owed/);
  });

  it('fails on two events swapped, and on a repeated one', () => {
    const swapped = new FanoutWorkload(1);
    const [listener] = swapped.listeners;
    swapped.next();
    swapped.next();
    void listener!({ type: 'Tick', seq: 1 });
    void listener!({ type: 'Tick', seq: 0 });
    expect(() => swapped.verify('swapped')).toThrow(CheckFailure);

    const repeated = new FanoutWorkload(1);
    repeated.next();
    void repeated.listeners[0]!({ type: 'Tick', seq: 0 });
    void repeated.listeners[0]!({ type: 'Tick', seq: 0 });
    expect(() => repeated.verify('repeated')).toThrow(CheckFailure);
  });

  it('drained() waits for deliveries still to come', async () => {
    const work = new FanoutWorkload(2);
    const seq = work.next();
    let done = false;
    const drained = work.drained().then(() => (done = true));
    void work.listeners[0]!({ type: 'Tick', seq });
    await Promise.resolve();
    expect(done).toBe(false);
    void work.listeners[1]!({ type: 'Tick', seq });
    await drained;
    expect(done).toBe(true);
  });

  it('block() makes each subscriber’s next delivery wait, once', async () => {
    const work = new FanoutWorkload(2);
    const release = work.block();
    work.next();
    const first = work.listeners.map((listener) => listener({ type: 'Tick', seq: 0 }));
    expect(first.every((r) => r instanceof Promise)).toBe(true);
    work.next();
    expect(work.listeners.map((listener) => listener({ type: 'Tick', seq: 1 }))).toEqual([
      undefined,
      undefined,
    ]);
    release();
    await Promise.all(first);
    expect(() => work.verify('blocked')).not.toThrow();
  });
});

describe('the fan-out scenarios', () => {
  const scenarios = fanoutScenarios(QUICK);

  it('cover 1, 10 and 100 subscribers, observers and modules (publish awaited and not), with the same deliveries per sample', () => {
    expect(scenarios.map((s) => s.id)).toEqual([
      'fanout-observers-1',
      'fanout-observers-10',
      'fanout-observers-100',
      'fanout-modules-1',
      'fanout-modules-10',
      'fanout-modules-100',
      'fanout-modules-fire-and-forget-1',
      'fanout-modules-fire-and-forget-10',
      'fanout-modules-fire-and-forget-100',
    ]);
    for (const s of scenarios) expect(s.messages * s.subscribers).toBe(QUICK.fanoutDeliveries);
    expect(scenarios.every((s) => isFanoutId(s.id))).toBe(true);
    expect(['heap-event', 'heap-command'].every(isFanoutId)).toBe(true);
    expect(isFanoutId('sequential')).toBe(false);
  });

  it('have a child-process loader entry for every implementation', () => {
    expect(FANOUT_PEER_IDS).toEqual([
      'floor-queue',
      'spark-channel',
      'mitt',
      'eventemitter3',
      'emittery',
      'nestjs-cqrs',
    ]);
  });

  const peers: readonly FanoutPeer[] = [fanoutFloor, fanoutSpark, fanoutMitt, fanoutEventemitter3];
  const cases = peers.flatMap((peer) => scenarios.map((s) => [peer.id, s.id, peer, s] as const));
  it.each(cases)(
    '%s, %s: every subscriber gets every event once, in order',
    async (_, __, peer, scenario) => {
      const work = new FanoutWorkload(scenario.subscribers);
      const bus = await peer.create(scenario.mode, work.listeners);
      for (let sample = 0; sample < 2; sample++) {
        const ms = await scenario.run(bus, work);
        expect(ms).toBeGreaterThanOrEqual(0);
        work.verify(`${peer.id} ${scenario.id}`);
      }
      expect(work.handled).toBe(2 * scenario.messages * scenario.subscribers);
      await bus.close();
    },
  );

  it.each([fanoutFloor, fanoutSpark].map((peer) => [peer.id, peer] as const))(
    '%s: a blocked module queues what is sent behind it, and hands it over in order once released',
    async (_, peer) => {
      const work = new FanoutWorkload(3);
      const bus = await peer.create('modules', work.listeners);
      const release = work.block();
      for (let i = 0; i < 50; i++) await bus.publish(work.next());
      await Promise.resolve();
      expect(work.handled).toBe(3); // each module holds its first event, the rest wait in its mailbox
      release();
      await work.drained();
      work.verify(`${peer.id} blocked`);

      const single = new FanoutWorkload(1);
      const target = peer.command!(single.listeners[0]!);
      for (let i = 0; i < 20; i++) await target.send(single.next());
      await single.drained();
      single.verify(`${peer.id} commands`);
      await Promise.all([bus.close(), target.close()]);
    },
  );
});
