// Hostile values and an escape watcher shared by spec/nats/hostile.spec.ts and fuzz.spec.ts.

export { type Escapes, watchEscapes } from '../support/escapes.js';

export function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** A Proxy whose every trap throws: reading, testing or listing anything of it throws. */
export function trapAllProxy(): object {
  const boom = (): never => {
    throw new Error('trap');
  };
  return new Proxy({}, new Proxy({}, { get: () => boom }));
}

/** An object whose `toString` (and `valueOf`) throw, so `String(value)` throws. */
export function throwingToString(): object {
  return {
    toString() {
      throw new Error('toString');
    },
    valueOf() {
      throw new Error('valueOf');
    },
  };
}

/** An Error whose `name` and `message` are getters that throw. */
export function errorWithThrowingNameAndMessage(): Error {
  const error = new Error('hidden');
  const boom = (): never => {
    throw new Error('getter');
  };
  Object.defineProperty(error, 'name', { get: boom });
  Object.defineProperty(error, 'message', { get: boom });
  return error;
}

/** An Error with an own enumerable getter that throws. */
export function errorWithThrowingGetter(): Error {
  const error = new Error('has a getter');
  Object.defineProperty(error, 'detail', {
    enumerable: true,
    get() {
      throw Object.create(null);
    },
  });
  return error;
}

export function cyclic(): Record<string, unknown> {
  const value: Record<string, unknown> = { name: 'loop' };
  value['self'] = value;
  return value;
}
