/**
 * Measures the round trip of a spark-channel/nats request against a bare `nc.request` with the
 * same payload, on the same nats-server. `npx tsx examples/nats/round-trip.ts` (NATS_URL or
 * 127.0.0.1:4222; N requests one at a time, default 5 000).
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';

import { jsonCodec, natsDispatcher, serveModule } from '../../lib/nats/index.js';

const server = process.env['NATS_URL'] ?? '127.0.0.1:4222';
const N = Number(process.env['N'] ?? 5_000);
const payload = { type: 'get', key: 'user123', tags: ['a', 'b', 'c'] };

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return `median ${(at(0.5) * 1000).toFixed(0)} µs, p99 ${(at(0.99) * 1000).toFixed(0)} µs`;
}

async function time(label: string, once: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 500; i++) await once(); // warm up
  const samples: number[] = [];
  for (let i = 0; i < N; i++) {
    const start = performance.now();
    await once();
    samples.push(performance.now() - start);
  }
  console.log(`${label.padEnd(34)} ${stats(samples)}`);
}

async function main(): Promise<void> {
  const serving: NatsConnection = await connect({ servers: server });
  const client: NatsConnection = await connect({ servers: server });

  // bare: a plain subscription that answers with the same JSON bytes
  serving.subscribe('bench.bare', {
    callback: (_error, msg) => {
      msg.respond(jsonCodec.encode({ ok: true, value: jsonCodec.decode(msg.data) }));
    },
  });
  const served = serveModule(serving, 'bench.module', {
    handleRequest: (message: unknown) => message,
    handleCommand: () => undefined,
  });
  await serving.flush();
  const dispatcher = natsDispatcher<unknown, unknown>(client, 'bench.module');

  await time('bare nc.request (JSON both ways)', async () =>
    jsonCodec.decode(
      (await client.request('bench.bare', jsonCodec.encode(payload), { timeout: 5_000 })).data,
    ),
  );
  await time('spark-channel/nats request', () => dispatcher.request(payload));

  await served.stop();
  await Promise.all([serving.close(), client.close()]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
