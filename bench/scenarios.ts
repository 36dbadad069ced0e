/**
 * The timed scenarios. Each sample runs a batch of messages and returns its duration in ms; the
 * tables divide it by the batch size. Every answer and the per-client order are checked.
 */
import type { Config } from './config.js';
import type { Bus, Peer } from './peers/index.js';
import { CLIENTS, Workload } from './workload.js';

export interface TimeScenario {
  /** Stable id in results JSON, e.g. `pipelined-10000`. */
  readonly id: string;
  /** The group it belongs to (the targets refer to groups). */
  readonly group: 'sequential' | 'pipelined' | 'commands' | 'clients';
  readonly title: string;
  readonly unit: string;
  /** Messages per sample: the divisor of the per-message cost. */
  readonly messages: number;
  applies(peer: Peer): boolean;
  /** The same work in a batch of at most 10,000: what warms an implementation up for this one. */
  readonly warmup?: TimeScenario;
  /** Runs one sample; resolves with its duration in ms. */
  run(bus: Bus, work: Workload): Promise<number>;
}

const now = (): number => performance.now();

function sequential(n: number): TimeScenario {
  return {
    id: 'sequential',
    group: 'sequential',
    title: 'Sequential request round trip',
    unit: 'µs / request',
    messages: n,
    applies: () => true,
    async run(bus, work) {
      const start = now();
      for (let i = 0; i < n; i++) {
        const m = work.next();
        const answer = await bus.request(m);
        if (answer !== m + 1) Workload.check(m, answer);
      }
      return now() - start;
    },
  };
}

function pipelined(n: number): TimeScenario {
  return {
    ...(n > 10_000 ? { warmup: pipelined(10_000) } : {}),
    id: `pipelined-${n}`,
    group: 'pipelined',
    title: `Pipelined: ${n.toLocaleString('en-US')} requests issued at once, then awaited`,
    unit: 'µs / request',
    messages: n,
    applies: () => true,
    async run(bus, work) {
      const messages = new Array<number>(n).fill(0);
      const pending = new Array<unknown>(n).fill(null);
      const start = now();
      for (let i = 0; i < n; i++) pending[i] = bus.request((messages[i] = work.next()));
      const answers = await Promise.all(pending);
      const elapsed = now() - start;
      for (let i = 0; i < n; i++) Workload.check(messages[i]!, answers[i]);
      return elapsed;
    },
  };
}

/**
 * Commands, two ways. `awaited`: each send is awaited as the API returns it before the next
 * (spark-channel's `sendCommand` resolves once the channel accepted the command; p-queue's `add`,
 * emittery's `emit` and Nest's `execute` only once the handler finished; floor-queue,
 * eventemitter3 and the textbook server return nothing, so it is one microtask turn each), then
 * one drain. `fire-and-forget`: the sends are not awaited, nothing is done with what they return,
 * and one drain at the end waits for every command to be handled.
 */
function commands(n: number, mode: 'awaited' | 'fire-and-forget'): TimeScenario {
  const id = `commands-${mode}`;
  const count = n.toLocaleString('en-US');
  return {
    ...(n > 10_000 ? { warmup: commands(10_000, mode) } : {}),
    id,
    group: 'commands',
    title:
      mode === 'awaited'
        ? `${count} commands, each send awaited, then drain`
        : `${count} fire-and-forget commands (sends not awaited), then drain`,
    unit: 'µs / command',
    messages: n,
    applies: (peer) => peer.commands,
    run:
      mode === 'awaited'
        ? async (bus, work) => {
            const start = now();
            for (let i = 0; i < n; i++) await bus.command(work.next());
            await bus.drain();
            return now() - start;
          }
        : async (bus, work) => {
            const start = now();
            for (let i = 0; i < n; i++) bus.command(work.next());
            await bus.drain();
            return now() - start;
          },
  };
}

function clients(perClient: number): TimeScenario {
  return {
    id: 'clients-8',
    group: 'clients',
    title: `${CLIENTS} client loops on one server (sequential requests each)`,
    unit: 'µs / request',
    messages: perClient * CLIENTS,
    applies: () => true,
    async run(bus, work) {
      const loop = async (client: number): Promise<void> => {
        for (let i = 0; i < perClient; i++) {
          const m = work.next(client);
          const answer = await bus.request(m);
          if (answer !== m + 1) Workload.check(m, answer);
        }
      };
      const start = now();
      const loops: Promise<void>[] = [];
      for (let c = 0; c < CLIENTS; c++) loops.push(loop(c));
      await Promise.all(loops);
      return now() - start;
    },
  };
}

export function timeScenarios(config: Config): TimeScenario[] {
  return [
    sequential(config.sequential),
    ...config.pipelined.map(pipelined),
    commands(config.commands, 'awaited'),
    commands(config.commands, 'fire-and-forget'),
    clients(config.perClient),
  ];
}
