// examples/observability.ts, the code behind docs/observability.md: percentiles from events$,
// dead letters, and a supervised cache.
import { firstValueFrom, skip } from 'rxjs';

import {
  CacheHandler,
  CorruptCacheError,
  describeDeadLetter,
  latencies,
  spawnCache,
} from '../../examples/observability.js';
import type { DeadLetter } from '../../lib/index.js';
import type { CacheMessage } from '../../examples/observability.js';
import { recordingLogger } from '../support/helpers.js';

describe('examples/observability.ts', () => {
  it('computes latency percentiles per outcome from events$', async () => {
    const { dispatcher, server } = spawnCache(recordingLogger());
    const reports = latencies(server.events$);
    const after4 = firstValueFrom(reports.pipe(skip(3)));
    await dispatcher.sendCommand({ type: 'Put', key: 'a', value: 1 });
    await dispatcher.request({ type: 'Get', key: 'a' });
    await dispatcher.request({ type: 'Get', key: 'a' });
    await dispatcher.request({ type: 'Put', key: 'a', value: 2 }).catch(() => undefined); // a command
    const report = await after4;
    expect(report.ok?.count).toBe(3);
    expect(report.error?.count).toBe(1);
    const ok = report.ok!;
    expect(ok.p50).toBeLessThanOrEqual(ok.p95);
    expect(ok.p95).toBeLessThanOrEqual(ok.p99);
    server.stop();
  });

  it('rebuilds the cache empty after a corrupt load, and stops after the third in a minute', async () => {
    const logger = recordingLogger();
    const { dispatcher, server } = spawnCache(logger);
    const letters: DeadLetter<CacheMessage>[] = [];
    server.deadLetters$.subscribe((l) => letters.push(l));
    await dispatcher.sendCommand({ type: 'Put', key: 'a', value: 1 });
    await dispatcher.sendCommand({ type: 'Load', bytes: 'b=2,broken' });
    await expect(dispatcher.request({ type: 'Get', key: 'a' })).resolves.toBeUndefined();
    await expect(dispatcher.request({ type: 'Get', key: 'b' })).resolves.toBeUndefined();
    await dispatcher.sendCommand({ type: 'Load', bytes: 'x' });
    await dispatcher.sendCommand({ type: 'Put', key: 'q', value: 1 }); // queued behind the fatal load?
    await dispatcher.sendCommand({ type: 'Load', bytes: 'y' });
    await server.stopped;
    await expect(dispatcher.sendCommand({ type: 'Put', key: 'c', value: 3 })).rejects.toThrow(
      'Message refused',
    );
    expect(letters.map(describeDeadLetter).at(-1)).toBe('refused: command Put (SEND_FAILED)');
    expect(logger.warnings).toHaveLength(2); // two rebuilds
    expect(logger.errors.map((a) => a[0])).toContain(
      'spark-channel: stopping: the supervision policy gave up: fatal failure after 2 restart(s) within 60000 ms (maxRestarts 2):',
    );
  });

  it('has a handler that fails loads it cannot parse as corrupt', () => {
    const cache = new CacheHandler();
    expect(() => cache.handleCommand({ type: 'Load', bytes: 'a=1,b' })).toThrow(CorruptCacheError);
    expect(cache.handleRequest({ type: 'Get', key: 'a' })).toBe(1);
    expect(() => cache.handleRequest({ type: 'Load', bytes: '' })).toThrow('Load is a command');
  });
});
