type Primitive = string | number | boolean | bigint | symbol | null | undefined;
type Atomic = Primitive | Date | RegExp | ReadonlyMap<unknown, unknown> | ReadonlySet<unknown>;

/**
 * A message with every property optional, recursively: what a partial pattern may list. Arrays
 * keep their length (each item a partial pattern in turn); dates, regular expressions, maps, sets
 * and primitives are compared whole.
 *
 * @example
 * type Msg = { type: 'GetUser'; id: number } | { type: 'LogEvent'; event: string };
 * const pattern: PartialMessage<Msg> = { type: 'GetUser' };
 */
export type PartialMessage<T> = T extends Atomic | ((...args: never[]) => unknown)
  ? T
  : T extends readonly unknown[]
    ? { readonly [K in keyof T]: PartialMessage<T[K]> }
    : { readonly [K in keyof T]?: PartialMessage<T[K]> };

/**
 * What the probe's `expect*` methods and `replyToRequests` match a message against: a predicate,
 * or a partial message matched deeply, as jest's `toMatchObject` does (asymmetric matchers such
 * as `expect.any(Number)` work inside it).
 *
 * @example
 * const byType: ProbePattern<Msg> = { type: 'GetUser' };
 * const byPredicate: ProbePattern<Msg> = (m) => m.type === 'GetUser' && m.id > 0;
 */
export type ProbePattern<M> = ((message: M) => boolean) | PartialMessage<M>;

/**
 * The members of the message union `M` that the partial pattern `P` can match (all of `M` when it
 * cannot tell): `MatchedBy<Msg, { type: 'GetUser' }>` is the `GetUser` member, so what an
 * `expect*` call returns is typed by its pattern.
 *
 * @example
 * type GetUser = MatchedBy<Msg, { type: 'GetUser' }>; // { type: 'GetUser'; id: number }
 */
export type MatchedBy<M, P> = [Narrow<M, P>] extends [never] ? M : Narrow<M, P>;

type Narrow<M, P> = M extends unknown
  ? P extends PartialMessage<M>
    ? Exclude<keyof P, keyof M> extends never
      ? M
      : never
    : never
  : never;

/** Members of `M` that agree with `P` on the keys they share. */
type Candidates<M, P> = M extends unknown
  ? Pick<P, keyof P & keyof M> extends PartialMessage<M>
    ? M
    : never
  : never;

type KeysOf<T> = T extends unknown ? keyof T : never;

/**
 * Refuses, at compile time, a pattern key that no message it could match has: in
 * `{ type: 'GetUser', event: 'x' }` the key `event` becomes `never`.
 */
export type NoExcessKeys<M, P> = unknown extends M
  ? unknown
  : P extends Primitive
    ? unknown
    : [Candidates<M, P>] extends [never]
      ? unknown
      : ExcessKeys<P, Exclude<keyof P, KeysOf<Candidates<M, P>>>>;

// `unknown` rather than `{}` when there is none: `P & {}` would dodge TypeScript's weak-type check.
type ExcessKeys<P, K extends keyof P> = [K] extends [never] ? unknown : { readonly [Key in K]: never };
