import { AsyncSubject, lastValueFrom } from 'rxjs';

import { CallbackWrapper, type CallbackSender, ok, type Result } from '../../lib/index.js';

describe('CallbackWrapper', () => {
  it('keeps the message and the sender it was given, by reference', () => {
    const message = { type: 'GetData', key: 'user123' };
    const sender: CallbackSender<Result<string, Error>> = new AsyncSubject();

    const wrapper = new CallbackWrapper(message, sender);

    expect(wrapper.message).toBe(message);
    expect(wrapper.sender).toBe(sender);
  });

  it('has no signal when none is given', () => {
    const wrapper = new CallbackWrapper('ping', new AsyncSubject<Result<string, Error>>());

    expect(wrapper.signal).toBeUndefined();
  });

  it('treats an explicit undefined signal as none', () => {
    const wrapper = new CallbackWrapper('ping', new AsyncSubject<Result<string, Error>>(), undefined);

    expect(wrapper.signal).toBeUndefined();
  });

  it('keeps the caller signal it was given, live or already aborted', () => {
    const live = new AbortController();
    const aborted = new AbortController();
    aborted.abort();

    expect(new CallbackWrapper(1, new AsyncSubject<number>(), live.signal).signal).toBe(live.signal);
    expect(new CallbackWrapper(1, new AsyncSubject<number>(), aborted.signal).signal).toBe(aborted.signal);
  });

  it('keeps falsy messages as they are', () => {
    for (const message of [0, '', false, null, undefined]) {
      expect(new CallbackWrapper(message, new AsyncSubject<void>()).message).toBe(message);
    }
  });

  it('holds plain data (message, sender) and exposes the signal read-only', () => {
    const sender = new AsyncSubject<number>();
    const { signal } = new AbortController();

    // message and sender are plain data; signal is a read-only accessor over the caller's signal
    const wrapper = new CallbackWrapper('m', sender, signal);
    expect(Object.keys(wrapper)).toEqual(['message', 'sender', 'callerSignal']);
    expect(Object.getOwnPropertyDescriptor(CallbackWrapper.prototype, 'signal')?.set).toBeUndefined();
    expect(() => {
      (wrapper as { signal: AbortSignal | undefined }).signal = undefined;
    }).toThrow(TypeError);
    expect(new CallbackWrapper('m', sender, signal).signal).toBe(signal);
    expect(new CallbackWrapper('m', sender).signal).toBeUndefined();
  });

  it('carries a reply through its sender as a oneshot: one value, then completion', async () => {
    const wrapper = new CallbackWrapper('ping', new AsyncSubject<Result<string, Error>>());
    const reply = lastValueFrom(wrapper.sender);

    wrapper.sender.next(ok('pong'));
    wrapper.sender.complete();

    await expect(reply).resolves.toEqual({ ok: true, value: 'pong' });
  });
});
