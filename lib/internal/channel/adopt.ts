// A raw envelope from `send`/`trySend`, read once into one of the library's own.
import { CallbackWrapper } from '../../callback-wrapper.js';
import { SparkGenericModuleMessage } from '../../module-message.js';
import type { Result } from '../../result.js';
import { checkSignal } from '../signal/abort-fanout.js';
import { describe } from '../validate.js';

type AnyMessage = SparkGenericModuleMessage<unknown, unknown, unknown, unknown>;

/**
 * Reads a raw envelope once and returns one of the library's own with what it read, or the
 * TypeError saying what is wrong. Everything in it is foreign: a getter may throw, or answer
 * differently the second time, so nothing of the original is looked at again.
 */
export function adopt(message: unknown): AnyMessage | TypeError {
  try {
    if (typeof message === 'object' && message !== null) {
      const m = message as Partial<Record<'type' | 'message' | 'wrapper' | 'token', unknown>>;
      switch (m.type) {
        case 'Command':
          return SparkGenericModuleMessage.Command(m.message);
        case 'Request':
          return adoptRequest(m.wrapper);
        case 'Shutdown': {
          const token = m.token;
          if (typeof (token as { cancel?: unknown } | null)?.cancel === 'function') {
            return SparkGenericModuleMessage.Shutdown(token);
          }
          return new TypeError(
            `Expected \`message.token\` to have a cancel() method, got ${describe(token)}`,
          );
        }
      }
    }
    return new TypeError(
      `Expected \`message\` to be a SparkGenericModuleMessage (Request, Command or Shutdown), got ${describe(message)}`,
    );
  } catch (error: unknown) {
    return new TypeError('Expected `message` to be a SparkGenericModuleMessage, but reading it threw', {
      cause: error,
    });
  }
}

function adoptRequest(wrapper: unknown): AnyMessage | TypeError {
  if (!(wrapper instanceof CallbackWrapper)) {
    return new TypeError(
      `Expected \`message.wrapper\` to be a CallbackWrapper with an AsyncSubject sender, got ${describe(wrapper)}`,
    );
  }
  const w = wrapper as CallbackWrapper<unknown, Result<unknown, unknown>>;
  const sender = w.sender;
  if (!isSender(sender)) {
    return new TypeError(
      `Expected \`message.wrapper.sender\` to be an AsyncSubject (next() and complete()), got ${describe(sender)}`,
    );
  }
  const signal = w.signal;
  if (signal !== undefined) {
    try {
      checkSignal('message.wrapper.signal', signal);
    } catch (error: unknown) {
      return error as TypeError;
    }
  }
  return SparkGenericModuleMessage.Request(new CallbackWrapper(w.message, sender, signal));
}

function isSender(sender: unknown): sender is CallbackWrapper<unknown, Result<unknown, unknown>>['sender'] {
  const s = sender as { next?: unknown; complete?: unknown } | null | undefined;
  return typeof s?.next === 'function' && typeof s.complete === 'function';
}
