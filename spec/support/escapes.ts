// Watches the real process for what escapes a test: unhandled rejections and uncaught exceptions.

/**
 * The real `process`. Jest hands each test file a copy of it whose `on()` feeds a separate
 * emitter, so listeners added through `process` never hear an unhandled rejection or an uncaught
 * exception. `Buffer` comes from the outer realm: its `Function` evaluates in that realm's global.
 */
const realProcess = (Buffer.from.constructor as FunctionConstructor)('return process')() as NodeJS.Process;

/** What escaped while watching: unhandled rejections and uncaught exceptions of the real process. */
export interface Escapes {
  readonly seen: { kind: 'unhandledRejection' | 'uncaughtException'; reason: unknown }[];
  stop(): void;
}

export function watchEscapes(): Escapes {
  const seen: Escapes['seen'] = [];
  const onRejection = (reason: unknown): void => {
    seen.push({ kind: 'unhandledRejection', reason });
  };
  const onException = (reason: unknown): void => {
    seen.push({ kind: 'uncaughtException', reason });
  };
  realProcess.on('unhandledRejection', onRejection);
  realProcess.on('uncaughtException', onException);
  return {
    seen,
    stop: () => {
      realProcess.off('unhandledRejection', onRejection);
      realProcess.off('uncaughtException', onException);
    },
  };
}
