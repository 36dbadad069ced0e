// The server's arguments, checked and read once (not per message).
import type { SchedulerLike } from 'rxjs';

import { isCancellationToken, type SparkChannelCancellationToken } from '../../cancellation-token.js';
import { isModuleChannel } from '../../module-channel.js';
import type { ModuleInstrumentation } from '../../module-instrumentation.js';
import type { ModuleServerLogger, ModuleServerOptions } from '../../module-server-types.js';
import { checkSignal } from '../signal/abort-fanout.js';
import { checkOptions, checkPositiveInteger, checkScheduler, describe, readable } from '../validate.js';
import { kFailed, type Supervised } from './brands.js';

/** What the server keeps of its arguments. */
export interface ServerArguments<M> {
  readonly logger: ModuleServerLogger;
  readonly token: SparkChannelCancellationToken | undefined;
  readonly signal: AbortSignal | undefined;
  readonly key: ((message: M) => unknown) | undefined;
  readonly concurrency: number;
  readonly scheduler: SchedulerLike | undefined;
  readonly instrument: ModuleInstrumentation<M> | undefined;
  readonly supervisor: Supervised | undefined;
}

/** The server's arguments, each read once: any of them may be a Proxy or have throwing getters. */
export function readArguments<M>(
  handler: unknown,
  channel: unknown,
  options: ModuleServerOptions<M> | undefined,
): ServerArguments<M> {
  readable('handler', () => checkHandler(handler));
  if (!isModuleChannel(channel)) {
    throw new TypeError(`Expected \`channel\` to be a ModuleChannel, got ${describe(channel)}`);
  }
  checkOptions('options', options);
  // Read once, through getters and prototypes as destructuring does, then never again.
  const {
    logger = console,
    token,
    signal,
    concurrency = 1,
    key,
    scheduler,
    instrument,
  } = readable('options', (): ModuleServerOptions<M> => {
    const { logger, token, signal, concurrency, key, scheduler, instrument } = options ?? {};
    return { logger, token, signal, concurrency, key, scheduler, instrument } as ModuleServerOptions<M>;
  });
  if (key !== undefined && typeof key !== 'function') {
    throw new TypeError(`Expected \`key\` to be a function, got ${describe(key)}`);
  }
  if (readable('logger', () => typeof (logger as Partial<ModuleServerLogger> | null)?.error !== 'function')) {
    throw new TypeError(`Expected \`logger\` to have an error() method, got ${describe(logger)}`);
  }
  if (token !== undefined && !isCancellationToken(token)) {
    throw new TypeError(`Expected \`token\` to be a SparkChannelCancellationToken, got ${describe(token)}`);
  }
  if (signal !== undefined) checkSignal('signal', signal); // a real AbortSignal, read natively
  const supervised = readable(
    'handler',
    () => typeof (handler as Partial<Supervised>)[kFailed] === 'function',
  );
  return {
    logger,
    token,
    signal,
    key,
    concurrency: checkPositiveInteger('concurrency', concurrency),
    scheduler: scheduler === undefined ? undefined : readable('scheduler', () => checkScheduler(scheduler)),
    instrument:
      instrument === undefined ? undefined : readable('instrument', () => snapshotInstrument(instrument)),
    supervisor: supervised ? (handler as Supervised) : undefined,
  };
}

/**
 * The hooks of `instrument`, read once: a getter read per message could throw in the loop. Each
 * is still called on the instrument itself.
 */
function snapshotInstrument<M>(instrument: ModuleInstrumentation<M>): ModuleInstrumentation<M> {
  if (typeof instrument !== 'object' || instrument === null) {
    throw new TypeError(`Expected \`instrument\` to be an object of hooks, got ${describe(instrument)}`);
  }
  const snapshot: Record<string, unknown> = {};
  for (const hook of ['sent', 'run', 'settled'] as const) {
    const value = (instrument as Record<string, unknown>)[hook];
    if (value === undefined) continue;
    if (typeof value !== 'function') {
      throw new TypeError(`Expected \`instrument.${hook}\` to be a function, got ${describe(value)}`);
    }
    snapshot[hook] = (...args: unknown[]): unknown => Reflect.apply(value, instrument, args) as unknown;
  }
  return snapshot;
}

function checkHandler(handler: unknown): void {
  if (typeof handler !== 'object' || handler === null) {
    throw new TypeError(
      `Expected \`handler\` to be an object with handleRequest and handleCommand, got ${describe(handler)}`,
    );
  }
  for (const method of ['handleRequest', 'handleCommand'] as const) {
    if (typeof (handler as Record<string, unknown>)[method] !== 'function') {
      throw new TypeError(
        `Expected \`handler.${method}\` to be a function, got ${describe((handler as Record<string, unknown>)[method])}`,
      );
    }
  }
}
