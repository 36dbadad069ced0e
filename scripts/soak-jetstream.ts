/**
 * The JetStream soak: 100,000 durable commands across two member processes that are SIGKILLed at
 * random and started again, against a real `nats-server -js` on loopback. Prints sent, handled,
 * redelivered, duplicates and lost; exits 1 if any command is lost or the ledger's final state
 * is not that of each command applied once.
 *
 *   npx tsx scripts/soak-jetstream.ts                       # 100,000 commands, 10 kills
 *   npx tsx scripts/soak-jetstream.ts --commands=2000 --kills=2
 */
import { parseArgs } from 'node:util';

import { runJetStreamSoak } from './soak-jetstream/run.js';

const { values } = parseArgs({
  options: {
    commands: { type: 'string', default: '100000' },
    kills: { type: 'string', default: '10' },
    seed: { type: 'string', default: String(0x5eed) },
  },
  strict: true,
});
const count = (name: string, text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`--${name} must be a non-negative integer, got ${text}`);
    process.exit(2);
  }
  return value;
};

void (async () => {
  const report = await runJetStreamSoak({
    commands: count('commands', values.commands),
    kills: count('kills', values.kills),
    seed: count('seed', values.seed),
    deadlineMs: 1_200_000,
    log: (line) => console.log(`  ${line}`),
  });
  console.log(
    `sent ${report.sent}, handled ${report.handled}, redelivered ${report.redelivered}, duplicates ${report.duplicates}, lost ${report.lost}` +
      ` (${report.kills} kills, ${report.seconds.toFixed(1)} s, state exact: ${report.stateExact}, left in the stream: ${report.pendingAfter})`,
  );
  process.exit(report.lost === 0 && report.stateExact && report.pendingAfter === 0 ? 0 : 1);
})();
