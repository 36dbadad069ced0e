// The JetStream soak, small (scripts/soak-jetstream.ts runs 100,000): 2,000 durable commands
// across two real member processes, two of them SIGKILLed mid-run and started again, against a
// real nats-server -js. Every command handled at least once; the ledger keyed by message id ends
// exactly as if each ran once; nothing left in the stream.
import { runJetStreamSoak } from '../../scripts/soak-jetstream/run.js';
import { ensureNatsServer } from './nats-server.js';

const describeNats = ensureNatsServer() ? describe : describe.skip;

describeNats('JetStream soak, small (real nats-server -js, real member processes)', () => {
  it('2,000 durable commands, 2 member kills: none lost, the idempotent state exact', async () => {
    const report = await runJetStreamSoak({
      commands: 2_000,
      kills: 2,
      ackWaitMs: 2_000,
      deadlineMs: 50_000,
    });
    console.log(
      `jetstream soak: sent ${report.sent}, handled ${report.handled}, redelivered ${report.redelivered}, duplicates ${report.duplicates}, lost ${report.lost}, ${report.kills} kills, ${report.seconds.toFixed(1)} s`,
    );
    expect(report.sent).toBe(2_000);
    expect(report.kills).toBe(2);
    expect(report.redelivered).toBeGreaterThan(0); // the kills hit members holding unacked commands
    expect(report.lost).toBe(0);
    expect(report.unique).toBe(2_000);
    expect(report.handled).toBeGreaterThanOrEqual(2_000);
    expect(report.stateExact).toBe(true);
    expect(report.pendingAfter).toBe(0);
  }, 60_000);
});
