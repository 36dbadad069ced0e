// The inspector's memory bound: with a module watched (timeline ring, latency windows, lists) and
// a page's worth of snapshots taken as it goes, the heap stays flat over 10⁶ messages. Run with
// `node --expose-gc` (npm test does); skipped otherwise.
import { createEventBus, spawnModule } from '../../lib/index.js';
import { createInspector } from '../../lib/inspect/index.js';
import { settledHeap, withGc } from '../support/heap.js';

// 2 MiB over the baseline: keeping even 8 bytes per message would show as 7 MB over the 900,000
// messages measured.
const BOUND = 2 * 1024 * 1024;

describe('inspector memory', () => {
  withGc(
    'stays flat over 1,000,000 messages with the inspector watching, bounded by its rings',
    async () => {
      const inspector = createInspector({ timelineSize: 5_000, listSize: 500 });
      const module = spawnModule<{ n: number }, number>(
        {
          handleRequest: ({ n }) => n,
          handleCommand: ({ n }) => {
            if (n % 100 === 1) throw new Error(`fault ${n}`); // errors$: the list fills and rolls
          },
        },
        { logger: { error: () => undefined } },
      );
      type Events = { Tick: { n: number } };
      const bus = inspector.watchBus(createEventBus<Events>());
      const listener = spawnModule<{ n: number }, never>({
        handleRequest: () => undefined as never,
        handleCommand: () => undefined,
      });
      inspector.watch('worker', module);
      inspector.watch('listener', listener);
      bus.subscribe('Tick', listener.dispatcher, ({ n }) => ({ n }));
      let cursor = 0;
      let sent = 0;
      /** `count` messages: commands, every 10th a request, every 50th an event; a page refresh every 10,000. */
      const run = async (count: number): Promise<void> => {
        for (let batch = 0; batch < count / 1_000; batch++) {
          const pending: Promise<unknown>[] = [];
          for (let i = 0; i < 1_000; i++, sent++) {
            const message = { n: sent };
            if (sent % 50 === 0) pending.push(bus.publish({ type: 'Tick', n: sent }));
            else if (sent % 10 === 0) pending.push(module.dispatcher.request(message));
            else pending.push(module.dispatcher.sendCommand(message));
          }
          await Promise.all(pending);
          if (batch % 10 === 0) cursor = inspector.snapshot({ since: cursor, limit: 2_000 }).cursor;
        }
      };
      await run(100_000); // the rings fill, the JIT warms up
      const before = await settledHeap();
      await run(900_000);
      const after = await settledHeap();
      expect({ growth: after - before, withinBound: after - before < BOUND }).toMatchObject({
        withinBound: true,
      });

      const snapshot = inspector.snapshot();
      const [worker, listening] = snapshot.modules;
      expect(sent).toBe(1_000_000);
      expect(worker?.stats.handled).toBe(980_000);
      expect(worker?.outcomes.error).toBe(10_000); // n % 100 === 1: commands, all of them
      expect(listening?.stats.handled).toBe(20_000);
      expect(snapshot.timeline.filter((e) => e.module === 'worker')).toHaveLength(5_000);
      expect(snapshot.errors).toHaveLength(500);
      expect(snapshot.buses[0]?.edges[0]?.delivered).toBe(20_000);
      inspector.close();
      module.server.stop();
      listener.server.stop();
    },
    120_000,
  );
});
