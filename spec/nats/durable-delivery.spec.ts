// DurableDelivery reports how its handler settled, whatever the handler returned — the member
// acks on that report, so a missed or doubled report would lose or double an ack.
import { defer, Observable, of, throwError } from 'rxjs';
import { lastValueFrom } from 'rxjs';

import { type DurableOutcome, DurableDelivery, NatsPayloadError } from '../../lib/nats/index.js';

const context = { signal: new AbortController().signal };
const handler = (handleCommand: (m: unknown) => void | Promise<void> | Observable<unknown>) => ({
  handleRequest: () => undefined,
  handleCommand,
});

function delivery(message: unknown = 'm'): { delivery: DurableDelivery; outcomes: DurableOutcome[] } {
  const outcomes: DurableOutcome[] = [];
  return { delivery: new DurableDelivery(message, (outcome) => outcomes.push(outcome)), outcomes };
}

describe('DurableDelivery', () => {
  it("is named by its command's string type, and unnamed when there is none or reading it throws", () => {
    const none = (): void => undefined;
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('no reads');
        },
      },
    );
    expect(new DurableDelivery({ type: 'Touch' }, none).type).toBe('Touch');
    expect(new DurableDelivery({ type: 7 }, none).type).toBeUndefined();
    expect(new DurableDelivery('text', none).type).toBeUndefined();
    expect(new DurableDelivery(hostile, none).type).toBeUndefined();
  });

  it('reports ok for a handler that returns nothing, and hands it the plain message', () => {
    const seen: unknown[] = [];
    const { delivery: d, outcomes } = delivery({ type: 'x' });
    expect(
      d.run(
        handler((m) => void seen.push(m)),
        context,
      ),
    ).toBeUndefined();
    expect(seen).toEqual([{ type: 'x' }]);
    expect(outcomes).toEqual([{ ok: true }]);
  });

  it('reports a synchronous throw, and rethrows it for errors$', () => {
    const { delivery: d, outcomes } = delivery();
    const boom = new Error('boom');
    expect(() =>
      d.run(
        handler(() => {
          throw boom;
        }),
        context,
      ),
    ).toThrow(boom);
    expect(outcomes).toEqual([{ ok: false, error: boom }]);
  });

  it('reports an undecodable payload as its failure without running the handler', () => {
    const payloadError = new NatsPayloadError('bad', new Uint8Array([1]), undefined);
    const { delivery: d, outcomes } = delivery(payloadError);
    const ran: unknown[] = [];
    expect(() =>
      d.run(
        handler((m) => void ran.push(m)),
        context,
      ),
    ).toThrow(payloadError);
    expect(ran).toEqual([]);
    expect(outcomes).toEqual([{ ok: false, error: payloadError }]);
  });

  it('reports a promise once it settles, either way', async () => {
    const ok = delivery();
    await ok.delivery.run(
      handler(() => Promise.resolve()),
      context,
    );
    expect(ok.outcomes).toEqual([{ ok: true }]);
    const failed = delivery();
    const boom = new Error('later');
    await expect(
      failed.delivery.run(
        handler(() => Promise.reject(boom)),
        context,
      ),
    ).rejects.toBe(boom);
    expect(failed.outcomes).toEqual([{ ok: false, error: boom }]);
  });

  it('reports an observable when it completes or errors, passing its values on; a teardown reports nothing', async () => {
    const ok = delivery();
    const values = await lastValueFrom(
      ok.delivery.run(
        handler(() => of(1, 2)),
        context,
      ) as Observable<unknown>,
    );
    expect(values).toBe(2);
    expect(ok.outcomes).toEqual([{ ok: true }]);

    const failed = delivery();
    const boom = new Error('stream');
    await expect(
      lastValueFrom(
        failed.delivery.run(
          handler(() => throwError(() => boom)),
          context,
        ) as Observable<unknown>,
      ),
    ).rejects.toBe(boom);
    expect(failed.outcomes).toEqual([{ ok: false, error: boom }]);

    const torn = delivery();
    const never = torn.delivery.run(
      handler(() => new Observable<never>(() => undefined)),
      context,
    ) as Observable<unknown>;
    never.subscribe().unsubscribe(); // a stop tore it down: nothing to ack, the stream delivers it again
    expect(torn.outcomes).toEqual([]);
  });

  it('reports once, even when the observable is subscribed twice', async () => {
    const { delivery: d, outcomes } = delivery();
    const once = d.run(
      handler(() => defer(() => of(1))),
      context,
    ) as Observable<unknown>;
    await lastValueFrom(once);
    await lastValueFrom(once);
    expect(outcomes).toEqual([{ ok: true }]);
  });

  it('treats a result whose `then` cannot be read as a plain value', () => {
    const { delivery: d, outcomes } = delivery();
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('no reads');
        },
      },
    );
    d.run(
      handler(() => hostile as never),
      context,
    );
    expect(outcomes).toEqual([{ ok: true }]);
  });
});
