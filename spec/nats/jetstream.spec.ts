// Durable commands (spark-channel/nats/jetstream) against a real `nats-server -js` with its file
// store in a temp folder: stored while no member runs, kept across a server restart, a retried
// send stored once, a poison command moved to the dead-letter stream, a full stream refusing,
// and typed errors for bad options. Member processes killed mid-command: jetstream-processes.spec.ts.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';

import type { DeadLetter, ModuleError, SparkGenericModuleHandler } from '../../lib/index.js';
import { natsDispatcher, serveModule, type ServedModule } from '../../lib/nats/index.js';
import { jetStreamCommands, type JetStreamCommandsOptions } from '../../lib/nats/jetstream/index.js';
import { codeOf, deferred, recordingLogger } from '../support/helpers.js';
import { ensureNatsServer, startNatsServer } from './nats-server.js';
import { type RunningJetStream, startJetStreamServer } from './jetstream-server.js';

type Command = { type: 'work' | 'fail' | 'block'; n: number };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const describeNats = ensureNatsServer() ? describe : describe.skip;

/** Waits until `done()` holds (a safety deadline, not a timing assertion), running `step` between looks. */
async function until(done: () => boolean, ms = 20_000, step?: () => Promise<void>): Promise<void> {
  for (const end = Date.now() + ms; !done() && Date.now() < end;) {
    await sleep(20);
    await step?.();
  }
}

/** How many messages the stream holds now. */
async function storedIn(nc: NatsConnection, stream: string): Promise<number> {
  const jsm = await jetstreamManager(nc, { timeout: 1_000 });
  return (await jsm.streams.info(stream)).state.messages;
}

describeNats('durable commands on JetStream (real nats-server -js)', () => {
  let nats: RunningJetStream;
  const connections: NatsConnection[] = [];
  const served: ServedModule<Command, Error>[] = [];
  let count = 0;
  const subject = (): string => `spec.js.${process.pid}.${++count}`;

  const open = async (): Promise<NatsConnection> => {
    const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    connections.push(nc);
    return nc;
  };

  const member = (
    nc: NatsConnection,
    on: string,
    seen: Command[],
    durable: ReturnType<typeof jetStreamCommands>,
    gate?: Promise<void>,
  ): ServedModule<Command, Error> => {
    const handler: SparkGenericModuleHandler<Command, unknown> = {
      handleRequest: () => 'pong',
      async handleCommand(command) {
        seen.push(command);
        if (command.type === 'block') await gate;
        if (command.type === 'fail') throw new RangeError(`poison ${command.n}`);
      },
    };
    const module = serveModule(nc, on, handler, { durable, logger: recordingLogger() });
    served.push(module);
    return module;
  };

  const options: JetStreamCommandsOptions<Command> = { ackWaitMs: 2_000, retryDelayMs: 50 };

  beforeAll(async () => {
    nats = await startJetStreamServer();
  }, 60_000);

  afterEach(async () => {
    await Promise.all(served.splice(0).map((s) => s.stop()));
    await Promise.all(connections.splice(0).map((nc) => nc.close()));
  });

  afterAll(async () => {
    await nats.stop();
  });

  it('stores commands sent while no member runs; the member started later handles every one, in order', async () => {
    const on = subject();
    const durable = jetStreamCommands<Command>(options);
    const sender = natsDispatcher<Command, unknown>(await open(), on, { durable });
    for (let n = 0; n < 50; n++) await sender.sendCommand({ type: 'work', n });
    const seen: Command[] = [];
    const module = member(await open(), on, seen, durable);
    await module.ready;
    await until(() => seen.length >= 50);
    expect(seen.map((c) => c.n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    // and requests stay on core NATS, answered by the same member
    await expect(sender.request({ type: 'work', n: -1 })).resolves.toBe('pong');
  }, 30_000);

  it('keeps unacked commands across a nats-server restart (file storage)', async () => {
    const on = subject();
    const durable = jetStreamCommands<Command>(options);
    const seen: Command[] = [];
    const gate = deferred();
    const module = member(await open(), on, seen, durable, gate.promise);
    await module.ready;
    const sender = natsDispatcher<Command, unknown>(await open(), on, { durable });
    await sender.sendCommand({ type: 'block', n: 0 });
    for (let n = 1; n < 20; n++) await sender.sendCommand({ type: 'work', n });
    await until(() => seen.length >= 1);
    await nats.restart(); // the member holds command 0 unacked, 1…19 are in the stream or its buffer
    gate.resolve();
    await until(() => new Set(seen.map((c) => c.n)).size >= 20, 40_000);
    expect(new Set(seen.map((c) => c.n))).toEqual(new Set(Array.from({ length: 20 }, (_, n) => n)));
    // the work queue is empty once everything was acked (JetStream may still be coming back up)
    let left = -1;
    await until(
      () => left === 0,
      30_000,
      async () => {
        left = await storedIn(connections[0] as NatsConnection, `SPARK_${on.replace(/\./g, '_')}`).catch(
          () => -1,
        );
      },
    );
    expect(left).toBe(0);
  }, 60_000);

  it('stores a retried send once (same Nats-Msg-Id within the duplicate window)', async () => {
    const on = subject();
    const durable = jetStreamCommands<Command>({ ...options, messageId: (c) => `cmd-${c.n}` });
    const sender = natsDispatcher<Command, unknown>(await open(), on, { durable });
    await sender.sendCommand({ type: 'work', n: 1 });
    await sender.sendCommand({ type: 'work', n: 1 }); // a retry: same id
    await sender.sendCommand({ type: 'work', n: 2 });
    const jsm = await jetstreamManager(connections[0] as NatsConnection);
    const info = await jsm.streams.info(`SPARK_${on.replace(/\./g, '_')}`);
    expect(info.state.messages).toBe(2);
    const seen: Command[] = [];
    await member(await open(), on, seen, durable).ready;
    await until(() => seen.length >= 2);
    await sleep(300);
    expect(seen.map((c) => c.n)).toEqual([1, 2]);
  }, 30_000);

  it('a poison command is tried maxDeliver times, then becomes a dead letter kept on the dead-letter stream', async () => {
    const on = subject();
    const durable = jetStreamCommands<Command>({ ...options, retryFailed: true, maxDeliver: 3 });
    const seen: Command[] = [];
    const module = member(await open(), on, seen, durable);
    const errors: ModuleError<unknown, Error>[] = [];
    const dead: DeadLetter<unknown>[] = [];
    module.server.errors$.subscribe((e) => errors.push(e));
    module.server.deadLetters$.subscribe((d) => dead.push(d));
    await module.ready;
    const sender = natsDispatcher<Command, unknown>(await open(), on, { durable });
    await sender.sendCommand({ type: 'fail', n: 7 });
    await sender.sendCommand({ type: 'work', n: 8 });
    await until(() => dead.length >= 1 && seen.some((c) => c.n === 8));
    expect(seen.filter((c) => c.n === 7)).toHaveLength(3);
    expect(errors.map((e) => e.message)).toEqual([
      { type: 'fail', n: 7 },
      { type: 'fail', n: 7 },
      { type: 'fail', n: 7 },
    ]);
    expect(dead).toEqual([
      expect.objectContaining({ reason: 'policy', kind: 'command', message: { type: 'fail', n: 7 } }),
    ]);
    const jsm = await jetstreamManager(connections[0] as NatsConnection);
    const stream = `SPARK_${on.replace(/\./g, '_')}`;
    const kept = await jsm.streams.getMessage(`${stream}_DEAD`, { last_by_subj: `${on}.dead` });
    const record = kept?.json<{
      reason: string;
      deliveries: number;
      payload: string;
      error: { message: string };
    }>();
    expect(record).toEqual(
      expect.objectContaining({
        reason: 'policy',
        deliveries: 3,
        error: expect.objectContaining({ message: 'poison 7' }),
      }),
    );
    expect(JSON.parse(Buffer.from(record?.payload ?? '', 'base64').toString())).toEqual({
      type: 'fail',
      n: 7,
    });
    expect((await jsm.streams.info(stream)).state.messages).toBe(0);
  }, 30_000);

  it('a stored command of another wire version is refused unread: a dead letter, and the next one is handled', async () => {
    const on = subject();
    const durable = jetStreamCommands<Command>(options);
    const seen: Command[] = [];
    const module = member(await open(), on, seen, durable);
    const dead: DeadLetter<unknown>[] = [];
    module.server.deadLetters$.subscribe((d) => dead.push(d));
    await module.ready;
    const nc = await open();
    const marked = headers();
    marked.set('Spark-Channel-Wire', '2');
    await jetstream(nc).publish(`${on}.durable`, JSON.stringify({ type: 'work', n: 1 }), { headers: marked });
    const sender = natsDispatcher<Command, unknown>(nc, on, { durable });
    await sender.sendCommand({ type: 'work', n: 2 });
    await until(() => dead.length >= 1 && seen.length >= 1);
    expect(seen).toEqual([{ type: 'work', n: 2 }]); // version 2 never reached the handler
    expect(dead).toEqual([expect.objectContaining({ reason: 'policy', kind: 'command' })]);
    expect(String((dead[0] as { error?: unknown }).error)).toMatch(/wire version "?2/);
  }, 30_000);

  it('a command that never settles (it stalls its member) becomes a dead letter after maxDeliver deliveries', async () => {
    const on = subject();
    const durable = jetStreamCommands<Command>({ ackWaitMs: 500, maxDeliver: 2, retryDelayMs: 50 });
    const seen: Command[] = [];
    const module = member(await open(), on, seen, durable, new Promise<void>(() => undefined));
    const dead: DeadLetter<unknown>[] = [];
    module.server.deadLetters$.subscribe((d) => dead.push(d));
    await module.ready;
    const sender = natsDispatcher<Command, unknown>(await open(), on, { durable });
    await sender.sendCommand({ type: 'block', n: 1 });
    await until(() => dead.length >= 1);
    expect(dead).toEqual([
      expect.objectContaining({
        reason: 'policy',
        message: { type: 'block', n: 1 },
        error: expect.objectContaining({ code: 'TIMEOUT' }),
      }),
    ]);
    module.server.stop(); // the stalled handler is cut off
  }, 30_000);

  it("shows the module server's streams with the plain commands, and its counters and drain", async () => {
    const on = subject();
    const durable = jetStreamCommands<Command>(options);
    const seen: Command[] = [];
    const module = member(await open(), on, seen, durable);
    const settled: unknown[] = [];
    module.server.events$.subscribe((event) => {
      if (event.type === 'settled') settled.push(event.message);
    });
    const stats: number[] = [];
    module.server.stats$.subscribe(({ handled }) => stats.push(handled));
    await module.ready;
    const sender = natsDispatcher<Command, unknown>(await open(), on, { durable });
    await sender.sendCommand({ type: 'work', n: 5 });
    await until(() => settled.length >= 1);
    expect(settled).toEqual([{ type: 'work', n: 5 }]);
    expect(module.server.stats().handled).toBe(1);
    expect(module.server.isRunning).toBe(true);
    const report = await module.server.drain(5_000);
    expect(report.outcome).toBe('drained');
    expect(module.server.isRunning).toBe(false);
    await module.server[Symbol.asyncDispose]();
    await module.server.stopped;
  }, 30_000);

  it('a member whose module stopped gives its commands back; another member handles them', async () => {
    const on = subject();
    const durable = jetStreamCommands<Command>(options);
    const first: Command[] = [];
    const stopped = member(await open(), on, first, durable);
    await stopped.ready;
    stopped.server.stop(); // the module is gone, the consumer still pulls
    const sender = natsDispatcher<Command, unknown>(await open(), on, { durable });
    for (let n = 0; n < 5; n++) await sender.sendCommand({ type: 'work', n });
    const second: Command[] = [];
    await member(await open(), on, second, durable).ready;
    await until(() => new Set(second.map((c) => c.n)).size >= 5);
    expect(new Set(second.map((c) => c.n))).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(first).toEqual([]);
  }, 30_000);

  it('a failed command is acked once errors$ reported it, unless retryFailed', async () => {
    const on = subject();
    const durable = jetStreamCommands<Command>(options);
    const seen: Command[] = [];
    const module = member(await open(), on, seen, durable);
    const errors: ModuleError<unknown, Error>[] = [];
    module.server.errors$.subscribe((e) => errors.push(e));
    await module.ready;
    const sender = natsDispatcher<Command, unknown>(await open(), on, { durable });
    await sender.sendCommand({ type: 'fail', n: 1 });
    await until(() => errors.length >= 1);
    await sleep(300);
    expect(seen).toEqual([{ type: 'fail', n: 1 }]);
    expect(errors[0]?.message).toEqual({ type: 'fail', n: 1 });
  }, 30_000);

  it('rejects with SEND_FAILED when the stream cannot store the command (full, or no JetStream)', async () => {
    const on = subject();
    const durable = jetStreamCommands<Command>({ ...options, maxMessages: 2 });
    const sender = natsDispatcher<Command, unknown>(await open(), on, { durable });
    await sender.sendCommand({ type: 'work', n: 1 });
    await sender.sendCommand({ type: 'work', n: 2 });
    expect(await codeOf(sender.sendCommand({ type: 'work', n: 3 }))).toBe('SEND_FAILED');
    // a messageId that throws, or returns no id: refused before anything is sent
    const throwing = natsDispatcher<Command, unknown>(connections[0] as NatsConnection, on, {
      durable: jetStreamCommands<Command>({
        messageId: () => {
          throw new Error('no id');
        },
      }),
    });
    expect(await codeOf(throwing.sendCommand({ type: 'work', n: 4 }))).toBe('SEND_FAILED');
    const empty = natsDispatcher<Command, unknown>(connections[0] as NatsConnection, on, {
      durable: jetStreamCommands<Command>({ messageId: () => '' }),
    });
    expect(await codeOf(empty.sendCommand({ type: 'work', n: 4 }))).toBe('SEND_FAILED');

    const core = await startNatsServer(); // no -js
    try {
      const nc = await connect({ servers: core.url, reconnect: false });
      connections.push(nc);
      const none = natsDispatcher<Command, unknown>(nc, on, {
        durable: jetStreamCommands<Command>({ publishTimeoutMs: 300 }),
      });
      expect(await codeOf(none.sendCommand({ type: 'work', n: 1 }))).toBe('SEND_FAILED');
      const module = serveModule(
        nc,
        on,
        { handleRequest: () => 1, handleCommand: () => undefined },
        {
          durable: jetStreamCommands(),
          logger: recordingLogger(),
        },
      );
      expect(await codeOf(module.ready)).toBe('RECEIVE_FAILED');
      await module.stop();
    } finally {
      await core.stop();
    }
  }, 30_000);

  it('refuses bad options with typed errors naming them, and keyed ordering explicitly', () => {
    expect(() => jetStreamCommands({ key: () => 1 } as never)).toThrow(/`key`/);
    expect(() => jetStreamCommands({ ackWaitMs: 0 })).toThrow(RangeError);
    expect(() => jetStreamCommands({ ackWaitMs: 0 })).toThrow(/`ackWaitMs`/);
    expect(() => jetStreamCommands({ maxDeliver: 1.5 })).toThrow(/`maxDeliver`/);
    expect(() => jetStreamCommands({ prefetch: -1 })).toThrow(/`prefetch`/);
    expect(() => jetStreamCommands({ stream: 'a.b' })).toThrow(/`stream`/);
    expect(() => jetStreamCommands({ storage: 'disk' as never })).toThrow(/`storage`/);
    expect(() => jetStreamCommands({ retryFailed: 'yes' as never })).toThrow(/`retryFailed`/);
    expect(() => jetStreamCommands({ messageId: 'id' as never })).toThrow(/`messageId`/);
    expect(() => jetStreamCommands({ maxMessages: 0 })).toThrow(/`maxMessages`/);
    expect(() => jetStreamCommands('x' as never)).toThrow(TypeError);
  });
});
