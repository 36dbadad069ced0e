/**
 * One fan-out measurement inside its own child process (bench/child.ts), as bench/measure.ts does
 * for requests and commands: warm up, take the samples with tinybench (each sample times itself,
 * so the checks stay out of the timing), check that every subscriber got every event once and in
 * order after the warm-up and after every sample. Plus the two heap figures: a pending event per
 * module subscriber, and a pending command.
 */
import { setImmediate as tick } from 'node:timers/promises';

import { Bench } from 'tinybench';

import type { Config } from '../config.js';
import { failed, guard, heapUsed, type Measurement, throwStray } from '../measure.js';
import { profileRun } from '../profile.js';
import type { FanoutPeer } from './peer.js';
import { type FanoutScenario, HEAP_EVENT } from './scenarios.js';
import { FanoutWorkload } from './workload.js';

/** Warm-up samples: enough for `warmupMessages` deliveries and `fanoutWarmupEvents` events. */
function warmupBatches(config: Config, scenario: FanoutScenario): number {
  return Math.max(
    Math.ceil(config.warmupMessages / (scenario.messages * scenario.subscribers)),
    Math.ceil(config.fanoutWarmupEvents / scenario.messages),
  );
}

export async function measureFanout(
  config: Config,
  peer: FanoutPeer,
  scenario: FanoutScenario,
): Promise<Measurement> {
  const samples: number[] = [];
  const where = `${peer.id} ${scenario.id}`;
  try {
    const work = new FanoutWorkload(scenario.subscribers);
    const bus = await peer.create(scenario.mode, work.listeners);
    // Warm-up: whole samples until warmupMessages deliveries and fanoutWarmupEvents events have
    // run, or warmupMs have passed (at least one sample).
    const batches = warmupBatches(config, scenario);
    const until = performance.now() + config.warmupMs;
    for (let i = 0; i < batches && (i === 0 || performance.now() < until); i++) {
      await guard(config, scenario.run(bus, work), work);
    }
    work.verify(`${where} warm-up`);
    throwStray();

    const bench = new Bench({
      time: 0,
      iterations: config.fanoutSamples,
      warmup: false,
      retainSamples: true,
      throws: false,
    });
    bench.add(peer.id, async () => {
      const ms = await guard(config, scenario.run(bus, work), work);
      work.verify(where);
      throwStray();
      return { overriddenDuration: ms };
    });
    await bench.run();
    const task = bench.getTask(peer.id)!;
    if (task.result.state === 'errored') throw task.result.error;
    if (task.result.state !== 'completed') throw new Error(`tinybench: task ${task.result.state}`);
    for (const ms of task.result.latency.samples ?? []) samples.push((ms * 1000) / scenario.messages);
    await guard(config, bus.close());
    throwStray();
    return { status: 'ok', samples };
  } catch (error: unknown) {
    return failed(samples, error);
  }
}

/**
 * Heap retained per pending delivery, after full GCs (needs --expose-gc). `heap-event`:
 * `heapSubscribers` module subscribers, each blocked on its first event; `heapPending` events
 * published behind it, so each module's mailbox holds them all; the figure is per event per
 * subscriber (the event object itself is shared by the subscribers, as a publish shares it).
 * `heap-command`: one module, blocked the same way, `heapPending` commands sent behind it, each
 * its own `{ type, seq }` object, as a caller builds one per send; per command. Then the modules
 * are released and every delivery must arrive, in order.
 */
export async function measureHeapFanout(
  config: Config,
  peer: FanoutPeer,
  which: string,
): Promise<Measurement> {
  const n = config.heapPending;
  const samples: number[] = [];
  try {
    const event = which === HEAP_EVENT;
    const work = new FanoutWorkload(event ? config.heapSubscribers : 1);
    let send: (seq: number) => unknown;
    let close: () => Promise<void>;
    if (event) {
      const bus = await peer.create('modules', work.listeners);
      send = (seq) => bus.publish(seq);
      close = () => bus.close();
    } else {
      if (peer.command === undefined) throw new Error(`${peer.id} has no mailbox to send commands to`);
      const target = peer.command(work.listeners[0]!);
      send = (seq) => target.send(seq);
      close = () => target.close();
    }
    for (let i = 0; i < 64; i++) await send(work.next()); // lazy state is allocated before measuring
    await guard(config, work.drained(), work);
    const release = work.block();
    await send(work.next()); // every module is now busy until release()
    await tick();
    const before = heapUsed();
    for (let i = 0; i < n; i++) void send(work.next());
    await tick(); // whatever can run now has run: what is left is what waits
    const after = heapUsed();
    release();
    samples.push((after - before) / (n * work.subscribers)); // stands even if the drain fails
    await guard(config, work.drained(), work);
    work.verify(`${peer.id} ${which}`);
    await guard(config, close());
    throwStray();
    return { status: 'ok', samples };
  } catch (error: unknown) {
    return failed(samples, error);
  }
}

/** `--profile` for a fan-out scenario: where one implementation's time and allocations go. */
export async function profileFanout(
  config: Config,
  peer: FanoutPeer,
  scenario: FanoutScenario,
): Promise<void> {
  const work = new FanoutWorkload(scenario.subscribers);
  const bus = await peer.create(scenario.mode, work.listeners);
  await profileRun(config, {
    name: `${peer.id}-${scenario.id}`,
    heading: `${peer.label}: ${scenario.title} (per event)`,
    messages: scenario.messages,
    warmups: warmupBatches(config, scenario),
    work: scenario.messages * scenario.subscribers,
    run: () => scenario.run(bus, work),
    finish: async () => {
      work.verify(`${peer.id} ${scenario.id} profile`);
      await bus.close();
    },
  });
}
