/**
 * Soak: millions of mixed messages with random faults, for a set time, printing throughput and
 * heap as it goes. Fails (exit 1) if any request is lost, settles twice, or gets an
 * unexplained outcome.
 *
 *   npm run soak                    # 60 s
 *   npm run soak -- --seconds=10    # shorter (`--seconds 10` too)
 *   npm run soak -- --watch         # with every module's events$ and deadLetters$ watched, checked
 *                                   # against what the callers saw
 *   npm run soak -- --inspect       # with the live inspector served on 127.0.0.1 (the URL is printed)
 *   npm run soak -- --help          # every flag
 *
 * Flags are parsed by `node:util` parseArgs, strictly: an unknown flag or a bad value is refused
 * with a message and exit code 2.
 */
import { parseArgs } from 'node:util';

import { map, Observable, throwError, timer } from 'rxjs';

import { SparkChannelError, spawnModule } from '../lib/index.js';
import { createInspector, type InspectorServer } from '../lib/inspect/index.js';

const USAGE = `usage: npm run soak -- [flags]

Millions of mixed requests and commands with random faults against three modules (plain;
bounded with concurrency 4; keyed with concurrency 2), for a set time. Exits 1 if a request is
lost, settles twice or gets an unexplained outcome.

  --seconds=<n>    how long to run (default 60; checked once a second)
  --producers=<n>  concurrent producer loops (default 8)
  --seed=<n>       PRNG seed, to replay a run (default ${0x5eed})
  --watch          also watch every module's events$ and deadLetters$ and check them
                   against what the callers saw
  --inspect        watch the three modules in the live inspector (spark-channel/inspect),
                   served on 127.0.0.1; open the printed URL in a browser
  --inspect-port=<n>  its port (default 9230; 0 picks a free one)
  -h, --help       this text

Flags go after \`--\` (npm keeps the ones before it for itself).
`;

function refuse(message: string): never {
  process.stderr.write(`soak: ${message}\nRun with --help for usage.\n`);
  process.exit(2);
}

function parseFlags(): {
  seconds: number;
  producers: number;
  seed: number;
  watch: boolean;
  inspect: boolean;
  inspectPort: number;
} {
  let values: {
    seconds?: string;
    producers?: string;
    seed?: string;
    watch?: boolean;
    inspect?: boolean;
    'inspect-port'?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        seconds: { type: 'string' },
        producers: { type: 'string' },
        seed: { type: 'string' },
        watch: { type: 'boolean' },
        inspect: { type: 'boolean' },
        'inspect-port': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error: unknown) {
    refuse(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  // `npm run soak --seconds=2` (no `--`) hands the flag to npm, which keeps it as config.
  for (const flag of ['seconds', 'producers', 'seed', 'watch', 'inspect', 'inspect-port'] as const) {
    const npm = process.env[`npm_config_${flag}`];
    if (npm !== undefined && values[flag] === undefined) {
      refuse(
        `npm took --${flag} for itself; pass flags after \`--\`: npm run soak -- --${flag}${npm === 'true' ? '' : `=${npm}`}`,
      );
    }
  }
  const number = (flag: string, value: string | undefined, fallback: number, integer: boolean): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    const ok = value.trim() !== '' && Number.isFinite(n) && (integer ? Number.isInteger(n) : true);
    if (!ok || (flag === 'seed' ? n < 0 : n <= 0)) {
      refuse(
        `--${flag} must be a ${flag === 'seed' ? 'non-negative integer' : integer ? 'positive integer' : 'positive number'}, got '${value}'`,
      );
    }
    return n;
  };
  return {
    seconds: number('seconds', values.seconds, 60, false),
    producers: number('producers', values.producers, 8, true),
    seed: number('seed', values.seed, 0x5eed, true),
    watch: values.watch === true,
    inspect: values.inspect === true,
    inspectPort: inspectPort(values['inspect-port']),
  };
}

function inspectPort(value: string | undefined): number {
  if (value === undefined) return 9230;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65_535)
    refuse(`--inspect-port must be an integer from 0 to 65535, got '${value}'`);
  return n;
}

const flags = parseFlags();
const { seconds, watch, producers } = flags;

// A small fast PRNG, so a run can be replayed with --seed.
let seed = flags.seed >>> 0;
const random = (): number => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

interface Msg {
  readonly n: number;
  readonly fault: 'none' | 'throw' | 'reject' | 'observable-error' | 'non-error' | 'slow';
}

function handle(msg: Msg): unknown {
  switch (msg.fault) {
    case 'none':
      return msg.n % 3 === 0 ? Promise.resolve(msg.n) : msg.n;
    case 'throw':
      throw new Error(`fault ${msg.n}`);
    case 'reject':
      return Promise.reject(new Error(`fault ${msg.n}`));
    case 'observable-error':
      return throwError(() => new Error(`fault ${msg.n}`));
    case 'non-error':
      throw `fault ${msg.n}`;
    case 'slow': // a macrotask later: long enough for queues to build and aborts to land
      return msg.n % 10 === 0
        ? timer(1).pipe(map(() => msg.n))
        : new Promise((resolve) => setImmediate(() => resolve(msg.n)));
  }
}

const pickFault = (): Msg['fault'] => {
  const r = random();
  if (r < 0.9) return 'none';
  if (r < 0.92) return 'throw';
  if (r < 0.94) return 'reject';
  if (r < 0.96) return 'observable-error';
  if (r < 0.98) return 'non-error';
  return 'slow';
};

const modules = [
  spawnModule<Msg, number>(
    { handleRequest: handle as (m: Msg) => number, handleCommand: handle as (m: Msg) => void },
    { logger: { error: () => undefined } },
  ),
  spawnModule<Msg, number>(
    { handleRequest: handle as (m: Msg) => number, handleCommand: handle as (m: Msg) => void },
    { capacity: 256, concurrency: 4, logger: { error: () => undefined } },
  ),
  spawnModule<Msg, number>(
    { handleRequest: handle as (m: Msg) => number, handleCommand: handle as (m: Msg) => void },
    { capacity: 64, concurrency: 2, key: (m: Msg) => m.n % 16, logger: { error: () => undefined } },
  ),
];

const counts = {
  sent: 0,
  settled: 0,
  ok: 0,
  handlerErrors: 0,
  timeouts: 0,
  cancelled: 0,
  commands: 0,
  violations: 0,
};
// --inspect: the live page for a long run. The inspector subscribes to each module's events$,
// errors$ and deadLetters$ (the --watch cost) and keeps bounded rings only.
const inspector = flags.inspect ? createInspector() : undefined;
let inspectorServer: InspectorServer | undefined;
if (inspector !== undefined) {
  ['plain', 'bounded ×4', 'keyed ×2'].forEach((name, i) => inspector.watch(name, modules[i]!));
}
const moduleErrors = { count: 0 };
for (const { server } of modules) server.errors$.subscribe(() => moduleErrors.count++);

// --watch: each message's events must go accepted → started → settled (or accepted → settled),
// and the settled outcomes of requests must add up to what their callers saw.
const watched = {
  outcomes: { ok: 0, error: 0, timeout: 0, cancelled: 0 } as Record<string, number>,
  commands: 0,
  deadLetters: {} as Record<string, number>,
  inFlight: 0,
  neverAccepted: 0,
};
if (watch) {
  for (const { server } of modules) {
    const phase = new Map<number, 'accepted' | 'started'>();
    server.events$.subscribe((event) => {
      if (event.type === 'restarted' || event.type === 'stopped') return;
      const before = phase.get(event.id);
      if (event.type === 'accepted') {
        if (before !== undefined) violation(`message ${event.id} accepted twice`);
        phase.set(event.id, 'accepted');
      } else if (event.type === 'started') {
        if (before !== 'accepted') violation(`message ${event.id} started after ${before ?? 'nothing'}`);
        phase.set(event.id, 'started');
      } else {
        // Settled without acceptance: given up on (or refused) while waiting for room; never ok.
        if (before === undefined) {
          watched.neverAccepted++;
          if (event.outcome === 'ok') violation(`message ${event.id} answered without being accepted`);
        }
        phase.delete(event.id);
        if (event.kind === 'request') watched.outcomes[event.outcome]!++;
        else watched.commands++;
      }
      watched.inFlight = Math.max(watched.inFlight, phase.size);
    });
    server.deadLetters$.subscribe(({ reason }) => {
      watched.deadLetters[reason] = (watched.deadLetters[reason] ?? 0) + 1;
    });
  }
}

let running = true;
const violation = (what: string): void => {
  counts.violations++;
  if (counts.violations <= 10) console.error(`VIOLATION: ${what}`);
};

async function producer(id: number): Promise<void> {
  let n = id * 1_000_000_000;
  while (running) {
    const { dispatcher } = modules[n % modules.length]!;
    const batch: Promise<void>[] = [];
    for (let i = 0; i < 64; i++, n++) {
      const r = random();
      // a third of the aborted requests are slow ones, so some aborts land while queued or running
      const msg: Msg = { n, fault: r >= 0.3 && r < 0.31 ? 'slow' : pickFault() };
      if (r < 0.3) {
        counts.commands++;
        batch.push(dispatcher.sendCommand(msg));
        continue;
      }
      counts.sent++;
      const controller = r < 0.33 ? new AbortController() : undefined;
      const options =
        controller !== undefined ? { signal: controller.signal } : r < 0.36 ? { timeoutMs: 1 } : undefined;
      let settledOnce = false;
      const settle = (): void => {
        if (settledOnce) violation(`request ${msg.n} settled twice`);
        settledOnce = true;
        counts.settled++;
      };
      batch.push(
        dispatcher.request(msg, options).then(
          (value) => {
            settle();
            if (value !== msg.n || (msg.fault !== 'none' && msg.fault !== 'slow'))
              violation(`wrong answer for ${msg.n}`);
            counts.ok++;
          },
          (error: unknown) => {
            settle();
            if (error instanceof SparkChannelError) {
              if (error.code === 'TIMEOUT') counts.timeouts++;
              else if (error.code === 'CANCELLED') counts.cancelled++;
              else violation(`unexpected ${error.code} for ${msg.n}`);
            } else {
              const text = error instanceof Error ? error.message : String(error);
              if (text !== `fault ${msg.n}`) violation(`wrong error for ${msg.n}: ${text}`);
              counts.handlerErrors++;
            }
          },
        ),
      );
      controller?.abort(); // lands while queued behind a slow one, or after a synchronous answer
    }
    await Promise.all(batch);
  }
}

const ready: Promise<void> =
  inspector === undefined
    ? Promise.resolve()
    : inspector.serve({ port: flags.inspectPort }).then(
        (server) => {
          inspectorServer = server;
          console.log(`soak: inspector at ${server.url} (open it in a browser)`);
        },
        (error: unknown) =>
          refuse(
            `--inspect could not listen on port ${flags.inspectPort}: ${error instanceof Error ? error.message : String(error)}`,
          ),
      );

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const started = Date.now();
let last = { time: started, messages: 0 };
const rows: string[] = [];
console.log(
  `soak: ${seconds} s, ${producers} producers, ${modules.length} modules (plain; bounded ×4; keyed ×2)`,
);
console.log('   t(s) |   msgs/s | total msgs | heap MB | rss MB');
const ticker = new Observable<number>((subscriber) => {
  const id = setInterval(() => subscriber.next(Date.now()), 1_000);
  return () => clearInterval(id);
}).subscribe((now) => {
  const messages = counts.sent + counts.commands;
  const rate = ((messages - last.messages) * 1_000) / (now - last.time);
  last = { time: now, messages };
  const { heapUsed, rss } = process.memoryUsage();
  const row = `${String(Math.round((now - started) / 1_000)).padStart(7)} | ${String(Math.round(rate)).padStart(8)} | ${String(messages).padStart(10)} | ${mb(heapUsed).padStart(7)} | ${mb(rss).padStart(6)}`;
  rows.push(row);
  console.log(row);
  if (now - started >= seconds * 1_000) running = false;
});

void ready
  .then(() => Promise.all(Array.from({ length: producers }, (_, id) => producer(id))))
  .then(async () => {
    ticker.unsubscribe();
    await Promise.all(modules.map(({ dispatcher }) => dispatcher.shutdown()));
    const elapsed = (Date.now() - started) / 1_000;
    const total = counts.sent + counts.commands;
    if (counts.settled !== counts.sent) violation(`${counts.sent - counts.settled} requests never settled`);
    if (watch) {
      const { ok, error, timeout, cancelled } = watched.outcomes;
      const seen = { ok, error, timeout, cancelled };
      const told = {
        ok: counts.ok,
        error: counts.handlerErrors,
        timeout: counts.timeouts,
        cancelled: counts.cancelled,
      };
      if (JSON.stringify(seen) !== JSON.stringify(told))
        violation(
          `events$ outcomes ${JSON.stringify(seen)} differ from what callers saw ${JSON.stringify(told)}`,
        );
      if (watched.commands !== counts.commands)
        violation(`events$ settled ${watched.commands} commands of ${counts.commands} sent`);
      console.log(
        `\nwatched: requests settled ${JSON.stringify(seen)} (as their callers saw), commands ${watched.commands}, ` +
          `most in flight at once ${watched.inFlight}, given up while waiting for room ${watched.neverAccepted}, dead letters ${JSON.stringify(watched.deadLetters)}`,
      );
    }
    if (inspector !== undefined) {
      for (const card of inspector.snapshot().modules) {
        const p = (n: number | undefined): string => (n === undefined ? '–' : `${n.toFixed(2)} ms`);
        console.log(
          `inspector: ${card.name}: ${card.status}, handled ${card.stats.handled}, failed ${card.stats.failed}, ` +
            `queue wait p99 ${p(card.queueWait.p99)}, handling p99 ${p(card.handling.p99)}, ` +
            `dead letters ${card.deadLetters}, errors ${card.errors}`,
        );
      }
      await inspectorServer?.close();
      inspector.close();
    }
    console.log(
      `\nsoak: ${total.toLocaleString('en')} messages in ${elapsed.toFixed(1)} s (${Math.round(total / elapsed).toLocaleString('en')}/s); ` +
        `requests ${counts.sent.toLocaleString('en')} sent, ${counts.settled.toLocaleString('en')} settled ` +
        `(ok ${counts.ok}, handler errors ${counts.handlerErrors}, timeouts ${counts.timeouts}, cancelled ${counts.cancelled}); ` +
        `commands ${counts.commands}; errors$ ${moduleErrors.count}; violations ${counts.violations}`,
    );
    process.exit(counts.violations === 0 ? 0 : 1);
  });
