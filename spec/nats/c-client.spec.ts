// The wire of docs/nats-wire.md proved both ways with a NATS client not written in JavaScript: a
// small C program on the official nats.c (Debian's libnats-dev), built with gcc into a temp folder,
// against a real nats-server. (1) C calls a module served by serveModule; (2) C serves a subject
// that natsDispatcher calls; (3) events cross between C and natsEventBus. The C side prints what
// arrives; every assertion is here.
import { type ChildProcess, execFile, spawn } from 'node:child_process';

import { connect, type NatsConnection } from '@nats-io/transport-node';
import { firstValueFrom } from 'rxjs';

import { isSparkChannelError, type ModuleError } from '../../lib/index.js';
import { natsDispatcher, natsEventBus, NatsPayloadError, serveModule } from '../../lib/nats/index.js';
import { deferred, outcome, recordingLogger } from '../support/helpers.js';
import { buildCClient } from './c-client/build.js';
import { ensureNatsServer, type RunningNats, startNatsServer } from './nats-server.js';

type Message = { type: string; [field: string]: unknown };

const client = ensureNatsServer() ? buildCClient() : undefined;
const describeC = client === undefined ? describe.skip : describe;

/** Runs the C client once; resolves with its exit code and stdout. */
function runC(...args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(client?.path ?? 'false', args, { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number')
        return reject(new Error(`${error.message}\n${stderr}`));
      resolve({ code: error === null ? 0 : (error.code as number), stdout });
    });
  });
}

/** A C request's reply: the Spark-Channel-Wire header it carried and the envelope, parsed. */
async function requestFromC(url: string, subject: string, payload: string, wire = '1') {
  const { code, stdout } = await runC('request', url, subject, payload, wire);
  const match = /^reply wire=(\S+) (.*)$/.exec(stdout.trim());
  if (code !== 0 || match === null) throw new Error(`the C request failed (${code}): ${stdout}`);
  return { wire: match[1], envelope: JSON.parse(match[2] ?? '') as unknown };
}

/** The C client serving a subject: its printed lines, and a wait for the next one that matches. */
class CMember {
  readonly lines: string[] = [];
  readonly #child: ChildProcess;
  readonly #waiting: { test: (line: string) => boolean; found: (line: string) => void }[] = [];

  constructor(url: string, subject: string, queue: string) {
    this.#child = spawn(client?.path ?? 'false', ['serve', url, subject, queue], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let rest = '';
    this.#child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) this.#add(line);
    });
  }

  #add(line: string): void {
    this.lines.push(line);
    for (const waiter of this.#waiting.splice(0)) {
      if (waiter.test(line)) waiter.found(line);
      else this.#waiting.push(waiter);
    }
  }

  /** The first line (already printed or still to come) that starts with `prefix`. */
  line(prefix: string, ms = 10_000): Promise<string> {
    const seen = this.lines.find((line) => line.startsWith(prefix));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`the C member printed no "${prefix}…" line; it printed ${JSON.stringify(this.lines)}`),
          ),
        ms,
      );
      this.#waiting.push({
        test: (line) => line.startsWith(prefix),
        found: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  /** Closes its stdin (it unsubscribes and exits), SIGKILL if it has not within 5 s. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin?.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

describeC('the wire with a NATS client written in C (libnats, real nats-server)', () => {
  let nats: RunningNats;
  let url: string;
  let nc: NatsConnection;
  const members: CMember[] = [];
  let count = 0;
  const subject = (): string => `spec.c.${process.pid}.${++count}`;

  beforeAll(async () => {
    nats = await startNatsServer();
    url = `nats://${nats.url}`;
    nc = await connect({ servers: nats.url, reconnect: false });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(members.map((member) => member.stop()));
    await nc?.close();
    await nats?.stop();
    client?.remove();
  });

  describe('C calls a module served by serveModule', () => {
    let on: string;
    let served: ReturnType<typeof serveModule<Message, unknown>>;
    const commands: Message[] = [];
    const errors: ModuleError<unknown, Error>[] = [];
    let nextCommand = deferred<Message>();

    beforeAll(async () => {
      on = subject();
      served = serveModule<Message, unknown>(
        nc,
        on,
        {
          handleRequest(message) {
            if (message.type === 'fail') {
              throw Object.assign(new RangeError('no such sku'), { code: 'E_SKU', sku: message['sku'] });
            }
            if (message.type === 'spark') throw new TypeError('plain, not spark');
            return { echo: message };
          },
          handleCommand(message) {
            commands.push(message);
            nextCommand.resolve(message);
          },
        },
        { logger: recordingLogger() },
      );
      served.server.errors$.subscribe((error) => errors.push(error));
      await nc.flush();
    });

    afterAll(() => served.stop());

    it('an answered request is {"ok":true,"value":…}, marked Spark-Channel-Wire: 1', async () => {
      const reply = await requestFromC(url, on, '{"type":"quote","sku":"apple","qty":2}');
      expect(reply).toEqual({
        wire: '1',
        envelope: { ok: true, value: { echo: { type: 'quote', sku: 'apple', qty: 2 } } },
      });
    });

    it("a handler's error comes back as {ok:false,error} with its name, message, code and own data", async () => {
      const reply = await requestFromC(url, on, '{"type":"fail","sku":"pear"}');
      expect(reply).toEqual({
        wire: '1',
        envelope: {
          ok: false,
          error: { name: 'RangeError', message: 'no such sku', code: 'E_SKU', sku: 'pear' },
        },
      });
    });

    it('an undecodable payload is answered with a NatsPayloadError, and the member goes on', async () => {
      const reply = await requestFromC(url, on, '{"type": not json');
      expect(reply.wire).toBe('1');
      expect(reply.envelope).toEqual({
        ok: false,
        error: {
          name: 'NatsPayloadError',
          message: expect.stringMatching(
            /^Could not decode the payload received on "spec\.c\.[\d.]+": /,
          ) as string,
        },
      });
      const last = errors.at(-1);
      expect(last?.kind).toBe('request');
      expect(last?.error).toBeInstanceOf(NatsPayloadError);
      expect(Buffer.from((last?.error as NatsPayloadError).payload).toString()).toBe('{"type": not json');
      await expect(requestFromC(url, on, '{"type":"quote"}')).resolves.toEqual({
        wire: '1',
        envelope: { ok: true, value: { echo: { type: 'quote' } } },
      });
    });

    it('a request without the header is read as version 1; one marked version 2 is refused, not misread', async () => {
      await expect(requestFromC(url, on, '{"type":"quote"}', '-')).resolves.toEqual({
        wire: '1',
        envelope: { ok: true, value: { echo: { type: 'quote' } } },
      });
      const refused = await requestFromC(url, on, '{"type":"quote"}', '2');
      expect(refused.envelope).toEqual({
        ok: false,
        error: {
          name: 'NatsPayloadError',
          message: `Refused the message received on "${on}": it is of wire version "2" (Spark-Channel-Wire); this side reads version 1`,
        },
      });
    });

    it('a command (a publish without reply subject) reaches the handler, and no reply is sent', async () => {
      const before = commands.length;
      nextCommand = deferred<Message>();
      const { code, stdout } = await runC('publish', url, on, '{"type":"restock","sku":"apple","qty":5}');
      expect([code, stdout]).toEqual([0, 'published\n']);
      await expect(nextCommand.promise).resolves.toEqual({ type: 'restock', sku: 'apple', qty: 5 });
      expect(commands.length).toBe(before + 1);
    });

    it("an undecodable command fails on the member's errors$ only; the sender is not told", async () => {
      const before = errors.length;
      const { code } = await runC('publish', url, on, 'restock apple');
      expect(code).toBe(0);
      nextCommand = deferred<Message>();
      await runC('publish', url, on, '{"type":"restock","sku":"fig"}'); // in order after the bad one
      await nextCommand.promise;
      expect(errors.slice(before).map(({ kind, error }) => [kind, error.name])).toEqual([
        ['command', 'NatsPayloadError'],
      ]);
    });
  });

  describe('natsDispatcher calls a subject served by C', () => {
    let on: string;
    let member: CMember;
    let users: ReturnType<typeof natsDispatcher<Message, unknown>>;

    beforeAll(async () => {
      on = subject();
      member = new CMember(url, on, on);
      members.push(member);
      await member.line('ready');
      users = natsDispatcher<Message, unknown>(nc, on, { timeoutMs: 5_000 });
    });

    it('a request resolves with the value; C saw it marked Spark-Channel-Wire: 1, with a reply subject', async () => {
      await expect(users.request({ type: 'quote', sku: 'apple' })).resolves.toEqual({
        member: 'c',
        echo: { type: 'quote', sku: 'apple' },
      });
      await expect(member.line('got request wire=1 {"type":"quote"')).resolves.toBe(
        'got request wire=1 {"type":"quote","sku":"apple"}',
      );
    });

    it("C's error envelope rejects with an Error of that name, message, code and property", async () => {
      const result = await outcome(users.request({ type: 'fail' }));
      expect('error' in result && result.error).toBeInstanceOf(Error);
      const error = (result as { error: Error & Record<string, unknown> }).error;
      expect([error.name, error.message, error.code, error['sku']]).toEqual([
        'InventoryError',
        'out of stock',
        'E_STOCK',
        'apple',
      ]);
    });

    it('a SparkChannelError with one of its codes is revived as a SparkChannelError', async () => {
      const result = await outcome(users.request({ type: 'busy' }));
      const error = 'error' in result ? result.error : undefined;
      expect(isSparkChannelError(error, 'CHANNEL_FULL')).toBe(true);
      expect((error as Error).message).toBe('the C member is busy');
    });

    it('a reply marked wire version 2 fails with RECEIVE_FAILED, not misread', async () => {
      const result = await outcome(users.request({ type: 'future' }));
      const error = 'error' in result ? result.error : undefined;
      expect(isSparkChannelError(error, 'RECEIVE_FAILED')).toBe(true);
      expect((error as Error).message).toBe(
        `The reply on "${on}" cannot be read (it is of wire version "2" (Spark-Channel-Wire); this side reads version 1)`,
      );
    });

    it('a command arrives in C as a marked publish without reply subject', async () => {
      await users.sendCommand({ type: 'audit', event: 'quoted' });
      await expect(member.line('got command')).resolves.toBe(
        'got command wire=1 {"type":"audit","event":"quoted"}',
      );
    });
  });

  describe('events between C and natsEventBus', () => {
    type ShopEvents = { OrderPlaced: { orderId: string; total: number } };

    it('an event C publishes on <prefix>.<type> reaches bus.on(type); one of wire version 2 goes to errors$', async () => {
      const prefix = `shop${process.pid}`;
      const bus = natsEventBus<ShopEvents>(nc, { prefix, logger: recordingLogger() });
      const refused: Error[] = [];
      bus.errors$.subscribe((error) => refused.push(error));
      const placed = firstValueFrom(bus.on('OrderPlaced'));
      await bus.flush();
      await runC(
        'publish',
        url,
        `${prefix}.OrderPlaced`,
        '{"type":"OrderPlaced","orderId":"x","total":1}',
        '2',
      );
      await runC(
        'publish',
        url,
        `${prefix}.OrderPlaced`,
        '{"type":"OrderPlaced","orderId":"o-1","total":20}',
      );
      await expect(placed).resolves.toEqual({ type: 'OrderPlaced', orderId: 'o-1', total: 20 });
      expect(refused).toHaveLength(1);
      expect(refused[0]).toBeInstanceOf(NatsPayloadError);
      await bus.close();
    });

    it('an event the bus publishes reaches a C subscriber on <prefix>.>, marked', async () => {
      const prefix = `orders${process.pid}`;
      const member = new CMember(url, `${prefix}.>`, 'audit');
      members.push(member);
      await member.line('ready');
      const bus = natsEventBus<ShopEvents>(nc, { prefix });
      await bus.publish({ type: 'OrderPlaced', orderId: 'o-2', total: 5 });
      await expect(member.line('got command')).resolves.toBe(
        'got command wire=1 {"type":"OrderPlaced","orderId":"o-2","total":5}',
      );
      await bus.close();
    });
  });
});
