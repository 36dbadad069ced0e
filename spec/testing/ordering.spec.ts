import fc from 'fast-check';

import { createProbe, ProbeAssertionError, type ProbeRequest } from '../../lib/testing/index.js';
import { outcome } from '../support/helpers.js';

// Strict ordering, as Akka's TestProbe: each expect* call takes the next message in arrival order,
// whatever the mix of requests and commands, and a wrong expectation is reported on the message
// it was checked against.

type Item = { readonly id: number };
type Step = { readonly kind: 'request' | 'command'; readonly id: number };

const steps = fc.array(
  fc.record({ kind: fc.constantFrom<'request' | 'command'>('request', 'command'), id: fc.nat(1_000) }),
  { maxLength: 25 },
);

describe('expect* ordering (property)', () => {
  it('takes requests and commands in the order they were sent', () =>
    fc.assert(
      fc.asyncProperty(steps, fc.integer({ min: 1, max: 4 }), async (sent, concurrency) => {
        const probe = createProbe<Item, number>({ concurrency });
        // Sent one after another without awaiting: they reach the probe in call order.
        const calls = sent.map(({ kind, id }) =>
          kind === 'request' ? probe.dispatcher.request({ id }) : probe.dispatcher.sendCommand({ id }),
        );
        for (const { kind, id } of sent) {
          if (kind === 'request') (await probe.expectRequest({ id })).reply(id * 2);
          else await expect(probe.expectCommand({ id })).resolves.toEqual({ id });
        }
        probe.expectNoMessage();
        const answers = await Promise.all(calls);
        sent.forEach(({ kind, id }, i) => expect(answers[i]).toBe(kind === 'request' ? id * 2 : undefined));
        probe.stop();
      }),
    ));

  it('reports a wrong expectation on the message it took, and goes on with the next', () =>
    fc.assert(
      fc.asyncProperty(
        steps.filter((sent) => sent.length > 0),
        fc.nat(),
        fc.boolean(),
        async (sent, at, wrongKind) => {
          const probe = createProbe<Item, number>();
          const calls = sent.map(({ kind, id }) =>
            kind === 'request' ? probe.dispatcher.request({ id }) : probe.dispatcher.sendCommand({ id }),
          );
          const wrong = at % sent.length;
          for (const [i, { kind, id }] of sent.entries()) {
            if (i !== wrong) {
              if (kind === 'request') (await probe.expectRequest({ id })).reply(id);
              else await probe.expectCommand({ id });
              continue;
            }
            const expected: Step = wrongKind
              ? { kind: kind === 'request' ? 'command' : 'request', id }
              : { kind, id: id + 1 };
            const result = await outcome<unknown>(
              expected.kind === 'request'
                ? probe.expectRequest({ id: expected.id })
                : probe.expectCommand({ id: expected.id }),
            );
            expect('error' in result && result.error).toBeInstanceOf(ProbeAssertionError);
            const lines = (result as { error: Error }).error.message.split('\n');
            const method = expected.kind === 'request' ? 'expectRequest' : 'expectCommand';
            expect(lines[0]).toBe(`${method}: expected a ${expected.kind} matching { id: ${expected.id} },`);
            expect(lines[1]).toBe(
              wrongKind
                ? `but the next message was a ${kind} { id: ${id} }.`
                : `but the next message was a ${kind} { id: ${id} }: at .id, expected ${id + 1}, got ${id}.`,
            );
            expect(lines).toContain(
              `  > ${i + 1}. ${kind} { id: ${id} }${kind === 'request' ? ' (pending)' : ''}`,
            );
            // The message was taken all the same: answer it, and the rest follows in order.
            if (kind === 'request') (probe.received[i] as ProbeRequest<Item, number>).reply(id);
          }
          probe.expectNoMessage();
          await Promise.all(calls);
          probe.stop();
        },
      ),
    ));
});
