/**
 * A request type of a {@link ModuleDefinition}: the message's fields besides `type`, and what the
 * handler answers with.
 *
 * @example
 * type GetData = RequestDefinition<{ key: string }, number[]>;
 * // same as { request: { key: string }; response: number[] }
 */
export interface RequestDefinition<P extends object = object, R = unknown> {
  /** The message's fields besides `type`; `object` for none. */
  readonly request: P;
  /** What the handler answers with. */
  readonly response: R;
}

/**
 * A command type of a {@link ModuleDefinition}: the message's fields besides `type`.
 *
 * @example
 * type LogEvent = CommandDefinition<{ event: string }>;
 * // same as { command: { event: string } }
 */
export interface CommandDefinition<P extends object = object> {
  /** The message's fields besides `type`; `object` for none. */
  readonly command: P;
}

/**
 * The constraint on a module's type-level definition: one entry per message `type`, each a
 * request (`{ request; response }`), a command (`{ command }`), or both. Written as an object
 * type or an interface; it exists only at compile time.
 *
 * @example
 * type Api = {
 *   GetData: { request: { key: string }; response: number[] };
 *   UpdateData: { request: { key: string; value: number }; response: boolean };
 *   LogEvent: { command: { event: string } };
 * };
 * const router = createRouter<Api>(routes); // one route per type, or it does not compile
 * const { dispatcher } = spawnTypedModule(router);
 * const data = await dispatcher.request({ type: 'GetData', key: 'user123' }); // number[]
 */
export type ModuleDefinition<D> = { readonly [K in keyof D]: RequestDefinition | CommandDefinition };

/**
 * The message `type`s of `D` that may be sent as requests.
 *
 * @example
 * type T = RequestType<Api>; // 'GetData' | 'UpdateData'
 */
export type RequestType<D> = {
  [K in keyof D]: D[K] extends RequestDefinition ? K : never;
}[keyof D] &
  string;

/**
 * The message `type`s of `D` that may be sent as commands.
 *
 * @example
 * type T = CommandType<Api>; // 'LogEvent'
 */
export type CommandType<D> = {
  [K in keyof D]: D[K] extends CommandDefinition ? K : never;
}[keyof D] &
  string;

/** Flattens an intersection for readable hovers and error messages. */
type Flat<T> = { [P in keyof T]: T[P] } & {};

/**
 * The request message of type `K` (every request type of `D` when `K` is omitted): `{ type: K }`
 * and that type's fields. A union of `K`s gives a union of messages, each with its own fields.
 *
 * @example
 * const msg: RequestOf<Api, 'GetData'> = { type: 'GetData', key: 'user123' };
 */
export type RequestOf<D, K extends RequestType<D> = RequestType<D>> = K extends unknown
  ? Flat<{ type: K } & (D[K] extends RequestDefinition<infer P> ? P : never)>
  : never;

/**
 * The command message of type `K` (every command type of `D` when `K` is omitted).
 *
 * @example
 * const msg: CommandOf<Api, 'LogEvent'> = { type: 'LogEvent', event: 'User logged in' };
 */
export type CommandOf<D, K extends CommandType<D> = CommandType<D>> = K extends unknown
  ? Flat<{ type: K } & (D[K] extends CommandDefinition<infer P> ? P : never)>
  : never;

/**
 * What a request of type `K` is answered with (every response of `D` when `K` is omitted).
 *
 * @example
 * type T = ResponseOf<Api, 'GetData'>; // number[]
 */
export type ResponseOf<D, K extends RequestType<D> = RequestType<D>> = K extends unknown
  ? D[K] extends RequestDefinition<object, infer R>
    ? R
    : never
  : never;

/**
 * Every message of `D`, request and command alike: the `M` of the module's channel, handler and
 * server.
 *
 * @example
 * const channel = new ModuleChannel<MessageOf<Api>, ResponseOf<Api>>(32);
 * server.errors$.subscribe(({ message }) => console.warn(`${message.type} failed`)); // message: MessageOf<Api>
 */
export type MessageOf<D> = RequestOf<D> | CommandOf<D>;
