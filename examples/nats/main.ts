/**
 * A module served on NATS by two members of a queue group, and a dispatcher for it
 * (spark-channel/nats).
 *
 * Needs a nats-server: `nats-server -a 127.0.0.1 -p 4222 &`, then
 * `npx tsx examples/nats/main.ts` (or set NATS_URL). In real use each `serveModule` runs in its
 * own process, on its own machine if you like; here both members share one process for brevity.
 */
import { connect } from '@nats-io/transport-node';

import type { SparkGenericModuleHandler } from '../../lib/index.js';
import { isSparkChannelError } from '../../lib/index.js';
import { natsDispatcher, serveModule } from '../../lib/nats/index.js';

export type PriceMessage = { type: 'quote'; sku: string } | { type: 'audit'; event: string };
export interface Quote {
  readonly sku: string;
  readonly cents: number;
  readonly member: string;
}

const server = process.env['NATS_URL'] ?? '127.0.0.1:4222';

function pricing(member: string): SparkGenericModuleHandler<PriceMessage, Quote> {
  return {
    handleRequest(message) {
      if (message.type !== 'quote') throw new TypeError(`Not a request: ${message.type}`);
      if (message.sku === '') throw Object.assign(new RangeError('Unknown SKU'), { code: 'E_SKU' });
      return { sku: message.sku, cents: 100 * message.sku.length, member };
    },
    handleCommand(message) {
      if (message.type === 'audit') console.log(`  [${member}] audit: ${message.event}`);
    },
  };
}

async function main(): Promise<void> {
  // Two members of the queue group "prices" (the default queue name is the subject).
  const memberConnections = [await connect({ servers: server }), await connect({ servers: server })];
  const members = memberConnections.map((nc, i) => serveModule(nc, 'prices', pricing(`member-${i + 1}`)));
  for (const nc of memberConnections) await nc.flush(); // subscribed before we send

  const client = await connect({ servers: server });
  const prices = natsDispatcher<PriceMessage, Quote>(client, 'prices', { timeoutMs: 2_000 });

  const quotes = await Promise.all(
    ['apple', 'pear', 'fig', 'kiwi', 'plum', 'lime'].map((sku) => prices.request({ type: 'quote', sku })),
  );
  for (const q of quotes) console.log(`${q.sku}: ${q.cents} cents (from ${q.member})`);

  await prices.sendCommand({ type: 'audit', event: 'quotes served' }); // at most once: no reply

  try {
    await prices.request({ type: 'quote', sku: '' });
  } catch (error) {
    const { name, message, code } = error as Error & { code?: string };
    console.log(`remote handler error kept: ${name}: ${message} (${code})`);
  }

  const nobody = natsDispatcher<PriceMessage, Quote>(client, 'nobody-serves-this');
  const result = await nobody.requestResult({ type: 'quote', sku: 'apple' });
  if (!result.ok && isSparkChannelError(result.error)) console.log(`no responders: ${result.error.code}`);

  await prices.shutdown();
  await Promise.all(members.map((m) => m.stop())); // drain, answer what was received, stop
  await Promise.all([...memberConnections, client].map((nc) => nc.close()));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
