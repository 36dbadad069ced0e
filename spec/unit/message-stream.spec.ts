import { config } from 'rxjs';

import { MessageStream } from '../../lib/internal/server/message-stream.js';

describe('MessageStream', () => {
  it('hands a value straight to its one observer', () => {
    const stream = new MessageStream<number>();
    const seen: number[] = [];
    stream.subscribe((n) => seen.push(n));
    stream.next(1);
    stream.next(2);
    expect(seen).toEqual([1, 2]);
  });

  it('is a Subject for everything else: several observers, none, a stopped or closed stream', () => {
    const stream = new MessageStream<number>();
    stream.next(0); // nobody listens: dropped, as a Subject drops it
    const a: number[] = [];
    const b: number[] = [];
    stream.subscribe((n) => a.push(n));
    const second = stream.subscribe((n) => b.push(n));
    stream.next(1);
    second.unsubscribe();
    stream.next(2);
    stream.complete();
    stream.next(3); // stopped: ignored
    expect(a).toEqual([1, 2]);
    expect(b).toEqual([1]);
    const closed = new MessageStream<number>();
    closed.subscribe(() => undefined);
    closed.unsubscribe();
    expect(() => closed.next(1)).toThrow(/object unsubscribed/i);
  });

  it("takes Subject.next under RxJS's deprecated synchronous error handling", () => {
    config.useDeprecatedSynchronousErrorHandling = true;
    try {
      const stream = new MessageStream<number>();
      const seen: number[] = [];
      stream.subscribe((n) => seen.push(n));
      stream.next(7);
      expect(seen).toEqual([7]);
    } finally {
      config.useDeprecatedSynchronousErrorHandling = false;
    }
  });
});
