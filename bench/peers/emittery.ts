/**
 * emittery: an async event emitter whose `emit` resolves once every listener has finished. A
 * request is an event whose payload the listener fills in with the answer (one emit per request,
 * the cheapest request/response emittery allows).
 */
import Emittery from 'emittery';

import type { Bus, Peer } from './peer.js';

interface RequestEvent {
  readonly message: number;
  answer: number;
}

export const emittery: Peer = {
  id: 'emittery',
  label: 'emittery',
  wiring: "await emitter.emit('request', payload); the listener sets payload.answer",
  mailbox: false,
  commands: true,
  ours: false,
  guarantees: {
    ordering: 'listeners start in emit order; async ones overlap (no mailbox)',
    typedReplies: 'no reply channel: typed events only (the answer rides in the payload)',
    backpressure: 'no',
    cancellation: 'no',
    isolation: 'partly: a listener error rejects that emit',
  },
  create(handler): Bus {
    const emitter = new Emittery<{ request: RequestEvent; command: number }>();
    emitter.on('request', async (event) => {
      event.answer = await handler(event.message);
    });
    emitter.on('command', (message) => handler(message) as unknown as Promise<void>);
    let last: Promise<void> = Promise.resolve();
    return {
      request: async (message) => {
        const event: RequestEvent = { message, answer: NaN };
        await emitter.emit('request', event);
        return event.answer;
      },
      command: (message) => (last = emitter.emit('command', message)),
      drain: () => last, // emits run their listeners in order: the last one settles last
      close: () => {
        emitter.clearListeners();
        return Promise.resolve();
      },
    };
  },
};
