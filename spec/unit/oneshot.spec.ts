import { AsyncSubject, firstValueFrom, lastValueFrom } from 'rxjs';

import { Oneshot } from '../../lib/internal/signal/oneshot.js';

function oneshot<V>(): { shot: Oneshot<V>; onSettle: jest.Mock } {
  const onSettle = jest.fn();
  return { shot: new Oneshot<V>(onSettle), onSettle };
}

describe('Oneshot', () => {
  it('is a real AsyncSubject', () => {
    const { shot } = oneshot<number>();
    expect(shot).toBeInstanceOf(AsyncSubject);
  });

  it('says nothing before it completes', () => {
    const { shot, onSettle } = oneshot<number>();

    shot.next(1);

    expect(onSettle).not.toHaveBeenCalled();
  });

  it('hands its value to onSettle once it completes', () => {
    const { shot, onSettle } = oneshot<string>();

    shot.next('pong');
    shot.complete();

    expect(onSettle).toHaveBeenCalledTimes(1);
    expect(onSettle).toHaveBeenCalledWith(true, 'pong');
  });

  it('keeps the last value, as an AsyncSubject does', async () => {
    const { shot, onSettle } = oneshot<number>();
    const seen = lastValueFrom(shot);

    shot.next(1);
    shot.next(2);
    shot.complete();

    expect(onSettle).toHaveBeenCalledWith(true, 2);
    await expect(seen).resolves.toBe(2);
  });

  it('tells an undefined value apart from no value', () => {
    const withUndefined = oneshot<undefined>();
    withUndefined.shot.next(undefined);
    withUndefined.shot.complete();

    const empty = oneshot<undefined>();
    empty.shot.complete();

    expect(withUndefined.onSettle).toHaveBeenCalledWith(true, undefined);
    expect(empty.onSettle).toHaveBeenCalledWith(false, undefined);
  });

  it('reports an error with no value, keeping the error by reference', () => {
    const { shot, onSettle } = oneshot<number>();
    const error = new Error('broken');

    shot.next(1);
    shot.error(error);

    expect(onSettle).toHaveBeenCalledTimes(1);
    expect(onSettle).toHaveBeenCalledWith(false, undefined, error);
  });

  it('settles once: later next, complete and error are ignored', () => {
    const { shot, onSettle } = oneshot<number>();

    shot.next(1);
    shot.complete();
    shot.next(2);
    shot.complete();
    shot.error(new Error('late'));

    expect(onSettle).toHaveBeenCalledTimes(1);
    expect(onSettle).toHaveBeenCalledWith(true, 1);
  });

  it('settles once after an error too', () => {
    const { shot, onSettle } = oneshot<number>();
    const error = new Error('first');

    shot.error(error);
    shot.next(1);
    shot.complete();

    expect(onSettle).toHaveBeenCalledTimes(1);
    expect(onSettle).toHaveBeenCalledWith(false, undefined, error);
  });

  it('still serves its subscribers, early and late, before onSettle runs', async () => {
    const order: string[] = [];
    const shot = new Oneshot<string>(() => order.push('settle'));
    shot.subscribe((value) => order.push(`early:${value}`));

    shot.next('v');
    shot.complete();
    const late = await firstValueFrom(shot);

    expect(order).toEqual(['early:v', 'settle']);
    expect(late).toBe('v');
  });

  it('still delivers an error to its subscribers', async () => {
    const { shot } = oneshot<number>();
    const error = new Error('broken');
    const seen = lastValueFrom(shot);

    shot.error(error);

    await expect(seen).rejects.toBe(error);
  });
});

describe('quiet completion', () => {
  it('replays the value and completion to a subscriber that comes after an unobserved completion', async () => {
    const { lastValueFrom, toArray } = await import('rxjs');
    const { PromiseOneshot } = await import('../../lib/internal/signal/oneshot.js');
    let resolved: unknown;
    const oneshot = new PromiseOneshot<number, Error>(
      (v) => (resolved = v),
      () => undefined,
    );
    oneshot.next({ ok: true, value: 7 });
    oneshot.complete();
    expect(resolved).toBe(7);
    await expect(lastValueFrom(oneshot.pipe(toArray()))).resolves.toEqual([{ ok: true, value: 7 }]);
    oneshot.next({ ok: true, value: 8 }); // ignored once stopped
    await expect(lastValueFrom(oneshot.pipe(toArray()))).resolves.toEqual([{ ok: true, value: 7 }]);
  });
});
