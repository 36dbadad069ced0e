// Fuzz of the public surface with hostile values (Proxies that throw on every trap, revoked
// proxies, throwing getters, thenables and observables of every shape, fake signals and tokens,
// values whose answer changes between reads, fc.anything()). Properties, checked on every run:
//
// (a) a call throws synchronously only where the docs allow it (constructors, try* methods);
//     promise-returning methods return a promise; request$ never throws at call or subscribe;
// (b) every returned promise settles: at the latest soon after server.stop() (real timers);
// (c) the server keeps running unless told to stop: a normal request still gets its answer;
// (d) no unhandled rejection or uncaught exception escapes (listeners on the real process);
// (e) what is thrown synchronously is a TypeError, a RangeError or a SparkChannelError with a
//     known code.
//
// Where an input is well-defined (no hostile option), the outcome is checked exactly: the
// handler's own value or error, unchanged; the documented code otherwise.
//
// Runs per property: FUZZ_RUNS (env) or the default of each property below.
import vm from 'node:vm';

import fc from 'fast-check';
import { asyncScheduler, AsyncSubject, config as rxConfig, EmptyError, type Subscription } from 'rxjs';

import {
  CallbackWrapper,
  ModuleChannel,
  type ModuleError,
  type ModuleServer,
  type Result,
  runModuleServer,
  SparkChannelCancellationToken,
  SparkChannelError,
  SparkGenericModuleDispatcher,
  type SparkGenericModuleHandler,
  SparkGenericModuleMessage,
  spawnModule,
} from '../../lib/index.js';
import {
  anyValueArb,
  Behaviour,
  behaviourArb,
  boom,
  getterBombArb,
  hostileFunctionArb,
  hostileSignalArb,
  hostileValueArb,
  type Invocation,
  stoppingBehaviourArb,
  Ledger,
  numberLikeArb,
  NUMBER_EDGES,
  plainValueArb,
  Recipe,
  revoked,
  revokedArb,
  thrownValue,
  throwKind,
  tokenArb,
  TRAPS,
  trapProxy,
  trapProxyArb,
  typeShifterArb,
} from './hostile-values.js';
import { ERROR_CODES } from '../support/arbitraries.js';

type Raw = Result<unknown, Error>;
const runsOf = (fallback: number): number => Number(process.env.FUZZ_RUNS ?? fallback);

// ---------------------------------------------------------------------------------------------
// Escapes: unhandled rejections and uncaught exceptions, on the real process (jest's sandbox
// gives specs a copy of `process` whose listeners never fire), and errors RxJS would report.

const realProcess = vm.runInThisContext('process') as NodeJS.Process;
const escapes: string[] = [];
const onUnhandledRejection = (reason: unknown): void => {
  escapes.push(`unhandled rejection: ${show(reason)}`);
};
const onUncaughtException = (error: unknown): void => {
  escapes.push(`uncaught exception: ${show(error)}`);
};
let previousOnUnhandledError: typeof rxConfig.onUnhandledError;
// A timer given more than 2**31 - 1 ms fires after 1 ms (Node warns): a bug here, recorded rather
// than printed. Other warnings go to the listeners that were there.
let warningListeners: ((warning: Error) => void)[] = [];
const onWarning = (warning: Error): void => {
  if (warning.name === 'TimeoutOverflowWarning') escapes.push(`timer overflow: ${warning.message}`);
  else for (const listener of warningListeners) listener(warning);
};

// jest's own listeners are set aside while the fuzz runs: each escape then fails the run it came
// from (fast-check shrinks it) instead of the whole test, and a hostile escaped value cannot break
// jest's reporter (formatting a Proxy that throws on every trap crashes the test file).
let jestListeners: {
  event: 'unhandledRejection' | 'uncaughtException';
  listener: (...a: unknown[]) => void;
}[] = [];

beforeAll(() => {
  for (const event of ['unhandledRejection', 'uncaughtException'] as const) {
    for (const listener of realProcess.listeners(event as 'uncaughtException') as ((
      ...a: unknown[]
    ) => void)[]) {
      jestListeners.push({ event, listener });
    }
    realProcess.removeAllListeners(event);
  }
  realProcess.on('unhandledRejection', onUnhandledRejection);
  realProcess.on('uncaughtException', onUncaughtException);
  warningListeners = realProcess.listeners('warning') as ((warning: Error) => void)[];
  realProcess.removeAllListeners('warning');
  realProcess.on('warning', onWarning);
  previousOnUnhandledError = rxConfig.onUnhandledError;
  rxConfig.onUnhandledError = (error: unknown) => {
    escapes.push(`error reported by RxJS as unhandled: ${show(error)}`);
  };
});

afterAll(() => {
  realProcess.off('unhandledRejection', onUnhandledRejection);
  realProcess.off('uncaughtException', onUncaughtException);
  for (const { event, listener } of jestListeners) realProcess.on(event, listener as () => void);
  jestListeners = [];
  realProcess.off('warning', onWarning);
  for (const listener of warningListeners) realProcess.on('warning', listener);
  rxConfig.onUnhandledError = previousOnUnhandledError;
});

// ---------------------------------------------------------------------------------------------
// Safe inspection of hostile values (our own checks must never trip a trap)

function safely<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

function show(value: unknown): string {
  return safely(() => {
    if (typeof value === 'symbol') return value.toString();
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'string')
      return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
    if (typeof value !== 'object' && typeof value !== 'function') return String(value);
    if (value === null) return 'null';
    if (value instanceof SparkChannelError)
      return `SparkChannelError ${String(value.code)}: ${value.message}`;
    if (value instanceof Error) return `${value.constructor.name}: ${value.message}`;
    return Object.prototype.toString.call(value);
  }, '<a value that throws when inspected>');
}

const CODES = new Set<string>(ERROR_CODES);
type Code =
  'SEND_FAILED' | 'RECEIVE_FAILED' | 'INVALID_RESPONSE_TYPE' | 'TIMEOUT' | 'CANCELLED' | 'CHANNEL_FULL';

/**
 * The name of a built-in error class `e` is an instance of, in any realm: Node's own errors (an
 * AbortSignal's "Receiver must be…") come from the main realm, not jest's sandbox.
 */
function builtinErrorName(e: unknown): string | undefined {
  return safely(() => {
    if (typeof e !== 'object' || e === null || Object.prototype.toString.call(e) !== '[object Error]')
      return undefined;
    for (
      let proto = Object.getPrototypeOf(e) as object | null;
      proto !== null;
      proto = Object.getPrototypeOf(proto) as object | null
    ) {
      const name = (
        Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as { name?: unknown } | undefined
      )?.name;
      if (name === 'TypeError' || name === 'RangeError') return name;
    }
    return undefined;
  }, undefined);
}

const isDocumented = (e: unknown): boolean =>
  safely(
    () =>
      e instanceof TypeError ||
      e instanceof RangeError ||
      builtinErrorName(e) !== undefined ||
      (e instanceof SparkChannelError && CODES.has(e.code)),
    false,
  );
const hasCode = (e: unknown, code: Code): boolean =>
  safely(() => e instanceof SparkChannelError && e.code === code, false);
const isInstance = (e: unknown, cls: abstract new (...a: never[]) => unknown): boolean =>
  safely(
    () => e instanceof cls || ((cls === TypeError || cls === RangeError) && builtinErrorName(e) === cls.name),
    false,
  );

// ---------------------------------------------------------------------------------------------
// Timing (real timers)

const BOUND_MS = 300; // the longest anything may take to settle once it should have
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Resolves true once `done` holds, false after `ms` (polled every macrotask, then every ms). */
async function waitFor(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let i = 0; !done(); i++) {
    if (Date.now() > deadline) return false;
    await (i < 20 ? macrotask() : sleep(1));
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// One run: every call it made and everything that went wrong

type Settled = { status: 'resolved'; value: unknown } | { status: 'rejected'; error: unknown };

interface Tracked {
  readonly what: string;
  outcome: Settled | undefined;
}

interface Subscribed {
  readonly what: string;
  readonly nexts: unknown[];
  ended: Settled | undefined; // error, or complete (resolved with the last value)
  unsubscribed: boolean;
  notifiedAfterUnsubscribe: boolean;
}

interface RawReply {
  readonly what: string;
  readonly values: unknown[];
  completed: boolean;
  errored: boolean;
  accepted: boolean;
}

class Run {
  readonly violations: string[] = [];
  readonly tracked: Tracked[] = [];
  readonly subscriptions: Subscribed[] = [];
  readonly replies: RawReply[] = [];
  readonly servers: ModuleServer<unknown, unknown>[] = [];
  readonly cleanups: (() => void)[] = [];

  constructor(readonly ledger: Ledger) {}

  fail(message: string): void {
    this.violations.push(message);
  }

  /** (e): a rejection or throw that is neither documented nor the user's own value. */
  checkError(what: string, error: unknown): void {
    // EmptyError: what an empty observable handler fails with (documented)
    if (!isDocumented(error) && !isInstance(error, EmptyError) && !this.ledger.thrown.has(error)) {
      this.fail(
        `${what} failed with ${show(error)}: neither a documented error nor a value the user's code threw`,
      );
    }
  }

  /** A promise-returning method: (a) it returns a promise and does not throw. */
  promise(what: string, call: () => unknown, mustResolve = false, mayHang = false): Tracked | undefined {
    let returned: unknown;
    try {
      returned = call();
    } catch (error: unknown) {
      this.fail(`(a) ${what} threw synchronously instead of returning a promise: ${show(error)}`);
      return undefined;
    }
    if (!(returned instanceof Promise)) {
      this.fail(`(a) ${what} returned ${show(returned)}, not a promise`);
      return undefined;
    }
    const tracked: Tracked = { what, outcome: undefined };
    if (!mayHang) this.tracked.push(tracked);
    returned.then(
      (value: unknown) => {
        tracked.outcome = { status: 'resolved', value };
      },
      (error: unknown) => {
        tracked.outcome = { status: 'rejected', error };
        if (mustResolve) this.fail(`${what} rejected (it never may): ${show(error)}`);
      },
    );
    return tracked;
  }

  /** A method that may throw (constructors, try*): (e) only documented errors. */
  sync<T>(what: string, call: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
    try {
      return { ok: true, value: call() };
    } catch (error: unknown) {
      if (!isDocumented(error)) {
        const own = this.ledger.thrown.has(error)
          ? " (a hostile argument's own trap error, passed through)"
          : '';
        this.fail(`(e) ${what} threw ${show(error)}, not a TypeError, RangeError or SparkChannelError${own}`);
      }
      return { ok: false, error };
    }
  }

  /** A call that must not throw at all (server.stop(), stats(), request$ itself). */
  never<T>(what: string, call: () => T): T | undefined {
    try {
      return call();
    } catch (error: unknown) {
      this.fail(`(a) ${what} threw synchronously: ${show(error)}`);
      return undefined;
    }
  }

  /** request$: never throws at call or subscribe; unsubscribing is silent. */
  subscribe(what: string, make: () => { subscribe(observer: object): Subscription }): Subscribed {
    const record: Subscribed = {
      what,
      nexts: [],
      ended: undefined,
      unsubscribed: false,
      notifiedAfterUnsubscribe: false,
    };
    this.subscriptions.push(record);
    const observable = this.never(`${what} (the call)`, make);
    if (observable === undefined) {
      record.unsubscribed = true; // nothing to wait for
      return record;
    }
    const late = (): void => {
      if (record.unsubscribed) record.notifiedAfterUnsubscribe = true;
    };
    const subscription = this.never(`${what}.subscribe()`, () =>
      observable.subscribe({
        next: (value: unknown) => {
          late();
          record.nexts.push(value);
        },
        error: (error: unknown) => {
          late();
          record.ended = { status: 'rejected', error };
        },
        complete: () => {
          late();
          record.ended = { status: 'resolved', value: record.nexts[record.nexts.length - 1] };
        },
      }),
    );
    (record as { unsubscribe?: () => void }).unsubscribe = () => {
      if (subscription === undefined) return;
      record.unsubscribed = record.ended === undefined;
      this.never(`${what} unsubscribe()`, () => subscription.unsubscribe());
    };
    return record;
  }

  /** A raw request's reply subject, watched. */
  reply(what: string): { subject: AsyncSubject<unknown>; record: RawReply } {
    const subject = new AsyncSubject<unknown>();
    const record: RawReply = { what, values: [], completed: false, errored: false, accepted: false };
    this.replies.push(record);
    subject.subscribe({
      next: (v) => record.values.push(v),
      error: () => (record.errored = true),
      complete: () => (record.completed = true),
    });
    return { subject, record };
  }

  pending(): string[] {
    return [
      ...this.tracked.filter((t) => t.outcome === undefined).map((t) => t.what),
      ...this.subscriptions.filter((s) => s.ended === undefined && !s.unsubscribed).map((s) => s.what),
      ...this.replies.filter((r) => r.accepted && !r.completed && !r.errored).map((r) => `${r.what} (reply)`),
    ];
  }

  /**
   * (b), (d) and cleanup: stops every server, waits until everything has settled (bounded), checks
   * the raw replies, waits for our own timers and a few macrotasks, then looks for escapes.
   */
  async finish(): Promise<void> {
    for (const server of this.servers) this.never('server.stop()', () => server.stop());
    if (!(await waitFor(() => this.pending().length === 0, BOUND_MS))) {
      this.fail(`(b) still pending ${BOUND_MS} ms after server.stop(): ${this.pending().join('; ')}`);
    }
    for (const r of this.replies) {
      if (!r.accepted || (!r.completed && !r.errored)) continue;
      const result = r.values[0] as { ok?: unknown } | undefined;
      if (
        r.values.length !== 1 ||
        typeof result !== 'object' ||
        result === null ||
        typeof result.ok !== 'boolean'
      ) {
        this.fail(`${r.what}: the reply subject did not get exactly one Result before completing`);
      }
    }
    for (const s of this.subscriptions) {
      if (s.notifiedAfterUnsubscribe) this.fail(`${s.what}: notified after unsubscribe()`);
    }
    for (const probe of this.ledger.observables) {
      if (!(await waitFor(() => probe.unsubscribed >= probe.subscribed, 100))) {
        this.fail(
          `the handler's ${probe.label} observable is still subscribed after server.stop() ` +
            `(${probe.subscribed} subscribed, ${probe.unsubscribed} torn down)`,
        );
        break;
      }
    }
    for (const cleanup of this.cleanups) safely(cleanup, undefined);
    await waitFor(() => this.ledger.timers === 0, 50);
    this.ledger.clearTimers();
    await macrotask();
    await macrotask();
    if (escapes.length > 0) this.fail(`(d) ${escapes.splice(0).join('; ')}`);
    if (this.violations.length > 0) throw new Error(this.violations.join('\n'));
  }
}

// ---------------------------------------------------------------------------------------------
// Modules with a scripted handler

const OK = Object.freeze({ probe: 'ok' }); // answered 'ok' at once, whatever else happens
const BLOCK = Object.freeze({ probe: 'block' }); // answered 'blocked' after 2 ms
const noopLogger = { error: (): void => undefined, warn: (): void => undefined };

interface Module {
  readonly dispatcher: SparkGenericModuleDispatcher<unknown, unknown, unknown, unknown>;
  readonly server: ModuleServer<unknown, unknown>;
  readonly errors: ModuleError<unknown, unknown>[];
  /** How many hostile messages may run at once (one key for all of them: one). */
  readonly concurrency: number;
  /** How many of the BLOCK requests run at once (they share a key). */
  readonly blockerLanes: number;
}

interface ModuleSetup {
  readonly capacity: 1 | 2 | undefined;
  readonly concurrency: 1 | 2;
  readonly watch: boolean; // events$, deadLetters$ and stats$ observed
  readonly instrument: boolean; // hooks that all throw
  /** Keyed ordering: each message its own key, one key for all, or a revoked Proxy as everyone's key. */
  readonly key: 'none' | 'identity' | 'constant' | 'revoked';
}

const moduleSetupArb: fc.Arbitrary<ModuleSetup> = fc.record({
  capacity: fc.constantFrom<1 | 2 | undefined>(undefined, 1, 2),
  concurrency: fc.constantFrom<1 | 2>(1, 2),
  watch: fc.boolean(),
  instrument: fc.boolean(),
  key: fc.constantFrom<ModuleSetup['key']>('none', 'none', 'identity', 'constant', 'revoked'),
});

/** Extra module options of the programs: the module's clock and a rate limit. */
interface ProgramSetup {
  /** The clock of the server and dispatcher: real, one whose now() throws, NaN, stuck, or one that never runs anything. */
  readonly clock: 'default' | 'now-throws' | 'nan' | 'stuck' | 'never-runs';
  readonly rateLimit: { readonly limit: number; readonly intervalMs: number } | undefined;
}

function clockOf(l: Ledger, clock: ProgramSetup['clock']): object | undefined {
  switch (clock) {
    case 'default':
      return undefined;
    case 'now-throws':
      return {
        now: () => boom(l, 'error', 'scheduler.now'),
        schedule: asyncScheduler.schedule.bind(asyncScheduler),
      };
    case 'nan':
      return { now: () => NaN, schedule: asyncScheduler.schedule.bind(asyncScheduler) };
    case 'stuck':
      return { now: () => 0, schedule: asyncScheduler.schedule.bind(asyncScheduler) };
    case 'never-runs':
      return { now: () => Date.now(), schedule: () => ({ unsubscribe: () => undefined, closed: false }) };
  }
}

function spawn(
  run: Run,
  setup: ModuleSetup,
  behave: (invocation: Invocation) => unknown,
  extra: ProgramSetup = { clock: 'default', rateLimit: undefined },
): Module {
  const l = run.ledger;
  const handle = (kind: 'request' | 'command', message: unknown, context: Invocation['context']): unknown => {
    if (message === OK) return 'ok';
    if (message === BLOCK) return new Promise((resolve) => l.later(2, () => resolve('blocked')));
    const invocation: Invocation = { kind, message, context, stop: () => server.stop() };
    l.invocations.push(invocation);
    return behave(invocation);
  };
  const handler: SparkGenericModuleHandler<unknown, unknown, unknown> = {
    handleRequest: (message, context) => handle('request', message, context),
    handleCommand: (message, context) => handle('command', message, context) as void,
  };
  const instrument = {
    sent: () => boom(l, 'error', 'instrument.sent'),
    run: () => boom(l, 'error', 'instrument.run'),
    settled: () => boom(l, 'error', 'instrument.settled'),
  };
  const { dispatcher, server } = spawnModule<unknown, unknown, unknown, unknown>(handler, {
    logger: noopLogger,
    concurrency: setup.concurrency,
    ...(setup.capacity === undefined ? {} : { capacity: setup.capacity }),
    ...(setup.instrument ? { instrument } : {}),
    ...(setup.key === 'none' ? {} : { key: keyFunction(setup.key) }),
    ...(extra.clock === 'default' ? {} : { scheduler: clockOf(l, extra.clock) as typeof asyncScheduler }),
    ...(extra.rateLimit === undefined ? {} : { rateLimit: extra.rateLimit }),
  });
  run.servers.push(server);
  const errors: ModuleError<unknown, unknown>[] = [];
  server.errors$.subscribe((e) => errors.push(e));
  if (setup.watch) {
    server.events$.subscribe();
    server.stats$.subscribe();
    const dead = server.deadLetters$.subscribe();
    run.cleanups.push(() => dead.unsubscribe());
  }
  const oneKey = setup.key === 'constant' || setup.key === 'revoked';
  return {
    dispatcher,
    server,
    errors,
    concurrency: oneKey ? 1 : setup.concurrency,
    blockerLanes: setup.key === 'none' ? setup.concurrency : 1,
  };
}

function keyFunction(kind: Exclude<ModuleSetup['key'], 'none'>): (message: unknown) => unknown {
  const everyone = revoked({});
  switch (kind) {
    case 'identity':
      return (message) => message;
    case 'constant':
      return () => 'one key';
    case 'revoked':
      return () => everyone;
  }
}

/**
 * (c): a normal request on the module still gets its answer, unless `blocked` says every slot
 * became legitimately busy meanwhile (a send the rate limit held back reached a handler that
 * keeps its slot, ahead of the probe: on a loaded machine it can arrive after the probe's send).
 */
async function probeAnswers(
  run: Run,
  module: Module,
  when: string,
  blocked: () => boolean = () => false,
): Promise<void> {
  if (!module.server.isRunning) {
    run.fail(`(c) ${when}: the server stopped although nothing stopped it`);
    return;
  }
  const probe = run.promise(`probe request ${when}`, () => module.dispatcher.request(OK));
  if (probe === undefined) return;
  await waitFor(() => probe.outcome !== undefined || blocked(), BOUND_MS);
  const outcome = probe.outcome;
  if (outcome === undefined && blocked()) return;
  if (outcome === undefined) run.fail(`(c) ${when}: a normal request got no answer within ${BOUND_MS} ms`);
  else if (outcome.status === 'rejected')
    run.fail(`(c) ${when}: a normal request failed: ${show(outcome.error)}`);
  else if (outcome.value !== 'ok') run.fail(`(c) ${when}: a normal request got ${show(outcome.value)}`);
}

// ---------------------------------------------------------------------------------------------
// Request options, with what they must do

const GUARDS = [
  'pass',
  'fail',
  'throws',
  'Date',
  'truthy',
  'name-throws-pass',
  'name-throws-fail',
  'apply-trap-throws',
  'revoked-function',
  'hasInstance-throws',
] as const;
type GuardKind = (typeof GUARDS)[number];

type SignalSpec = 'before' | 'never' | { readonly abortAfterMs: number } | { readonly invalid: Recipe };

interface ExactOptions {
  readonly kind: 'exact';
  readonly timeoutMs?: number | string;
  readonly signal?: SignalSpec;
  readonly guard?: GuardKind | { readonly invalid: Recipe };
}
type RequestOptionsSpec =
  { readonly kind: 'none' } | ExactOptions | { readonly kind: 'hostile'; readonly options: Recipe };

const invalidPlain = fc.oneof(
  plainValueArb.filter((r) => r.make(new Ledger()) !== undefined),
  fc.constant(new Recipe('{}', () => ({}), { plain: true })),
);

const exactOptionsArb: fc.Arbitrary<ExactOptions> = fc.record(
  {
    kind: fc.constant('exact' as const),
    timeoutMs: fc.oneof(
      fc.constantFrom(1, 2, 3, 1_000, Infinity),
      fc.constantFrom(0, -0, -1, NaN, -Infinity, '5', 1e-300),
    ),
    signal: fc.oneof(
      fc.constantFrom<SignalSpec>('before', 'never'),
      fc.nat(3).map((abortAfterMs) => ({ abortAfterMs })),
      invalidPlain.map((invalid) => ({ invalid })),
    ),
    guard: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...GUARDS) },
      { weight: 1, arbitrary: invalidPlain.map((invalid) => ({ invalid })) },
    ),
  },
  { requiredKeys: ['kind'] },
);

const requestOptionsArb: fc.Arbitrary<RequestOptionsSpec> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 4, arbitrary: exactOptionsArb },
  {
    weight: 3,
    arbitrary: fc
      .oneof(
        anyValueArb,
        optionsBagArb({
          guard: fc.oneof(hostileFunctionArb, anyValueArb),
          timeoutMs: numberLikeArb,
          signal: fc.oneof(hostileSignalArb, anyValueArb),
        }),
        hostileSignalArb.map(
          (signal) => new Recipe(`{ signal: ${signal.label} }`, (l) => ({ signal: signal.make(l) })),
        ),
        hostileFunctionArb.map(
          (guard) => new Recipe(`{ guard: ${guard.label} }`, (l) => ({ guard: guard.make(l) })),
        ),
      )
      .map((options) => ({ kind: 'hostile' as const, options })),
  },
);

function makeGuard(l: Ledger, kind: GuardKind): unknown {
  switch (kind) {
    case 'pass':
      return () => true;
    case 'fail':
      return () => false;
    case 'throws':
      return () => boom(l, 'error', 'guard');
    case 'Date':
      return Date;
    case 'truthy':
      return () => 'yes';
    case 'name-throws-pass':
      return Object.defineProperty(() => true, 'name', { get: () => boom(l, 'error', 'guard.name') });
    case 'name-throws-fail':
      return Object.defineProperty(() => false, 'name', { get: () => boom(l, 'error', 'guard.name') });
    case 'apply-trap-throws':
      return trapProxy(l, function guard() {}, ['apply'], 'error', 'guard');
    case 'revoked-function':
      return revoked(function guard() {});
    case 'hasInstance-throws':
      return class Guard {
        static [Symbol.hasInstance](): boolean {
          return boom(l, 'error', 'guard Symbol.hasInstance');
        }
      };
  }
}

/** A signal for a spec; `abortAfterMs` aborts on a counted timer. */
function makeSignal(l: Ledger, spec: SignalSpec): unknown {
  // the reasons are the user's values: a handler that honours context.signal fails with them
  const reason = (text: string): Error => {
    const error = new Error(text);
    l.thrown.add(error);
    return error;
  };
  if (spec === 'before') return AbortSignal.abort(reason('aborted before sending'));
  if (spec === 'never') return new AbortController().signal;
  if ('invalid' in spec) return spec.invalid.make(l);
  const controller = new AbortController();
  l.later(spec.abortAfterMs, () => controller.abort(reason('aborted by the caller')));
  return controller.signal;
}

function makeRequestOptions(l: Ledger, spec: RequestOptionsSpec): unknown {
  if (spec.kind === 'none') return undefined;
  if (spec.kind === 'hostile') return spec.options.make(l);
  const options: Record<string, unknown> = {};
  if (spec.timeoutMs !== undefined) options.timeoutMs = spec.timeoutMs;
  if (spec.signal !== undefined) options.signal = makeSignal(l, spec.signal);
  if (spec.guard !== undefined)
    options.guard = typeof spec.guard === 'string' ? makeGuard(l, spec.guard) : spec.guard.invalid.make(l);
  return options;
}

/** What a request with well-defined options must end with. */
type Expect =
  | { readonly t: 'resolve'; readonly value: unknown }
  | { readonly t: 'reject'; readonly error: unknown }
  | { readonly t: 'code'; readonly code: Code }
  | { readonly t: 'class'; readonly cls: typeof TypeError | typeof RangeError }
  | { readonly t: 'empty' }
  | { readonly t: 'loose' };

const showExpect = (e: Expect): string => {
  switch (e.t) {
    case 'resolve':
      return `resolve with ${show(e.value)}`;
    case 'reject':
      return `reject with ${show(e.error)} (the handler's own, unchanged)`;
    case 'code':
      return `SparkChannelError ${e.code}`;
    case 'class':
      return e.cls.name;
    case 'empty':
      return 'EmptyError';
    case 'loose':
      return 'anything documented';
  }
};

function matches(run: Run, e: Expect, got: Settled): boolean {
  switch (e.t) {
    case 'resolve':
      return got.status === 'resolved' && Object.is(got.value, e.value);
    case 'reject':
      return got.status === 'rejected' && Object.is(got.error, e.error);
    case 'code':
      return got.status === 'rejected' && hasCode(got.error, e.code);
    case 'class':
      return got.status === 'rejected' && isInstance(got.error, e.cls);
    case 'empty':
      return got.status === 'rejected' && isInstance(got.error, EmptyError);
    case 'loose':
      return got.status === 'resolved' || isDocumented(got.error) || run.ledger.thrown.has(got.error);
  }
}

interface Validation {
  /** Errors the options must be refused with (nothing sent), if any. */
  readonly refusals: Expect[];
  /** A refusal that is allowed but not required (a guard that throws when inspected). */
  readonly mayRefuse: Expect[];
  readonly timeout: boolean;
  readonly abort: boolean;
  readonly guard: GuardKind | undefined;
}

function validate(spec: ExactOptions | { kind: 'none' }): Validation {
  const refusals: Expect[] = [];
  const mayRefuse: Expect[] = [];
  let timeout = false;
  let abort = false;
  let guard: GuardKind | undefined;
  if (spec.kind === 'exact') {
    const t = spec.timeoutMs;
    if (t !== undefined) {
      // 1 to 3 ms fires within the run; 1 s or Infinity must not fire at all within it
      if (typeof t === 'number' && t > 0) timeout = t <= 3;
      else refusals.push({ t: 'class', cls: RangeError });
    }
    const s = spec.signal;
    if (s !== undefined && typeof s === 'object') {
      if ('invalid' in s) refusals.push({ t: 'class', cls: TypeError });
      else abort = true;
    }
    if (spec.guard !== undefined) {
      if (typeof spec.guard === 'string') guard = spec.guard;
      else refusals.push({ t: 'class', cls: TypeError });
      if (guard === 'name-throws-pass' || guard === 'name-throws-fail' || guard === 'revoked-function') {
        mayRefuse.push({ t: 'class', cls: TypeError });
      }
    }
    if (s === 'before') refusals.push({ t: 'code', code: 'CANCELLED' });
  }
  return { refusals, mayRefuse, timeout, abort, guard };
}

/** What the guard makes of a handler's answer. */
function guarded(run: Run, guard: GuardKind | undefined, value: unknown, plain: boolean): Expect {
  switch (guard) {
    case undefined:
    case 'pass':
    case 'truthy':
    case 'name-throws-pass':
      return { t: 'resolve', value };
    case 'Date':
      if (!plain) return { t: 'loose' };
      return value instanceof Date ? { t: 'resolve', value } : { t: 'code', code: 'INVALID_RESPONSE_TYPE' };
    default:
      void run;
      return { t: 'code', code: 'INVALID_RESPONSE_TYPE' };
  }
}

// ---------------------------------------------------------------------------------------------
// Options bags (for constructors and requests)

type BagStyle = 'data' | 'null-proto' | 'frozen' | 'getter-once' | 'extra-throwing-getter' | 'proxy';
/** The entries of the data-like bags built in this process: what the library was given, exactly. */
const bagEntries = new WeakMap<object, ReadonlyMap<string, { value: unknown; recipe: Recipe }>>();

function optionsBagArb(entries: Record<string, fc.Arbitrary<Recipe>>): fc.Arbitrary<Recipe> {
  const keys = Object.keys(entries);
  return fc
    .tuple(
      fc.record(entries, { requiredKeys: [] }),
      fc.constantFrom<BagStyle>(
        'data',
        'data',
        'data',
        'null-proto',
        'frozen',
        'getter-once',
        'extra-throwing-getter',
        'proxy',
      ),
      fc.constantFrom(...keys),
      fc.subarray([...TRAPS], { minLength: 1 }),
      throwKind,
    )
    .map(([chosen, style, extra, traps, kind]) => {
      const list = Object.entries(chosen as Record<string, Recipe>);
      const label = `${style} {${list.map(([k, r]) => `${k}: ${r.label}`).join(', ')}}${
        style === 'extra-throwing-getter' ? ` + throwing getter ${extra} (${kind})` : ''
      }${style === 'proxy' ? ` behind a proxy trapping [${traps.join(',')}] (${kind})` : ''}`;
      return new Recipe(label, (l) => {
        const made = new Map(list.map(([k, r]) => [k, { value: r.make(l), recipe: r }]));
        const data: Record<string, unknown> =
          style === 'null-proto' ? (Object.create(null) as Record<string, unknown>) : {};
        for (const [k, { value }] of made) data[k] = value;
        switch (style) {
          case 'data':
          case 'null-proto':
            bagEntries.set(data, made);
            return data;
          case 'frozen':
            bagEntries.set(data, made);
            return Object.freeze(data);
          case 'getter-once': {
            const bag = {};
            for (const [k, { value }] of made) {
              let reads = 0;
              Object.defineProperty(bag, k, {
                get: () => (reads++ === 0 ? value : undefined),
                enumerable: true,
              });
            }
            return bag;
          }
          case 'extra-throwing-getter':
            if (!made.has(extra)) {
              Object.defineProperty(data, extra, {
                get: () => boom(l, kind, `options.${extra}`),
                enumerable: true,
              });
            }
            return data;
          case 'proxy':
            return trapProxy(l, data, traps, kind, 'options');
        }
      });
    });
}

const recipeOf = (label: string, make: (l: Ledger) => unknown, meta = {}): Recipe =>
  new Recipe(label, make, meta);

const okHandler = (): SparkGenericModuleHandler<unknown, unknown, unknown> => ({
  handleRequest: (m) => (m === OK ? 'ok' : m),
  handleCommand: () => undefined,
});

const loggerArb = fc.oneof(
  fc.constant(recipeOf('noop logger', () => noopLogger, { plain: true })),
  throwKind.map((kind) =>
    recipeOf(`throwing logger (${kind})`, (l) => ({
      error: () => boom(l, kind, 'logger.error'),
      warn: () => boom(l, kind, 'logger.warn'),
    })),
  ),
  anyValueArb,
);
const keyArb = fc.oneof(
  fc.constant(recipeOf('identity key', () => (m: unknown) => m)),
  hostileFunctionArb,
  anyValueArb,
);
const schedulerArb = fc.oneof(
  fc.constant(recipeOf('asyncScheduler', () => asyncScheduler, { plain: true })),
  throwKind.map((kind) =>
    recipeOf(`throwing scheduler (${kind})`, (l) => ({
      now: () => boom(l, kind, 'scheduler.now'),
      schedule: () => boom(l, kind, 'scheduler.schedule'),
    })),
  ),
  fc.constant(
    recipeOf('NaN clock', () => ({ now: () => NaN, schedule: asyncScheduler.schedule.bind(asyncScheduler) })),
  ),
  anyValueArb,
);
const instrumentArb = fc.oneof(
  throwKind.map((kind) =>
    recipeOf(`throwing hooks (${kind})`, (l) => ({
      sent: () => boom(l, kind, 'instrument.sent'),
      run: () => boom(l, kind, 'instrument.run'),
      settled: () => boom(l, kind, 'instrument.settled'),
    })),
  ),
  anyValueArb,
);
const positiveIntArb = fc
  .integer({ min: 1, max: 3 })
  .map((n) => recipeOf(String(n), () => n, { plain: true }));
const rateLimitArb = fc.oneof(
  optionsBagArb({ limit: fc.oneof(positiveIntArb, numberLikeArb), intervalMs: numberLikeArb }),
  anyValueArb,
);

const serverEntries = {
  logger: loggerArb,
  token: fc.oneof(tokenArb, anyValueArb),
  concurrency: fc.oneof(positiveIntArb, numberLikeArb, anyValueArb),
  key: keyArb,
  scheduler: schedulerArb,
  instrument: instrumentArb,
};
const dispatcherEntries = {
  timeoutMs: fc.oneof(numberLikeArb, anyValueArb),
  rateLimit: rateLimitArb,
  scheduler: schedulerArb,
};

const bagOrValue = (entries: Record<string, fc.Arbitrary<Recipe>>): fc.Arbitrary<Recipe | undefined> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: optionsBagArb(entries) },
    { weight: 2, arbitrary: anyValueArb },
  );

// ---------------------------------------------------------------------------------------------
// (P1) constructors

const handlerArb: fc.Arbitrary<Recipe> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(recipeOf('ok handler', okHandler, { plain: true })) },
  {
    weight: 1,
    arbitrary: fc.constant(
      recipeOf('class handler', () => {
        class Handler {
          handleRequest(m: unknown): unknown {
            return m === OK ? 'ok' : m;
          }
          handleCommand(): void {}
        }
        return new Handler();
      }),
    ),
  },
  { weight: 2, arbitrary: anyValueArb },
  {
    weight: 2,
    arbitrary: getterBombArb(
      fc.subarray(['handleRequest', 'handleCommand'] as ('handleRequest' | 'handleCommand')[], {
        minLength: 1,
      }),
      fc.constant('object' as const),
    ),
  },
  { weight: 1, arbitrary: trapProxyArb(fc.constant('handler' as const)) },
  { weight: 1, arbitrary: revokedArb(fc.constant('handler' as const)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('handleRequest', 'handleCommand'), anyValueArb)
      .map(([key, value]) =>
        recipeOf(`handler with ${key}: ${value.label}`, (l) => ({ ...okHandler(), [key]: value.make(l) })),
      ),
  },
  {
    weight: 1,
    arbitrary: throwKind.map((kind) =>
      recipeOf(`handler whose methods throw on their second read (${kind})`, (l) => {
        let reads = 0;
        const base = okHandler();
        return {
          get handleRequest() {
            return reads++ === 0 ? base.handleRequest : boom(l, kind, 'handler.handleRequest');
          },
          handleCommand: base.handleCommand,
        };
      }),
    ),
  },
);

type ChannelKind = 'fresh' | 'bounded' | 'attached' | 'stopped' | 'closed' | 'proto-only';
const channelArb: fc.Arbitrary<ChannelKind | Recipe> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom<ChannelKind>(
      'fresh',
      'fresh',
      'bounded',
      'attached',
      'stopped',
      'closed',
      'proto-only',
    ),
  },
  { weight: 1, arbitrary: anyValueArb },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.subarray([...TRAPS], { minLength: 1 }), throwKind)
      .map(([traps, kind]) =>
        recipeOf(`proxy of a ModuleChannel trapping [${traps.join(',')}] (${kind})`, (l) =>
          trapProxy(l, new ModuleChannel(), traps, kind, 'channel'),
        ),
      ),
  },
);

function makeChannel(run: Run, kind: ChannelKind | Recipe): unknown {
  if (kind instanceof Recipe) return kind.make(run.ledger);
  switch (kind) {
    case 'fresh':
      return new ModuleChannel();
    case 'bounded':
      return new ModuleChannel(2);
    case 'attached': {
      const channel = new ModuleChannel();
      run.servers.push(
        runModuleServer(okHandler(), channel, { logger: noopLogger }) as ModuleServer<unknown, unknown>,
      );
      return channel;
    }
    case 'stopped': {
      const channel = new ModuleChannel();
      runModuleServer(okHandler(), channel, { logger: noopLogger }).stop();
      return channel;
    }
    case 'closed': {
      const channel = new ModuleChannel();
      channel.trySend(SparkGenericModuleMessage.Shutdown(new SparkChannelCancellationToken()));
      return channel;
    }
    case 'proto-only':
      return Object.create(ModuleChannel.prototype) as unknown;
  }
}

type Construct =
  | { readonly kind: 'channel'; readonly capacity: Recipe | undefined }
  | {
      readonly kind: 'server';
      readonly handler: Recipe;
      readonly channel: ChannelKind | Recipe;
      readonly options: Recipe | undefined;
    }
  | {
      readonly kind: 'dispatcher';
      readonly channel: ChannelKind | Recipe;
      readonly options: Recipe | undefined;
    }
  | { readonly kind: 'spawn'; readonly handler: Recipe; readonly options: Recipe | undefined };

const constructArb: fc.Arbitrary<Construct> = fc.oneof(
  fc.record({
    kind: fc.constant('channel' as const),
    capacity: fc.option(fc.oneof(numberLikeArb, anyValueArb), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('server' as const),
    handler: handlerArb,
    channel: channelArb,
    options: bagOrValue(serverEntries),
  }),
  fc.record({
    kind: fc.constant('dispatcher' as const),
    channel: channelArb,
    options: bagOrValue(dispatcherEntries),
  }),
  fc.record({
    kind: fc.constant('spawn' as const),
    handler: handlerArb,
    options: bagOrValue({
      ...serverEntries,
      ...dispatcherEntries,
      capacity: fc.oneof(numberLikeArb, anyValueArb),
    }),
  }),
);

const isPositiveInteger = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v > 0;
const isPositiveNumber = (v: unknown): boolean => typeof v === 'number' && v > 0;

/**
 * For a data bag of plain values: whether the library must accept it (true), refuse it (false),
 * or the fuzz cannot tell (undefined).
 */
function bagVerdict(bag: unknown): boolean | undefined {
  if (bag === undefined) return true;
  const entries = typeof bag === 'object' && bag !== null ? bagEntries.get(bag) : undefined;
  if (entries === undefined) return undefined;
  let verdict: boolean | undefined = true;
  for (const [key, { value, recipe }] of entries) {
    if (value === undefined) continue;
    const plain = recipe.meta.plain === true;
    switch (key) {
      case 'capacity':
        if (!plain) return undefined;
        if (!(value === Infinity || isPositiveInteger(value))) return false;
        break;
      case 'concurrency':
        if (!plain) return undefined;
        if (!isPositiveInteger(value)) return false;
        break;
      case 'timeoutMs':
        if (!plain) return undefined;
        if (!isPositiveNumber(value)) return false;
        break;
      case 'rateLimit': {
        const inner = typeof value === 'object' && value !== null ? bagEntries.get(value) : undefined;
        if (inner === undefined)
          return plain && (typeof value !== 'object' || value === null) ? false : undefined;
        const limit = inner.get('limit');
        const interval = inner.get('intervalMs');
        if (limit === undefined || interval === undefined) return undefined; // missing: not documented
        if (limit.recipe.meta.plain !== true || interval.recipe.meta.plain !== true) return undefined;
        if (!isPositiveInteger(limit.value)) return false;
        if (!(isPositiveNumber(interval.value) && Number.isFinite(interval.value))) return false;
        break;
      }
      case 'logger':
        if (!plain) verdict = undefined;
        else if (recipe.label !== 'noop logger') return false; // a plain value has no error() method
        break;
      case 'scheduler':
        if (recipe.label !== 'asyncScheduler') verdict = plain ? false : undefined;
        break;
      default:
        verdict = undefined;
    }
  }
  return verdict;
}

/** Whether a module built from these options must answer a normal request with 'ok'. */
function answersNormally(handler: Recipe, bag: unknown): boolean {
  if (handler.label !== 'ok handler' && handler.label !== 'class handler') return false;
  if (bag === undefined) return true;
  const entries = typeof bag === 'object' && bag !== null ? bagEntries.get(bag) : undefined;
  if (entries === undefined) return false;
  for (const [key, { value, recipe }] of entries) {
    if (value === undefined) continue;
    if (key === 'token' && !(value instanceof SparkChannelCancellationToken && !value.isCancelled))
      return false;
    if (
      key === 'token' &&
      !['token(token', 'token(child-token', 'token(grandchild-token'].some((p) => recipe.label.startsWith(p))
    )
      return false;
    if (key === 'key' || key === 'rateLimit') return false;
    if (key === 'scheduler' && value !== asyncScheduler) return false;
    if (key === 'timeoutMs' && !(typeof value === 'number' && value >= 50)) return false;
    if (key === 'instrument' && !recipe.label.startsWith('throwing hooks')) return false;
  }
  return true;
}

async function exerciseDispatcher(
  run: Run,
  dispatcher: SparkGenericModuleDispatcher<unknown, unknown, unknown, unknown>,
  server: ModuleServer<unknown, unknown> | undefined,
  strict: boolean,
  where: string,
): Promise<void> {
  const probe = run.promise(`${where}: dispatcher.request(ok)`, () => dispatcher.request(OK));
  run.promise(`${where}: dispatcher.requestResult(ok)`, () => dispatcher.requestResult(OK), true);
  run.promise(`${where}: dispatcher.sendCommand('cmd')`, () => dispatcher.sendCommand('cmd'));
  // a key function that throws refuses the send with SEND_FAILED, its error as cause (reliability.md)
  run.sync(`${where}: dispatcher.trySendCommand('cmd')`, () => dispatcher.trySendCommand('cmd'));
  if (probe === undefined || server === undefined) return;
  await waitFor(() => probe.outcome !== undefined, strict ? BOUND_MS : 20);
  const outcome = probe.outcome;
  if (strict) {
    if (outcome === undefined) run.fail(`(c) ${where}: a normal request got no answer within ${BOUND_MS} ms`);
    else if (outcome.status === 'rejected')
      run.fail(`(c) ${where}: a normal request failed: ${show(outcome.error)}`);
    else if (outcome.value !== 'ok') run.fail(`(c) ${where}: a normal request got ${show(outcome.value)}`);
    if (!server.isRunning) run.fail(`(c) ${where}: the server stopped although nothing stopped it`);
  } else if (outcome?.status === 'rejected') {
    run.checkError(`${where}: a normal request`, outcome.error);
  }
  run.promise(`${where}: dispatcher.shutdown()`, () => dispatcher.shutdown());
}

async function construct(c: Construct, run: Run): Promise<void> {
  const l = run.ledger;
  switch (c.kind) {
    case 'channel': {
      const capacity = c.capacity?.make(l);
      const made = run.sync('new ModuleChannel(capacity)', () =>
        c.capacity === undefined ? new ModuleChannel() : new ModuleChannel(capacity as number),
      );
      const valid = capacity === undefined || capacity === Infinity || isPositiveInteger(capacity);
      if (made.ok) {
        if (!valid) run.fail(`new ModuleChannel(${show(capacity)}) was accepted`);
        else if (made.value.capacity !== (capacity ?? Infinity))
          run.fail(`capacity read back as ${made.value.capacity}`);
      } else if (valid) {
        run.fail(`new ModuleChannel(${show(capacity)}) was refused: ${show(made.error)}`);
      } else if (
        !isInstance(made.error, RangeError) ||
        !safely(() => (made.error as Error).message.includes('capacity'), false)
      ) {
        run.fail(
          `new ModuleChannel(${show(capacity)}) threw ${show(made.error)}, not a RangeError naming capacity`,
        );
      }
      return;
    }
    case 'server': {
      const handler = c.handler.make(l);
      const channel = makeChannel(run, c.channel);
      const options = c.options?.make(l);
      const made = run.sync('runModuleServer(handler, channel, options)', () =>
        runModuleServer(
          handler as SparkGenericModuleHandler<unknown, unknown, unknown>,
          channel as ModuleChannel<unknown, unknown, unknown, unknown>,
          options as object,
        ),
      );
      const fresh = c.channel === 'fresh' || c.channel === 'bounded';
      const verdict = bagVerdict(options);
      if (made.ok) {
        const server = made.value as ModuleServer<unknown, unknown>;
        run.servers.push(server);
        if (verdict === false) run.fail(`runModuleServer accepted invalid options ${c.options?.label ?? ''}`);
        if (!fresh) return;
        const dispatcher = new SparkGenericModuleDispatcher(
          channel as ModuleChannel<unknown, unknown, unknown, unknown>,
        );
        await exerciseDispatcher(
          run,
          dispatcher,
          server,
          answersNormally(c.handler, options),
          'runModuleServer',
        );
        if (server.isRunning && !answersNormally(c.handler, options)) {
          run.never('server.stats()', () => server.stats());
        }
        return;
      }
      if (fresh && verdict === true && c.handler.label === 'ok handler') {
        run.fail(`runModuleServer refused valid arguments: ${show(made.error)}`);
      }
      if (fresh) {
        // A refused server leaves the channel as it was: another server can run on it.
        const again = run.sync('runModuleServer on a channel a refused server was given', () =>
          runModuleServer(okHandler(), channel as ModuleChannel<unknown, unknown, unknown, unknown>, {
            logger: noopLogger,
          }),
        );
        if (!again.ok) {
          run.fail(`after a refused runModuleServer the channel cannot take a server: ${show(again.error)}`);
          return;
        }
        run.servers.push(again.value as ModuleServer<unknown, unknown>);
        const dispatcher = new SparkGenericModuleDispatcher(
          channel as ModuleChannel<unknown, unknown, unknown, unknown>,
        );
        await exerciseDispatcher(
          run,
          dispatcher,
          again.value as ModuleServer<unknown, unknown>,
          true,
          'after a refused runModuleServer',
        );
      }
      return;
    }
    case 'dispatcher': {
      const channel = makeChannel(run, c.channel);
      const options = c.options?.make(l);
      const made = run.sync(
        'new SparkGenericModuleDispatcher(channel, options)',
        () =>
          new SparkGenericModuleDispatcher(
            channel as ModuleChannel<unknown, unknown, unknown, unknown>,
            options as object,
          ),
      );
      if (!made.ok) {
        if (c.channel === 'fresh' && bagVerdict(options) === true) {
          run.fail(`new SparkGenericModuleDispatcher refused valid arguments: ${show(made.error)}`);
        }
        return;
      }
      if (bagVerdict(options) === false)
        run.fail(`new SparkGenericModuleDispatcher accepted invalid options ${c.options?.label ?? ''}`);
      let server: ModuleServer<unknown, unknown> | undefined;
      if (c.channel === 'fresh' || c.channel === 'bounded') {
        server = runModuleServer(okHandler(), channel as ModuleChannel<unknown, unknown, unknown, unknown>, {
          logger: noopLogger,
        }) as ModuleServer<unknown, unknown>;
        run.servers.push(server);
      }
      await exerciseDispatcher(
        run,
        made.value,
        server,
        server !== undefined && answersNormally(recipeOf('ok handler', okHandler), options),
        'dispatcher',
      );
      return;
    }
    case 'spawn': {
      const handler = c.handler.make(l);
      const options = c.options?.make(l);
      const made = run.sync('spawnModule(handler, options)', () =>
        spawnModule<unknown, unknown, unknown, unknown>(
          handler as SparkGenericModuleHandler<unknown, unknown, unknown>,
          options as object,
        ),
      );
      if (!made.ok) return;
      run.servers.push(made.value.server);
      if (bagVerdict(options) === false)
        run.fail(`spawnModule accepted invalid options ${c.options?.label ?? ''}`);
      await exerciseDispatcher(
        run,
        made.value.dispatcher,
        made.value.server,
        answersNormally(c.handler, options),
        'spawnModule',
      );
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// (P2) one hostile message through one entry point, outcome checked exactly where defined

type CallKind =
  'request' | 'requestResult' | 'request$' | 'raw-send' | 'raw-trySend' | 'sendCommand' | 'trySendCommand';
type Unsubscribe = 'never' | 'sync' | 'microtask' | 'after-1ms';
type RawSender = 'subject' | 'next-throws' | 'complete-throws' | 'completed-subject' | 'plain-observer';

interface Single {
  readonly setup: ModuleSetup;
  readonly blockers: number;
  readonly behaviour: Behaviour;
  readonly message: Recipe;
  readonly call: CallKind;
  readonly options: RequestOptionsSpec;
  readonly unsubscribe: Unsubscribe;
  readonly rawSender: RawSender;
  /** A raw request's signal when hostile (then the outcome is only checked loosely). */
  readonly rawSignal: Recipe | undefined;
}

const singleArb: fc.Arbitrary<Single> = fc.record({
  setup: moduleSetupArb,
  blockers: fc.nat(3),
  behaviour: behaviourArb,
  message: anyValueArb,
  call: fc.constantFrom<CallKind>(
    'request',
    'request',
    'requestResult',
    'request$',
    'request$',
    'raw-send',
    'raw-trySend',
    'sendCommand',
    'trySendCommand',
  ),
  options: requestOptionsArb,
  unsubscribe: fc.constantFrom<Unsubscribe>('never', 'never', 'sync', 'microtask', 'after-1ms'),
  rawSender: fc.constantFrom<RawSender>(
    'subject',
    'subject',
    'subject',
    'next-throws',
    'complete-throws',
    'completed-subject',
    'plain-observer',
  ),
  rawSignal: fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.oneof(hostileSignalArb, anyValueArb) },
  ),
});

function rawSender(
  run: Run,
  kind: RawSender,
  what: string,
): { sender: unknown; reply: ReturnType<Run['reply']>['record'] | undefined } {
  const l = run.ledger;
  switch (kind) {
    case 'subject': {
      const { subject, record } = run.reply(what);
      return { sender: subject, reply: record };
    }
    case 'next-throws': {
      const subject = new AsyncSubject<unknown>();
      subject.next = () => boom(l, 'error', 'sender.next');
      return { sender: subject, reply: undefined };
    }
    case 'complete-throws': {
      const subject = new AsyncSubject<unknown>();
      subject.complete = () => boom(l, 'error', 'sender.complete');
      return { sender: subject, reply: undefined };
    }
    case 'completed-subject': {
      const subject = new AsyncSubject<unknown>();
      subject.complete();
      return { sender: subject, reply: undefined };
    }
    case 'plain-observer':
      return { sender: { next: () => undefined, complete: () => undefined }, reply: undefined };
  }
}

async function single(input: Single): Promise<void> {
  const l = new Ledger();
  const run = new Run(l);
  const { behaviour, call } = input;
  const module = spawn(run, input.setup, (invocation) => behaviour.run(l, invocation));
  const { dispatcher, server } = module;
  const requestKind = call === 'request' || call === 'requestResult' || call === 'request$';
  const raw = call === 'raw-send' || call === 'raw-trySend';
  const command = call === 'sendCommand' || call === 'trySendCommand';

  for (let i = 0; i < input.blockers; i++)
    run.promise(`blocker request ${i}`, () => dispatcher.request(BLOCK));
  const message = input.message.make(l);

  // The call, and how its outcome is read.
  let read: () => Settled | undefined = () => undefined;
  let unsubscribed = false;
  let refusedAtOnce: unknown;
  let sent = true;
  const options = requestKind ? makeRequestOptions(l, input.options) : undefined;
  const rawSignalSpec =
    raw && input.rawSignal === undefined && input.options.kind === 'exact' ? input.options.signal : undefined;
  if (call === 'request') {
    // a request whose answer is a thenable that never settles adopts it, as any promise would
    const adoptsForever = behaviour.outcome.kind === 'value' && behaviour.outcome.adoptsForever === true;
    const t = run.promise(
      'dispatcher.request(message, options)',
      () => dispatcher.request(message, options as object),
      false,
      adoptsForever,
    );
    read = () => t?.outcome;
  } else if (call === 'requestResult') {
    const t = run.promise(
      'dispatcher.requestResult(message, options)',
      () => dispatcher.requestResult(message, options as object),
      true,
    );
    read = () => {
      const o = t?.outcome;
      if (o?.status !== 'resolved') return o;
      const r = o.value as { ok?: unknown; value?: unknown; error?: unknown } | null;
      if (typeof r !== 'object' || r === null || typeof r.ok !== 'boolean') {
        run.fail(`requestResult resolved with ${show(r)}, not a Result`);
        return undefined;
      }
      return r.ok ? { status: 'resolved', value: r.value } : { status: 'rejected', error: r.error };
    };
  } else if (call === 'request$') {
    const before = l.invocations.length;
    const observable = run.never('dispatcher.request$(message, options)', () =>
      dispatcher.request$(message, options as object),
    );
    if (l.invocations.length !== before) run.fail('request$ sent before it was subscribed (it is cold)');
    const s = run.subscribe(
      'dispatcher.request$(message, options)',
      () => observable ?? { subscribe: () => ({}) as Subscription },
    );
    const unsubscribe = (s as { unsubscribe?: () => void }).unsubscribe;
    if (input.unsubscribe !== 'never' && unsubscribe !== undefined) {
      if (input.unsubscribe === 'microtask') await Promise.resolve();
      if (input.unsubscribe === 'after-1ms') await sleep(1);
      unsubscribe();
      unsubscribed = s.unsubscribed;
    }
    read = () => {
      if (s.ended === undefined) return undefined;
      if (s.ended.status === 'resolved' && s.nexts.length !== 1) {
        run.fail(`request$ completed after ${s.nexts.length} values, not exactly one`);
      }
      return s.ended;
    };
  } else if (raw) {
    const { sender, reply } = rawSender(run, input.rawSender, `raw ${call}`);
    const signal =
      input.rawSignal !== undefined
        ? input.rawSignal.make(l)
        : rawSignalSpec === undefined
          ? undefined
          : makeSignal(l, rawSignalSpec);
    const envelope = SparkGenericModuleMessage.Request(
      new CallbackWrapper<unknown, Raw>(
        message,
        sender as AsyncSubject<Raw>,
        signal as AbortSignal | undefined,
      ),
    );
    if (call === 'raw-send') {
      const t = run.promise('channel.send(Request)', () => dispatcher.sender.send(envelope as never));
      await waitFor(() => t?.outcome !== undefined, 10);
      if (t?.outcome?.status === 'rejected') {
        sent = false;
        run.checkError('channel.send(Request)', t.outcome.error);
      }
      if (reply !== undefined) reply.accepted = t?.outcome?.status === 'resolved';
    } else {
      const r = run.sync('channel.trySend(Request)', () => dispatcher.sender.trySend(envelope as never));
      if (!r.ok) {
        sent = false;
        refusedAtOnce = r.error;
      }
      if (reply !== undefined) reply.accepted = r.ok;
    }
    read = () => {
      if (reply === undefined || !reply.completed) return undefined;
      const result = reply.values[0] as { ok: boolean; value?: unknown; error?: unknown } | undefined;
      if (result === undefined) return undefined;
      return result.ok
        ? { status: 'resolved', value: result.value }
        : { status: 'rejected', error: result.error };
    };
  } else if (call === 'sendCommand') {
    run.promise('dispatcher.sendCommand(message)', () => dispatcher.sendCommand(message));
  } else {
    const r = run.sync('dispatcher.trySendCommand(message)', () => dispatcher.trySendCommand(message));
    if (!r.ok) {
      sent = false;
      refusedAtOnce = r.error;
    }
  }

  // Room: how full the module was when the call came (blockers start at once, in order).
  const capacity = input.setup.capacity ?? Infinity;
  const runningBlockers = Math.min(input.blockers, module.blockerLanes);
  const queued = Math.min(input.blockers - runningBlockers, capacity);
  const full = input.blockers - runningBlockers - queued > 0 || queued >= capacity;
  const rawHostile = raw && input.rawSignal !== undefined;
  if ((call === 'raw-trySend' || call === 'trySendCommand') && !rawHostile) {
    if (full && sent) run.fail(`${call} on a full channel did not throw CHANNEL_FULL`);
    if (
      !full &&
      !sent &&
      refusedAtOnce !== undefined &&
      input.options.kind !== 'hostile' &&
      rawSignalSpec === undefined
    ) {
      if (input.rawSender === 'subject' || command)
        run.fail(`${call} with room threw ${show(refusedAtOnce)}`);
    }
    if (
      full &&
      !sent &&
      !hasCode(refusedAtOnce, 'CHANNEL_FULL') &&
      rawSignalSpec === undefined &&
      (command || input.rawSender === 'subject')
    ) {
      run.fail(`${call} on a full channel threw ${show(refusedAtOnce)}, not CHANNEL_FULL`);
    }
  }

  // What must happen.
  const exact = requestKind
    ? input.options.kind !== 'hostile'
    : raw
      ? input.rawSender === 'subject' &&
        input.rawSignal === undefined &&
        !(typeof rawSignalSpec === 'object' && 'invalid' in rawSignalSpec)
      : true;
  const v =
    requestKind && input.options.kind !== 'hostile' ? validate(input.options) : validate({ kind: 'none' });
  const rawAbort =
    raw &&
    rawSignalSpec !== undefined &&
    typeof rawSignalSpec === 'object' &&
    'abortAfterMs' in rawSignalSpec;
  const rawBefore = raw && rawSignalSpec === 'before';
  const giveUpPossible = v.timeout || v.abort || unsubscribed || rawAbort;
  const o = behaviour.outcome;
  const hangs =
    o.kind === 'hang-promise' ||
    o.kind === 'maybe-hang' ||
    o.kind === 'hang-observable' ||
    o.kind === 'hang-abortable' ||
    (command && behaviour.endless);

  // Wait for the outcome where one is due before any stop.
  const due =
    sent &&
    !(call === 'request' && o.kind === 'value' && o.adoptsForever === true) &&
    !unsubscribed &&
    (exact ? v.refusals.length > 0 || !hangs || (giveUpPossible && !(raw && hangs)) || rawBefore : !hangs);
  if (due && (requestKind || (raw && input.rawSender === 'subject'))) {
    await waitFor(() => read() !== undefined, BOUND_MS);
  } else {
    await macrotask();
  }
  const got = read();
  const invocation = l.invocations[0];
  if (l.invocations.length > 1) run.fail(`the handler ran ${l.invocations.length} times for one message`);
  if (invocation !== undefined && !Object.is(invocation.message, message))
    run.fail('the handler got another message than the one sent');

  if (exact && requestKind && v.refusals.length > 0) {
    if (got === undefined) run.fail(`a request with refused options did not settle at once`);
    else if (![...v.refusals, ...v.mayRefuse].some((e) => matches(run, e, got))) {
      run.fail(
        `a request with refused options ended ${showSettled(got)}; expected ${v.refusals.map(showExpect).join(' or ')}`,
      );
    }
    if (invocation !== undefined) run.fail('a request with refused options was handled');
  } else if (
    exact &&
    requestKind &&
    invocation === undefined &&
    got !== undefined &&
    v.mayRefuse.some((e) => matches(run, e, got))
  ) {
    // refused at once for a guard that throws when inspected: allowed
  } else if (exact && (requestKind || raw) && sent) {
    const allowed: Expect[] = [];
    if (rawBefore) allowed.push({ t: 'code', code: 'CANCELLED' });
    else if (invocation !== undefined) {
      const produced = invocation.produced;
      switch (o.kind) {
        case 'value':
          allowed.push(
            call === 'request' && o.adopts
              ? { t: 'loose' }
              : raw
                ? { t: 'resolve', value: produced }
                : guarded(run, v.guard, produced, !o.adopts),
          );
          break;
        case 'error':
          allowed.push({ t: 'reject', error: produced });
          break;
        case 'empty':
          allowed.push({ t: 'empty' });
          break;
        case 'any':
        case 'maybe-hang':
          allowed.push({ t: 'loose' });
          break;
        default:
          break;
      }
      if (rawAbort && hangs) allowed.push({ t: 'loose' }); // the raw caller's abort reaches context.signal only
    }
    if (v.timeout) allowed.push({ t: 'code', code: 'TIMEOUT' });
    if (v.abort || rawAbort) allowed.push({ t: 'code', code: 'CANCELLED' });
    if (got !== undefined) {
      if (unsubscribed) run.fail('request$ delivered an outcome after unsubscribe()');
      else if (allowed.length === 0)
        run.fail(
          `ended ${showSettled(got)}, but the handler ${invocation === undefined ? 'never ran' : 'never settles'} and nothing gave up`,
        );
      else if (!allowed.some((e) => matches(run, e, got))) {
        run.fail(
          `${call} ended ${showSettled(got)}; expected ${allowed.map(showExpect).join(' or ')} (handler: ${behaviour.label})`,
        );
      }
      if (rawBefore && invocation !== undefined)
        run.fail('a raw request whose signal was already aborted was handled');
    } else if (due && !unsubscribed && (requestKind || input.rawSender === 'subject')) {
      run.fail(
        `(b) ${call} did not settle within ${BOUND_MS} ms (handler: ${behaviour.label}; expected ${allowed.map(showExpect).join(' or ') || 'a give-up'})`,
      );
    }
    // errors$: a handler failure, reported once, unchanged (unless the caller gave up)
    const gaveUp =
      got !== undefined &&
      (hasCode(got.status === 'rejected' ? got.error : undefined, 'TIMEOUT') ||
        hasCode(got.status === 'rejected' ? got.error : undefined, 'CANCELLED'));
    if (invocation !== undefined && got !== undefined && !gaveUp && !giveUpPossible) {
      const failures = module.errors.filter((e) => e.kind === 'request');
      if (
        o.kind === 'error' &&
        (failures.length !== 1 || !Object.is(failures[0]?.error, invocation.produced))
      ) {
        run.fail(`errors$ reported ${failures.length} request failures, not the handler's own error once`);
      }
      if (o.kind === 'empty' && (failures.length !== 1 || !isInstance(failures[0]?.error, EmptyError))) {
        run.fail('errors$ did not report the EmptyError of an empty observable');
      }
      if (o.kind === 'value' && failures.length !== 0)
        run.fail(`errors$ reported ${failures.length} failures of a request that was answered`);
    }
  } else if (got !== undefined && !exact) {
    if (got.status === 'rejected') run.checkError(call, got.error);
  }
  if (command && sent && invocation !== undefined && !hangs) {
    await waitFor(() => o.kind !== 'error' || module.errors.length > 0, BOUND_MS);
    const failures = module.errors.filter((e) => e.kind === 'command');
    if (
      o.kind === 'error' &&
      (failures.length !== 1 || !Object.is(failures[0]?.error, invocation.produced))
    ) {
      run.fail(`errors$ reported ${failures.length} command failures, not the handler's own error once`);
    }
  }

  // Only the first value of a request's observable is pulled; a caller that gave up is let go of.
  const gotCode = (code: Code): boolean => got?.status === 'rejected' && hasCode(got.error, code);
  const dispatcherGaveUp = requestKind && (unsubscribed || gotCode('TIMEOUT') || gotCode('CANCELLED'));
  if (invocation?.probe !== undefined && !command) {
    const probe = invocation.probe;
    if (behaviour.burst && probe.emitted > 1) {
      run.fail(
        `a request's synchronous observable was pulled for ${probe.emitted} values; only the first may be`,
      );
    }
    if (
      dispatcherGaveUp &&
      o.kind === 'hang-observable' &&
      !(await waitFor(() => probe.unsubscribed >= probe.subscribed, 100))
    ) {
      run.fail(
        `the server did not unsubscribe from the handler's observable when the caller gave up (${unsubscribed ? 'unsubscribed' : show(got?.status === 'rejected' ? got.error : undefined)})`,
      );
    }
  }
  if (invocation === undefined && (dispatcherGaveUp || gotCode('CANCELLED'))) {
    await waitFor(() => false, 5);
    if (l.invocations.length > 0) run.fail('a request given up on before it started was handled later');
  }

  // (c) unless the module is legitimately busy forever
  const gaveUpAny = dispatcherGaveUp || (rawAbort && invocation !== undefined);
  const neverStarts = invocation === undefined && (!sent || got !== undefined || unsubscribed);
  const blocked =
    module.concurrency === 1 &&
    !neverStarts &&
    (!exact
      ? hangs
      : o.kind === 'hang-promise' ||
        o.kind === 'maybe-hang' ||
        (o.kind === 'hang-observable' && !dispatcherGaveUp) ||
        (o.kind === 'hang-abortable' && !gaveUpAny) ||
        (command && hangs));
  if (!blocked) await probeAnswers(run, module, `after ${call} (${behaviour.label})`);
  run.never('server.stats()', () => server.stats());
  await run.finish();
}

const showSettled = (s: Settled): string =>
  s.status === 'resolved' ? `resolved with ${show(s.value)}` : `rejected with ${show(s.error)}`;

// ---------------------------------------------------------------------------------------------
// (P3) programs: many hostile calls on one module, interleaved with stops, drains, shutdowns

type Op =
  | {
      readonly op: 'request';
      readonly via: 'request' | 'requestResult' | 'request$';
      readonly message: Recipe;
      readonly options: RequestOptionsSpec;
      readonly unsubscribe: Unsubscribe;
    }
  | { readonly op: 'command'; readonly via: 'sendCommand' | 'trySendCommand'; readonly message: Recipe }
  | { readonly op: 'envelope'; readonly via: 'send' | 'trySend'; readonly envelope: Recipe }
  | { readonly op: 'shutdown'; readonly token: Recipe | undefined }
  | { readonly op: 'stop' }
  | { readonly op: 'drain'; readonly deadline: Recipe }
  | { readonly op: 'tick'; readonly ms: number }
  | { readonly op: 'probe' }
  | {
      readonly op: 'shared-signal';
      readonly via: 'request' | 'requestResult' | 'request$';
      readonly message: Recipe;
    }
  | { readonly op: 'abort-shared' };

const envelopeArb: fc.Arbitrary<Recipe> = fc.oneof(
  {
    weight: 2,
    arbitrary: anyValueArb.map((m) =>
      recipeOf(`Command(${m.label})`, (l) => SparkGenericModuleMessage.Command(m.make(l))),
    ),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        anyValueArb,
        fc.constantFrom<RawSender | 'hostile'>(
          'subject',
          'next-throws',
          'complete-throws',
          'completed-subject',
          'plain-observer',
          'hostile',
        ),
        fc.option(
          fc.oneof(
            hostileSignalArb,
            anyValueArb,
            fc.constant(recipeOf('live signal', () => new AbortController().signal)),
          ),
          { nil: undefined },
        ),
        anyValueArb,
      )
      .map(([m, sender, signal, hostileSender]) =>
        recipeOf(
          `Request(CallbackWrapper(${m.label}, ${sender === 'hostile' ? hostileSender.label : sender}${signal ? `, ${signal.label}` : ''}))`,
          (l) => {
            const s =
              sender === 'hostile'
                ? hostileSender.make(l)
                : sender === 'subject'
                  ? new AsyncSubject()
                  : rawSenderFor(l, sender);
            return SparkGenericModuleMessage.Request(
              new CallbackWrapper<unknown, Raw>(
                m.make(l),
                s as AsyncSubject<Raw>,
                signal?.make(l) as AbortSignal | undefined,
              ),
            );
          },
        ),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('message', 'sender', 'signal'), throwKind, anyValueArb)
      .map(([key, kind, m]) =>
        recipeOf(`Request(CallbackWrapper(${m.label}) with a throwing ${key} getter (${kind}))`, (l) => {
          const wrapper = new CallbackWrapper<unknown, Raw>(m.make(l), new AsyncSubject<Raw>());
          Object.defineProperty(wrapper, key, { get: () => boom(l, kind, `wrapper.${key}`) });
          return SparkGenericModuleMessage.Request(wrapper);
        }),
      ),
  },
  {
    weight: 1,
    arbitrary: fc.constant(
      recipeOf('Request(Object.create(CallbackWrapper.prototype) with a sender)', () =>
        SparkGenericModuleMessage.Request(
          Object.assign(Object.create(CallbackWrapper.prototype) as object, {
            message: 1,
            sender: new AsyncSubject(),
          }) as never,
        ),
      ),
    ),
  },
  {
    weight: 1,
    arbitrary: tokenArb.map((t) =>
      recipeOf(`Shutdown(${t.label})`, (l) => SparkGenericModuleMessage.Shutdown(t.make(l)), {
        stopping: t.meta.token === true,
      }),
    ),
  },
  {
    weight: 1,
    arbitrary: anyValueArb.map((t) =>
      recipeOf(`Shutdown(${t.label})`, (l) => SparkGenericModuleMessage.Shutdown(t.make(l)), {
        stopping: t.meta.token === true,
      }),
    ),
  },
  { weight: 1, arbitrary: typeShifterArb },
  {
    weight: 1,
    arbitrary: trapProxyArb(fc.constantFrom('command' as const, 'request' as const, 'shutdown' as const)).map(
      (r) => recipeOf(r.label, r.make, { stopping: true }),
    ),
  },
  {
    weight: 1,
    arbitrary: getterBombArb(
      fc.subarray(['type', 'message', 'wrapper', 'token'] as ('type' | 'message' | 'wrapper' | 'token')[], {
        minLength: 1,
      }),
      fc.constantFrom('command' as const, 'shutdown' as const),
    ).map((r) => recipeOf(r.label, r.make, { stopping: true })),
  },
  { weight: 2, arbitrary: anyValueArb },
);

function rawSenderFor(l: Ledger, kind: Exclude<RawSender, 'subject'>): unknown {
  const subject = new AsyncSubject<unknown>();
  switch (kind) {
    case 'next-throws':
      subject.next = () => boom(l, 'error', 'sender.next');
      return subject;
    case 'complete-throws':
      subject.complete = () => boom(l, 'error', 'sender.complete');
      return subject;
    case 'completed-subject':
      subject.complete();
      return subject;
    case 'plain-observer':
      return { next: () => undefined, complete: () => undefined };
  }
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('request' as const),
      via: fc.constantFrom('request' as const, 'requestResult' as const, 'request$' as const),
      message: anyValueArb,
      options: requestOptionsArb,
      unsubscribe: fc.constantFrom<Unsubscribe>('never', 'never', 'sync', 'microtask', 'after-1ms'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('command' as const),
      via: fc.constantFrom('sendCommand' as const, 'trySendCommand' as const),
      message: anyValueArb,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('envelope' as const),
      via: fc.constantFrom('send' as const, 'trySend' as const),
      envelope: envelopeArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('shutdown' as const),
      token: fc.option(fc.oneof(tokenArb, anyValueArb), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'stop' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('drain' as const),
      deadline: fc.oneof(numberLikeArb, anyValueArb),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'probe' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('shared-signal' as const),
      via: fc.constantFrom('request' as const, 'requestResult' as const, 'request$' as const),
      message: anyValueArb,
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'abort-shared' as const }) },
);

interface Program {
  readonly setup: ModuleSetup;
  readonly extra: ProgramSetup;
  /** One signal several requests share; its addEventListener or constructor may throw once. */
  readonly shared: 'real' | 'addEventListener-throws-once' | 'constructor-throws-once';
  readonly script: Behaviour[];
  readonly ops: Op[];
}

const programArb: fc.Arbitrary<Program> = fc.record({
  setup: moduleSetupArb,
  extra: fc.record({
    clock: fc.constantFrom<ProgramSetup['clock']>(
      'default',
      'default',
      'default',
      'now-throws',
      'nan',
      'stuck',
      'never-runs',
    ),
    rateLimit: fc.option(
      fc.record({ limit: fc.integer({ min: 1, max: 2 }), intervalMs: fc.integer({ min: 1, max: 3 }) }),
      {
        nil: undefined,
        freq: 3,
      },
    ),
  }),
  shared: fc.constantFrom<Program['shared']>(
    'real',
    'addEventListener-throws-once',
    'constructor-throws-once',
  ),
  script: fc.array(
    fc.oneof({ weight: 12, arbitrary: behaviourArb }, { weight: 1, arbitrary: stoppingBehaviourArb }),
    { minLength: 1, maxLength: 4 },
  ),
  ops: fc.array(opArb, { minLength: 1, maxLength: 10 }),
});

/** Whether a Shutdown with this token would stop the server (it has a callable cancel()). */
const cancellable = (token: unknown): boolean =>
  safely(() => typeof (token as { cancel?: unknown } | null)?.cancel === 'function', false);

/** The programs' shared signal: real, or with an own addEventListener or constructor that throws once. */
function sharedSignal(
  l: Ledger,
  controller: AbortController,
  kind: Program['shared'],
): { signal: AbortSignal; abort: () => void } {
  const signal = controller.signal;
  let first = true;
  let aborting = false; // our own abort() reads the constructor too: it must work
  const abort = (): void => {
    aborting = true;
    try {
      controller.abort(thrownValue(l, 'error', 'shared abort reason'));
    } finally {
      aborting = false;
    }
  };
  const once = (where: string): void => {
    if (!first || aborting) return;
    first = false;
    boom(l, 'error', where);
  };
  if (kind === 'addEventListener-throws-once') {
    const original = signal.addEventListener.bind(signal);
    Object.defineProperty(signal, 'addEventListener', {
      value: (...args: Parameters<AbortSignal['addEventListener']>) => {
        once('shared signal addEventListener (first call)');
        original(...args);
      },
    });
  } else if (kind === 'constructor-throws-once') {
    Object.defineProperty(signal, 'constructor', {
      get: () => {
        once('shared signal constructor (first read)');
        return AbortSignal;
      },
      configurable: true,
    });
  }
  return { signal, abort };
}

async function program(input: Program): Promise<void> {
  let stopping = false; // a stop, a drain, a Shutdown, or a handler that stops its server
  const l = new Ledger();
  const run = new Run(l);
  let calls = 0;
  let blocking = 0; // handlers that keep their slot until the server stops
  const module = spawn(
    run,
    input.setup,
    (invocation) => {
      const behaviour = input.script[calls++ % input.script.length] as Behaviour;
      if (behaviour.stops) stopping = true;
      const kind = behaviour.outcome.kind;
      if (
        kind === 'hang-promise' ||
        kind === 'maybe-hang' ||
        (invocation.kind === 'command' && (kind.startsWith('hang') || behaviour.endless))
      )
        blocking++;
      if (invocation.kind === 'request' && (kind === 'hang-observable' || kind === 'hang-abortable'))
        blocking++; // unless its caller gives up
      return behaviour.run(l, invocation);
    },
    input.extra,
  );
  const { dispatcher, server } = module;
  const channel = dispatcher.sender;
  const controller = new AbortController();
  const { signal: shared, abort: abortShared } = sharedSignal(l, controller, input.shared);
  /** Requests on the shared signal, and whether each was sent before it aborted. */
  const onShared: { settled: () => boolean; what: string }[] = [];
  let sharedAborted = false;

  for (const [i, o] of input.ops.entries()) {
    const at = `op ${i} (${o.op})`;
    switch (o.op) {
      case 'request': {
        const message = o.message.make(l);
        const options = makeRequestOptions(l, o.options);
        if (o.via === 'request') {
          const t = run.promise(`${at} request`, () => dispatcher.request(message, options as object));
          void t;
        } else if (o.via === 'requestResult') {
          run.promise(
            `${at} requestResult`,
            () => dispatcher.requestResult(message, options as object),
            true,
          );
        } else {
          const s = run.subscribe(`${at} request$`, () => dispatcher.request$(message, options as object));
          const unsubscribe = (s as { unsubscribe?: () => void }).unsubscribe;
          if (o.unsubscribe !== 'never' && unsubscribe !== undefined) {
            if (o.unsubscribe === 'sync') unsubscribe();
            else if (o.unsubscribe === 'microtask') void Promise.resolve().then(unsubscribe);
            else l.later(1, unsubscribe);
          }
        }
        break;
      }
      case 'command': {
        const message = o.message.make(l);
        if (o.via === 'sendCommand') run.promise(`${at} sendCommand`, () => dispatcher.sendCommand(message));
        else run.sync(`${at} trySendCommand`, () => dispatcher.trySendCommand(message));
        break;
      }
      case 'envelope': {
        const envelope = o.envelope.make(l);
        if (o.envelope.meta.stopping === true) stopping = true;
        else if (
          o.envelope.label.startsWith('Shutdown(') &&
          cancellable((envelope as { token: unknown }).token)
        )
          stopping = true;
        if (o.via === 'send')
          run.promise(`${at} channel.send(${o.envelope.label})`, () => channel.send(envelope as never));
        else run.sync(`${at} channel.trySend(${o.envelope.label})`, () => channel.trySend(envelope as never));
        break;
      }
      case 'shutdown': {
        const token = o.token?.make(l);
        if (token === undefined || token === null || cancellable(token)) stopping = true; // null: the default token
        run.promise(`${at} dispatcher.shutdown(${o.token?.label ?? ''})`, () => dispatcher.shutdown(token));
        break;
      }
      case 'stop':
        stopping = true;
        run.never(`${at} server.stop()`, () => server.stop());
        break;
      case 'drain': {
        const deadline = o.deadline.make(l);
        if (typeof deadline === 'number' && deadline > 0) stopping = true;
        const t = run.promise(`${at} server.drain(${o.deadline.label})`, () =>
          server.drain(deadline as number),
        );
        if (t !== undefined && !(typeof deadline === 'number' && deadline > 0)) {
          await waitFor(() => t.outcome !== undefined, 20);
          if (t.outcome?.status === 'resolved' && server.isRunning)
            run.fail(`server.drain(${show(deadline)}) resolved`);
          if (t.outcome?.status === 'rejected' && !isInstance(t.outcome.error, RangeError)) {
            run.fail(
              `server.drain(${show(deadline)}) rejected with ${show(t.outcome.error)}, not a RangeError`,
            );
          }
        }
        break;
      }
      case 'tick':
        await (o.ms === 0 ? macrotask() : sleep(o.ms));
        break;
      case 'shared-signal': {
        const message = o.message.make(l);
        const what = `${at} ${o.via} on the shared signal`;
        if (o.via === 'request$') {
          const s = run.subscribe(what, () => dispatcher.request$(message, { signal: shared }));
          onShared.push({ what, settled: () => s.ended !== undefined || s.unsubscribed });
        } else {
          const t =
            o.via === 'request'
              ? run.promise(what, () => dispatcher.request(message, { signal: shared }))
              : run.promise(what, () => dispatcher.requestResult(message, { signal: shared }), true);
          onShared.push({ what, settled: () => t === undefined || t.outcome !== undefined });
        }
        break;
      }
      case 'abort-shared':
        sharedAborted = true;
        abortShared();
        break;
      case 'probe':
        if (!stopping && blocking < module.concurrency) {
          const t = run.promise(`${at} probe request`, () => dispatcher.request(OK));
          void t;
        }
        break;
    }
  }
  await macrotask();
  // A request whose signal aborted rejects with CANCELLED at once, however busy the module is.
  if (sharedAborted && !(await waitFor(() => onShared.every((r) => r.settled()), BOUND_MS))) {
    run.fail(
      `(b) requests on an aborted signal still pending after ${BOUND_MS} ms: ${onShared
        .filter((r) => !r.settled())
        .map((r) => r.what)
        .join('; ')}`,
    );
  }
  // Sends held back by the rate limit reach the module first (they may start handlers that block).
  const limit = input.extra.rateLimit;
  if (limit !== undefined && input.extra.clock === 'default')
    await sleep((Math.ceil(input.ops.length / limit.limit) + 1) * limit.intervalMs + 2);
  // Let what was sent start (a handler that blocks its slot for good is known once it started).
  await waitFor(() => {
    const stats = server.stats();
    return (
      blocking >= module.concurrency || !server.isRunning || (stats.queued === 0 && stats.running <= blocking)
    );
  }, BOUND_MS);
  // (c): nothing stopped the server, so it still answers (unless every slot is legitimately busy)
  if (!stopping && !server.isRunning) run.fail('(c) the server stopped although no op stopped it');
  // a rate limit on a clock that never moves on lets nothing more through: no probe then
  const throttled = input.extra.rateLimit !== undefined && input.extra.clock !== 'default';
  // a handler that stops its server may still be on its way (queued or rate-limited)
  const mayStop = input.script.some((b) => b.stops);
  if (!stopping && !mayStop && server.isRunning && blocking < module.concurrency && !throttled)
    await probeAnswers(run, module, 'after the program', () => blocking >= module.concurrency);
  for (const t of run.tracked) {
    if (t.outcome?.status === 'rejected') run.checkError(t.what, t.outcome.error);
  }
  for (const s of run.subscriptions) {
    if (s.ended?.status === 'rejected') run.checkError(s.what, s.ended.error);
  }
  await run.finish();
}

// ---------------------------------------------------------------------------------------------
// (P4) valid but extreme numbers: timers past 2**31 - 1 ms must not fire early

interface Extreme {
  readonly timeoutMs: number;
  readonly timeoutWhere: 'request' | 'dispatcher';
  readonly intervalMs: number;
  readonly limit: number;
  readonly deadlineMs: number;
  readonly concurrency: number;
  readonly capacity: number;
}

const HUGE = [
  2 ** 31 - 1,
  2 ** 31,
  2 ** 31 + 1,
  2 ** 32,
  1e10,
  Number.MAX_SAFE_INTEGER,
  2 ** 53,
  1e300,
  Number.MAX_VALUE,
];
const extremeArb: fc.Arbitrary<Extreme> = fc.record({
  timeoutMs: fc.oneof(
    fc.constantFrom(...HUGE, 1_000),
    fc.double({ min: 1_000, max: Number.MAX_VALUE, noNaN: true }),
  ),
  timeoutWhere: fc.constantFrom<'request' | 'dispatcher'>('request', 'dispatcher'),
  intervalMs: fc.oneof(
    fc.constantFrom(...HUGE, 1_000),
    fc.double({ min: 1_000, max: Number.MAX_VALUE, noNaN: true }),
  ),
  limit: fc.integer({ min: 1, max: 2 }),
  deadlineMs: fc.oneof(
    fc.constantFrom(...HUGE, 1_000),
    fc.double({ min: 1_000, max: Number.MAX_VALUE, noNaN: true }),
  ),
  concurrency: fc.constantFrom(1, 2 ** 31, Number.MAX_SAFE_INTEGER, 2 ** 53, 1e300, Number.MAX_VALUE),
  capacity: fc.constantFrom(1, 2 ** 31, Number.MAX_SAFE_INTEGER, 2 ** 53, 1e300, Number.MAX_VALUE),
});

async function extreme(input: Extreme): Promise<void> {
  const l = new Ledger();
  const run = new Run(l);
  const slow: SparkGenericModuleHandler<unknown, unknown, unknown> = {
    handleRequest: (m) => new Promise((resolve) => l.later(15, () => resolve(m))),
    handleCommand: () => undefined,
  };
  // A timeout far in the future does not fire after 15 ms.
  const a = spawnModule<unknown, unknown, unknown, unknown>(slow, {
    logger: noopLogger,
    concurrency: input.concurrency,
    capacity: input.capacity,
    ...(input.timeoutWhere === 'dispatcher' ? { timeoutMs: input.timeoutMs } : {}),
  });
  run.servers.push(a.server);
  const answer = run.promise(`request with timeoutMs ${input.timeoutMs} (${input.timeoutWhere})`, () =>
    a.dispatcher.request('x', input.timeoutWhere === 'request' ? { timeoutMs: input.timeoutMs } : undefined),
  );
  // A rate-limit window far in the future keeps the send past the limit waiting.
  const b = spawnModule<unknown, unknown, unknown, unknown>(okHandler(), {
    logger: noopLogger,
    rateLimit: { limit: input.limit, intervalMs: input.intervalMs },
  });
  run.servers.push(b.server);
  for (let i = 0; i < input.limit; i++)
    run.promise(`command ${i} within the rate limit`, () => b.dispatcher.sendCommand(i));
  const over = run.promise('command past the rate limit', () => b.dispatcher.sendCommand('over'));
  // A drain deadline far in the future lets a 15 ms request finish.
  const c = spawnModule<unknown, unknown, unknown, unknown>(slow, { logger: noopLogger });
  run.servers.push(c.server);
  const drained = run.promise('request before drain', () => c.dispatcher.request('y'));
  const report = run.promise(`drain(${input.deadlineMs})`, () => c.server.drain(input.deadlineMs));

  await waitFor(() => answer?.outcome !== undefined && report?.outcome !== undefined, 200);
  await sleep(5);
  const outcome = answer?.outcome;
  if (outcome === undefined || outcome.status !== 'resolved' || outcome.value !== 'x') {
    run.fail(
      `a request with timeoutMs ${input.timeoutMs} (${input.timeoutWhere}) to a 15 ms handler ended ${outcome === undefined ? 'pending' : showSettled(outcome)}`,
    );
  }
  if (over?.outcome !== undefined) {
    run.fail(
      `a send past a rate limit of ${input.limit} per ${input.intervalMs} ms went through after ~20 ms: ${showSettled(over.outcome)}`,
    );
  }
  const r = report?.outcome;
  const drainedValue = drained?.outcome;
  if (
    r === undefined ||
    r.status !== 'resolved' ||
    (r.value as { outcome?: unknown }).outcome !== 'drained'
  ) {
    run.fail(
      `drain(${input.deadlineMs}) with a 15 ms request ended ${r === undefined ? 'pending' : showSettled(r)}${r?.status === 'resolved' ? ` (outcome ${show((r.value as { outcome?: unknown }).outcome)})` : ''}`,
    );
  }
  if (drainedValue?.status !== 'resolved') {
    run.fail(
      `the request before drain(${input.deadlineMs}) ended ${drainedValue === undefined ? 'pending' : showSettled(drainedValue)}`,
    );
  }
  await run.finish();
}

// ---------------------------------------------------------------------------------------------

// A run that hangs (our waits are all bounded, so only a bug can make one) fails after 10 s.
const params = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, timeout: 10_000 });

describe('fuzz of the public surface with hostile values', () => {
  it('(P1) constructors: only documented errors; what they accept works; a refusal leaves the channel unharmed', async () => {
    await fc.assert(
      fc.asyncProperty(constructArb, async (c) => {
        const run = new Run(new Ledger());
        await construct(c, run);
        // a dispatcher's own timers (timeouts of 1 ms and up) fire within this run, not the next
        if ((c.kind === 'dispatcher' || c.kind === 'spawn') && c.options !== undefined) await sleep(2);
        await run.finish();
      }),
      params(runsOf(1_200)) as fc.Parameters<[Construct]>,
    );
  }, 120_000);

  it('(P2) one hostile message through one entry point: exact outcomes, settles, server survives, nothing escapes', async () => {
    await fc.assert(fc.asyncProperty(singleArb, single), params(runsOf(2_000)) as fc.Parameters<[Single]>);
  }, 180_000);

  it('(P3) hostile programs with stops, drains and shutdowns: no sync throws, everything settles, nothing escapes', async () => {
    await fc.assert(fc.asyncProperty(programArb, program), params(runsOf(1_500)) as fc.Parameters<[Program]>);
  }, 180_000);

  it('(P4) extreme but valid timeouts, rate-limit windows, drain deadlines, capacities and concurrency', async () => {
    await fc.assert(fc.asyncProperty(extremeArb, extreme), params(runsOf(150)) as fc.Parameters<[Extreme]>);
  }, 120_000);
});

// Referenced so a reader sees every hostile family in one place.
void [hostileValueArb, thrownValue, NUMBER_EDGES];
