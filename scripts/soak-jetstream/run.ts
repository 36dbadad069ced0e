// The JetStream soak (scripts/soak-jetstream.ts; a small run is spec/nats/jetstream-soak.spec.ts):
// a real `nats-server -js`, two member processes serving durable commands, SIGKILLed at random
// and started again, and a sender storing `commands` durable commands, each with its own message
// id. Every handler applies its command to a ledger in this process (a core NATS request,
// answered once recorded): the ledger keyed by id is the idempotent state. The figures:
// sent, handled (ledger applications), redelivered (deliveries beyond the first, from the
// consumer), duplicates (applications beyond the first per id), lost (ids never applied).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

import { natsDispatcher } from '../../lib/nats/index.js';
import { jetStreamCommands } from '../../lib/nats/jetstream/index.js';
import { startJetStreamServer } from '../../spec/nats/jetstream-server.js';

export interface SoakOptions {
  readonly commands: number;
  readonly kills: number;
  /** Commands in flight from the sender (awaiting the stream's ack). */
  readonly window?: number;
  readonly ackWaitMs?: number;
  readonly seed?: number;
  /** Gives up after this long (then `lost` counts what never came). */
  readonly deadlineMs?: number;
  readonly log?: (line: string) => void;
}

export interface SoakReport {
  readonly sent: number;
  readonly handled: number;
  readonly unique: number;
  readonly redelivered: number;
  readonly duplicates: number;
  readonly lost: number;
  readonly kills: number;
  /** The final state equals each command applied once: every id once, the id sum as sent. */
  readonly stateExact: boolean;
  readonly seconds: number;
  readonly pendingAfter: number;
}

const root = join(__dirname, '..', '..');
const memberScript = join(root, 'spec', 'nats', 'fixtures', 'durable-member.ts');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A small seeded PRNG (mulberry32): a run can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runJetStreamSoak(options: SoakOptions): Promise<SoakReport> {
  const { commands, kills } = options;
  const window = options.window ?? 512;
  const ackWaitMs = options.ackWaitMs ?? 2_000;
  const log = options.log ?? (() => undefined);
  const next = random(options.seed ?? 0x5eed);
  const started = performance.now();
  const nats = await startJetStreamServer();
  const subject = `soak.js.${process.pid}`;
  const ledgerSubject = `${subject}.ledger`;
  const nc = await connect({ servers: nats.url });
  const children = new Map<string, ChildProcess>();
  try {
    // The ledger: applications per id. Idempotent by id, so duplicates change no state.
    const applied = new Uint32Array(commands);
    let handled = 0;
    let unique = 0;
    let idSum = 0;
    const decoder = new TextDecoder();
    nc.subscribe(ledgerSubject, {
      callback: (_error, msg) => {
        const { id } = JSON.parse(decoder.decode(msg.data)) as { id: number };
        handled++;
        const before = applied[id] ?? 0;
        applied[id] = before + 1;
        if (before === 0) {
          unique++;
          idSum += id;
        }
        msg.respond();
      },
    });
    await nc.flush();

    const spawnMember = (name: string): Promise<void> => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', memberScript, nats.url, subject, name, String(ackWaitMs), ledgerSubject],
        { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      children.set(name, child);
      return new Promise<void>((resolve) => {
        child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
          if (chunk.includes(`${name} ready`)) resolve();
        });
        child.once('exit', () => resolve());
      });
    };
    await Promise.all([spawnMember('a'), spawnMember('b')]);
    log('members a and b ready');

    // Kills at random points of the run, each of a random live member, which starts again 300 ms
    // later; the next kill does not wait for it, so at times no member is up at all.
    const killAt = Array.from({ length: kills }, () => Math.floor(next() * commands * 0.9)).sort(
      (x, y) => x - y,
    );
    const alive = (name: string): boolean => children.get(name)?.exitCode === null;
    let killed = 0; // kill points passed
    let killedMembers = 0; // members really killed (at a point where both were down, none is)
    const restarts: Promise<void>[] = [];
    const killer = (async () => {
      while (killed < kills) {
        const threshold = killAt[killed] ?? 0;
        while (handled < threshold && performance.now() - started < (options.deadlineMs ?? 600_000))
          await sleep(2);
        const pick = next() < 0.5 ? 'a' : 'b';
        const name = alive(pick) ? pick : pick === 'a' ? 'b' : 'a';
        const child = children.get(name);
        killed++;
        if (child === undefined || child.exitCode !== null) continue; // both down: nothing to kill
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
        killedMembers++;
        log(`killed ${name} at ${handled} handled`);
        restarts.push(sleep(300).then(() => spawnMember(name)));
      }
    })();

    const sender = natsDispatcher<{ id: number }, unknown>(nc, subject, {
      durable: jetStreamCommands<{ id: number }>({ ackWaitMs, messageId: ({ id }) => `soak-${id}` }),
    });
    let sent = 0;
    let cursor = 0;
    const senders = Array.from({ length: window }, async () => {
      while (cursor < commands) {
        const id = cursor++;
        await sender.sendCommand({ id });
        sent++;
        if (sent % 10_000 === 0) log(`${sent} sent, ${unique} handled`);
      }
    });
    await Promise.all(senders);
    log(`all ${sent} sent`);

    const deadline = started + (options.deadlineMs ?? 600_000);
    while (unique < commands && performance.now() < deadline) await sleep(20);
    await killer;
    await Promise.all(restarts);
    // Strays: what a killed member held comes back after the ack wait.
    await sleep(ackWaitMs + 1_000);
    const jsm = await jetstreamManager(nc);
    const stream = `SPARK_${subject.replace(/\./g, '_')}`;
    const consumer = await jsm.consumers.info(stream, subject.replace(/\./g, '_'));
    const pendingAfter = consumer.num_pending + consumer.num_ack_pending;
    const expectedSum = (commands * (commands - 1)) / 2;
    let everyOnce = true;
    for (let id = 0; id < commands; id++) if (applied[id] === 0) everyOnce = false;
    return {
      sent,
      handled,
      unique,
      redelivered: consumer.delivered.consumer_seq - consumer.delivered.stream_seq,
      duplicates: handled - unique,
      lost: commands - unique,
      kills: killedMembers,
      stateExact: everyOnce && idSum === expectedSum && unique === commands,
      seconds: (performance.now() - started) / 1_000,
      pendingAfter,
    };
  } finally {
    for (const child of children.values()) child.kill('SIGKILL');
    await nc.close();
    await nats.stop();
  }
}
