/**
 * One measurement in a fresh process: `node .tmp/bench-js/child.js --peer=<id> --scenario=<id>
 * --kind=sync|async [--quick]` (bench/index.ts starts it; it is not meant to be run by hand, but
 * can be, to look at one figure). Loads only that implementation, measures, and prints the result
 * as one line, `BENCH-RESULT {json}`, on stdout. `--scenario=heap` measures the heap per pending
 * request (needs `node --expose-gc`); `--scenario=fanout-…`, `heap-event` and `heap-command` are
 * the event bus scenarios (bench/fanout/); `--profile` profiles instead (bench/profile.ts).
 */
import { parseCli } from './cli.js';
import { configFor } from './config.js';
import { measureFanout, measureHeapFanout, profileFanout } from './fanout/measure.js';
import { loadFanoutPeer } from './fanout/peers/load.js';
import { fanoutScenarios, isFanoutId } from './fanout/scenarios.js';
import { measureHeap, measureTime, recordStray, RESULT_PREFIX } from './measure.js';
import { loadPeer } from './peers/load.js';
import { profileOne } from './profile.js';
import { timeScenarios } from './scenarios.js';
import type { HandlerKind } from './workload.js';

const USAGE = `usage: node .tmp/bench-js/child.js --peer=<id> --scenario=<id>|heap --kind=sync|async [--quick] [--profile]
One measurement of one implementation in this process; bench/index.ts runs these.`;

async function main(): Promise<void> {
  const values = parseCli('bench child', USAGE, {
    peer: { type: 'string' },
    scenario: { type: 'string' },
    kind: { type: 'string', default: 'sync' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  });
  const config = configFor(values.quick);
  process.on('uncaughtException', recordStray);
  process.on('unhandledRejection', recordStray);
  const id = values.scenario ?? '';
  if (isFanoutId(id)) {
    // The event bus family (bench/fanout/): its own implementations, sync listeners only.
    const peer = loadFanoutPeer(values.peer ?? '');
    if (!id.startsWith('fanout-')) {
      report(await measureHeapFanout(config, peer, id));
      return;
    }
    const scenario = fanoutScenarios(config).find((s) => s.id === id);
    if (scenario === undefined) throw new Error(`unknown scenario '${id}'`);
    if (values.profile) {
      await profileFanout(config, peer, scenario);
      process.exit(0);
    }
    report(await measureFanout(config, peer, scenario));
    return;
  }
  const peer = loadPeer(values.peer ?? '');
  const kind = values.kind as HandlerKind;
  if (kind !== 'sync' && kind !== 'async') throw new Error(`--kind must be sync or async, got ${kind}`);

  if (values.scenario === 'heap') {
    report(await measureHeap(config, peer));
    return;
  }
  const scenario = timeScenarios(config).find((s) => s.id === values.scenario);
  if (scenario === undefined) throw new Error(`unknown scenario '${values.scenario ?? ''}'`);
  if (values.profile) {
    await profileOne(config, peer, scenario, kind);
    process.exit(0);
  }
  report(await measureTime(config, peer, scenario, kind));
}

function report(result: unknown): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
  process.exit(0); // a peer that lost messages may keep the loop alive
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench child crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
