/**
 * Command throughput over NATS, three ways with the same ~60-byte JSON payload, each in its own
 * child process per round (order rotated each round), against one `nats-server -js` (file
 * storage in a temp folder, loopback) started here:
 *
 * - `core`: `natsDispatcher.sendCommand` → a `serveModule` member (at most once);
 * - `jetstream-bare`: the official client's `js.publish` → a bare durable pull consumer that acks;
 * - `durable`: `natsDispatcher` with `jetStreamCommands()` → a durable `serveModule` member.
 *
 * Each child sends N commands with up to 256 sends in flight and reports "stored" (every send
 * resolved: handed to the connection for core, the stream's ack for the others) and "handled"
 * (the member's handler, or the bare consumer, saw the last one) in commands per second.
 *
 *   npx tsx bench/nats-commands.ts                 # N=20000, 3 rounds
 *   npx tsx bench/nats-commands.ts --quick         # N=2000, 1 round (what `npm run bench -- --quick` runs)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

import { jsonCodec, natsDispatcher, serveModule } from '../lib/nats/index.js';
import { jetStreamCommands } from '../lib/nats/jetstream/index.js';

const IMPLEMENTATIONS = ['core', 'jetstream-bare', 'durable'] as const;
type Implementation = (typeof IMPLEMENTATIONS)[number];
const WINDOW = 256;
const payload = { type: 'get', key: 'user123', tags: ['a', 'b', 'c'] };

interface Row {
  readonly implementation: Implementation;
  readonly storedPerSecond: number;
  readonly handledPerSecond: number;
  readonly handled: number;
}

/** Sends `n` with up to WINDOW in flight; resolves when every send resolved. */
async function sendAll(n: number, send: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(WINDOW, n) }, async () => {
      while (next < n) await send(next++);
    }),
  );
}

async function child(implementation: Implementation, url: string, n: number): Promise<Row> {
  const serving = await connect({ servers: url });
  const client = await connect({ servers: url });
  const subject = `bench.commands.${implementation}.${process.pid}`;
  let handled = 0;
  let allHandled!: () => void;
  const done = new Promise<void>((resolve) => (allHandled = resolve));
  const count = (): void => {
    if (++handled === n) allHandled();
  };
  let stop: () => Promise<void>;
  let send: (i: number) => Promise<unknown>;

  if (implementation === 'jetstream-bare') {
    const jsm = await jetstreamManager(client);
    const stream = `BENCH_${process.pid}`;
    await jsm.streams.add({
      name: stream,
      subjects: [subject],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
    });
    await jsm.consumers.add(stream, { durable_name: 'bench', ack_policy: AckPolicy.Explicit });
    const consumer = await jetstream(serving).consumers.get(stream, 'bench');
    const messages = await consumer.consume({ max_messages: 64 });
    void (async () => {
      for await (const msg of messages) {
        jsonCodec.decode(msg.data);
        msg.ack();
        count();
      }
    })();
    const js = jetstream(client);
    send = (i) => js.publish(subject, jsonCodec.encode(payload), { msgID: `bench-${i}` });
    stop = async () => void (await messages.close());
  } else {
    const durable = implementation === 'durable' ? jetStreamCommands() : undefined;
    const served = serveModule(
      serving,
      subject,
      { handleRequest: () => undefined, handleCommand: count },
      durable === undefined ? {} : { durable },
    );
    await served.ready;
    const dispatcher = natsDispatcher<unknown, unknown>(
      client,
      subject,
      durable === undefined ? {} : { durable },
    );
    send = () => dispatcher.sendCommand(payload);
    stop = () => served.stop();
  }

  const start = performance.now();
  await sendAll(n, send);
  if (implementation === 'core') await client.flush();
  const stored = performance.now() - start;
  const deadline = new Promise<void>((resolve) => setTimeout(resolve, 120_000).unref());
  await Promise.race([done, deadline]);
  const total = performance.now() - start;
  await stop();
  await Promise.all([serving.close(), client.close()]);
  return {
    implementation,
    storedPerSecond: (n / stored) * 1_000,
    handledPerSecond: (handled / total) * 1_000,
    handled,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => (socket.end(), resolve(true)));
    socket.on('error', () => resolve(false));
  });
}

function runChild(implementation: Implementation, url: string, n: number): Promise<Row> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', __filename, `--child=${implementation}`, `--url=${url}`, `--n=${n}`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{'))
        return reject(new Error(`${implementation}: exit ${code}: ${out}`));
      resolve(JSON.parse(line) as Row);
    });
  });
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      rounds: { type: 'string' },
      n: { type: 'string' },
      child: { type: 'string' },
      url: { type: 'string' },
    },
    strict: true,
  });
  if (values.child !== undefined) {
    const row = await child(values.child as Implementation, values.url ?? '', Number(values.n));
    console.log(JSON.stringify(row));
    return;
  }
  const quick = values.quick === true;
  const n = Number(values.n ?? (quick ? 2_000 : 20_000));
  const rounds = Number(values.rounds ?? (quick ? 1 : 3));
  if (!Number.isInteger(n) || n <= 0 || !Number.isInteger(rounds) || rounds <= 0) {
    console.error('--n and --rounds must be positive integers');
    process.exit(2);
  }
  if (spawnSync('nats-server', ['--version']).status !== 0) {
    console.log(
      '\nNATS command throughput: skipped (nats-server is not installed; `apt-get install nats-server`)',
    );
    return;
  }
  const store = mkdtempSync(join(tmpdir(), 'spark-bench-js-'));
  const port = await freePort();
  const nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], {
    stdio: 'ignore',
  });
  try {
    for (let i = 0; i < 200 && !(await accepts(port)); i++) await new Promise((r) => setTimeout(r, 50));
    const url = `127.0.0.1:${port}`;
    console.log(
      `\nNATS command throughput (nats-server -js on ${url}, file storage; ${n} commands, ${WINDOW} sends in flight, ${rounds} round(s), each implementation in its own process, order rotated):`,
    );
    const rows = new Map<Implementation, Row[]>(IMPLEMENTATIONS.map((name) => [name, []]));
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const order = IMPLEMENTATIONS.map(
        (_, i) => IMPLEMENTATIONS[(i + round) % IMPLEMENTATIONS.length] as Implementation,
      );
      const results = new Map<Implementation, Row>();
      for (const name of order) {
        const row = await runChild(name, url, n);
        results.set(name, row);
        rows.get(name)?.push(row);
        if (row.handled !== n) console.log(`  ${name}: handled ${row.handled} of ${n}`);
      }
      const durable = results.get('durable');
      const bare = results.get('jetstream-bare');
      if (durable !== undefined && bare !== undefined)
        ratios.push(durable.handledPerSecond / bare.handledPerSecond);
    }
    const format = (value: number): string => Math.round(value).toLocaleString('en-US').padStart(9);
    console.log(`  ${'implementation'.padEnd(44)} ${'stored/s'.padStart(9)} ${'handled/s'.padStart(9)}`);
    const labels: Record<Implementation, string> = {
      core: 'core NATS command (natsDispatcher)',
      'jetstream-bare': 'bare JetStream publish + pull consumer',
      durable: 'durable command (jetStreamCommands)',
    };
    for (const name of IMPLEMENTATIONS) {
      const list = rows.get(name) ?? [];
      console.log(
        `  ${labels[name].padEnd(44)} ${format(median(list.map((r) => r.storedPerSecond)))} ${format(median(list.map((r) => r.handledPerSecond)))}`,
      );
    }
    console.log(
      `  durable / bare JetStream, handled/s, median of per-round ratios: ${median(ratios).toFixed(2)}`,
    );
  } finally {
    nats.kill();
    rmSync(store, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
