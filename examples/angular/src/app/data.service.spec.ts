import { TestBed } from '@angular/core/testing';
import { provideModuleProbe } from 'spark-channel/angular/testing';
import { createProbe, type TestProbe } from 'spark-channel/testing';

import type { DataMessage, DataResponse } from './data.handler';
import { DataService } from './data.service';

describe('DataService, with a probe in place of its module', () => {
  let probe: TestProbe<DataMessage, DataResponse>;
  let service: DataService;
  beforeEach(() => {
    probe = createProbe<DataMessage, DataResponse>();
    TestBed.configureTestingModule({ providers: [provideModuleProbe(DataService, probe)] });
    service = TestBed.inject(DataService);
  });
  afterEach(() => probe.stop());

  it('getData sends GetData and resolves with the data', async () => {
    const values = service.getData('user123');
    (await probe.expectRequest({ type: 'GetData', key: 'user123' })).reply({ type: 'Data', data: [1, 2, 3] });
    await expect(values).resolves.toEqual([1, 2, 3]);
    probe.expectNoMessage();
  });

  it('getData refuses an answer of the wrong kind (its guard)', async () => {
    const values = service.getData('user123');
    (await probe.expectRequest({ type: 'GetData' })).reply({ type: 'Success', success: true });
    await expect(values).rejects.toMatchObject({ code: 'INVALID_RESPONSE_TYPE' });
  });

  it('getData gives up after 1 s (fake timers), and the module is told', async () => {
    vi.useFakeTimers();
    try {
      const values = service.getData('user123');
      const failure = expect(values).rejects.toMatchObject({ code: 'TIMEOUT' });
      const request = await probe.expectRequest({ type: 'GetData' }); // left unanswered
      await vi.advanceTimersByTimeAsync(999);
      expect(request.status).toBe('pending');
      await vi.advanceTimersByTimeAsync(1);
      await failure;
      expect(request.signal.aborted).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('logEvent and sendUnsupportedCommand send commands; the stats signal follows the probe', async () => {
    await service.logEvent('clicked', 300);
    await service.sendUnsupportedCommand();
    await expect(probe.expectCommand({ type: 'LogEvent' })).resolves.toEqual({
      type: 'LogEvent',
      event: 'clicked',
      workMs: 300,
    });
    await expect(probe.expectCommand()).resolves.toEqual({ type: 'UpdateData', key: 'user123', value: 4 });
    await Promise.resolve();
    expect(service.stats()).toMatchObject({ handled: 2, queued: 0, running: 0 });
  });
});
