import type { Observable } from 'rxjs';

import type { HandlerContext, SparkGenericModuleHandler } from './handler.js';
import { describe } from './internal/validate.js';
import { NoRouteError } from './no-route-error.js';
import type {
  CommandDefinition,
  CommandOf,
  CommandType,
  MessageOf,
  ModuleDefinition,
  RequestDefinition,
  RequestOf,
  RequestType,
  ResponseOf,
} from './module-definition.js';

/**
 * Answers one request type: may return the response, a promise of it, or an observable whose
 * first value is it. Throwing, rejecting or erroring fails that request only.
 *
 * @example
 * const getData: RequestRouteHandler<{ type: 'GetData'; key: string }, number[]> = ({ key }, { signal }) =>
 *   fetch(`/data/${key}`, { signal }).then((response) => response.json() as Promise<number[]>);
 */
export type RequestRouteHandler<Msg, R> = (
  message: Msg,
  context: HandlerContext,
) => R | Promise<R> | Observable<R>;

/**
 * Handles one command type: may return nothing, a promise, or an observable run to completion.
 * Its failures go to the server's `errors$` and logger, never to the sender.
 *
 * @example
 * const logEvent: CommandRouteHandler<{ type: 'LogEvent'; event: string }> = ({ event }) => {
 *   console.log(`Event logged: ${event}`);
 * };
 */
export type CommandRouteHandler<Msg> = (
  message: Msg,
  context: HandlerContext,
) => void | Promise<void> | Observable<unknown>;

/**
 * The route of one message type: `request` when the type may be sent as a request, `command`
 * when it may be sent as a command, or both.
 *
 * @example
 * const route: Route<{ type: 'GetData'; key: string }, number[]> = {
 *   request: ({ key }, { signal }) => fetchData(key, signal),
 * };
 */
export type Route<Msg, R> =
  | { readonly request: RequestRouteHandler<Msg, R>; readonly command?: CommandRouteHandler<Msg> }
  | { readonly request?: RequestRouteHandler<Msg, R>; readonly command: CommandRouteHandler<Msg> };

/**
 * The routes of {@link createRouter} for a message union `M` answered with `R`: one route for
 * every `type` of `M`, each receiving its own narrowed message.
 *
 * @example
 * const routes: Routes<MyMessage, MyResponse> = {
 *   GetData: { request: (msg) => ({ type: 'Data', data: store.get(msg.key) ?? [] }) },
 *   LogEvent: { command: (msg) => console.log(msg.event) },
 * };
 */
export type Routes<M extends { type: string }, R> = {
  readonly [K in M['type']]: Route<Extract<M, { type: K }>, R>;
};

/**
 * The routes of {@link createRouter} for a {@link ModuleDefinition} `D`: one route for every
 * type of `D`, with a `request` handler for request types (answering that type's response) and a
 * `command` handler for command types.
 *
 * @example
 * const routes: DefinitionRoutes<Api> = {
 *   GetData: { request: ({ key }) => store.get(key) ?? [] },
 *   LogEvent: { command: ({ event }) => console.log(event) },
 * };
 */
export type DefinitionRoutes<D> = {
  readonly [K in keyof D]: (D[K] extends RequestDefinition
    ? {
        readonly request: RequestRouteHandler<
          RequestOf<D, Extract<K, RequestType<D>>>,
          ResponseOf<D, Extract<K, RequestType<D>>>
        >;
      }
    : { readonly request?: never }) &
    (D[K] extends CommandDefinition
      ? { readonly command: CommandRouteHandler<CommandOf<D, Extract<K, CommandType<D>>>> }
      : { readonly command?: never });
};

declare const definition: unique symbol;

/**
 * A handler built by `createRouter<D>()`: a {@link SparkGenericModuleHandler} for the messages of
 * `D` that remembers `D`, so `spawnTypedModule(router)` hands back a `TypedDispatcher<D>`.
 *
 * @example
 * const router: TypedRouter<Api> = createRouter<Api>(routes);
 * const { dispatcher } = spawnTypedModule(router);
 */
export interface TypedRouter<D, E = Error> extends SparkGenericModuleHandler<MessageOf<D>, ResponseOf<D>, E> {
  /** Compile time only: the definition this router implements. */
  readonly [definition]?: D;
}

type RouteMethod = (message: unknown, context: HandlerContext) => unknown;

interface RouteEntry {
  readonly request: RouteMethod | undefined;
  readonly command: RouteMethod | undefined;
}

/**
 * Builds one handler from one route per message `type`, for a {@link ModuleDefinition} `D`: every
 * type of `D` must have its route, or the call does not compile; each route gets its narrowed
 * message; the result carries `D` for `spawnTypedModule`.
 *
 * At run time a message is handled by its route (called as a method of it, with the handler
 * context). A message whose `type` has no route fails that message only: a request rejects with
 * an `Error` naming the type, a command's failure goes to `errors$`. So does a request whose type
 * has only a `command` route, and the other way round, and a message with no string `type`.
 *
 * @throws TypeError naming `routes` or the bad route when they are not objects with functions.
 *
 * @example
 * type Api = {
 *   GetData: { request: { key: string }; response: number[] };
 *   LogEvent: { command: { event: string } };
 * };
 * const store = new Map<string, number[]>([['user123', [1, 2, 3]]]);
 * const router = createRouter<Api>({
 *   GetData: { request: ({ key }) => store.get(key) ?? [] },
 *   LogEvent: { command: ({ event }) => console.log(event) },
 * });
 * const { dispatcher } = spawnTypedModule(router);
 * const data = await dispatcher.request({ type: 'GetData', key: 'user123' }); // number[]
 */
export function createRouter<D extends ModuleDefinition<D>, E = Error>(
  routes: DefinitionRoutes<D>,
): TypedRouter<D, E>;
/**
 * Builds one handler from one route per message `type`, for a message union `M` answered with
 * `R` (the API.md form): every `type` of `M` must have a route, or the call does not compile.
 * Run-time behaviour as above.
 *
 * @example
 * const handler = createRouter<MyMessage, MyResponse>({
 *   GetData: { request: ({ key }) => ({ type: 'Data', data: store.get(key) ?? [] }) },
 *   UpdateData: { request: ({ key, value }) => ({ type: 'Success', success: update(key, value) }) },
 *   LogEvent: { command: ({ event }) => console.log(event) },
 * });
 * const { dispatcher } = spawnModule(handler);
 */
export function createRouter<M extends { type: string }, R, E = Error>(
  routes: Routes<M, R>,
): SparkGenericModuleHandler<M, R, E>;
export function createRouter(routes: object): SparkGenericModuleHandler<unknown, unknown, unknown> {
  return new Router(toTable(routes));
}

class Router implements SparkGenericModuleHandler<unknown, unknown, unknown> {
  readonly #routes: ReadonlyMap<string, RouteEntry>;

  constructor(routes: ReadonlyMap<string, RouteEntry>) {
    this.#routes = routes;
  }

  handleRequest(request: unknown, context: HandlerContext): unknown {
    const route = this.#route(request, 'request');
    if (route.request === undefined) {
      throw new Error(
        `Message type ${quote(request)} is a command, not a request: send it with sendCommand, or give its route a \`request\` handler`,
      );
    }
    return route.request(request, context);
  }

  handleCommand(command: unknown, context: HandlerContext): void | Promise<void> | Observable<unknown> {
    const route = this.#route(command, 'command');
    if (route.command === undefined) {
      throw new Error(
        `Message type ${quote(command)} is a request, not a command: send it with request, or give its route a \`command\` handler`,
      );
    }
    return route.command(command, context) as void | Promise<void> | Observable<unknown>;
  }

  #known(): string {
    const types = [...this.#routes.keys()];
    const shown = types.slice(0, 10).map((type) => JSON.stringify(type));
    if (types.length > shown.length) shown.push(`and ${types.length - shown.length} more`);
    return shown.join(', ') || 'no types';
  }

  #route(message: unknown, kind: 'request' | 'command'): RouteEntry {
    const type = typeOf(message);
    if (type === undefined) {
      throw new TypeError(
        `Expected a ${kind} message with a string \`type\`, got ${describeMessage(message)}`,
      );
    }
    const route = this.#routes.get(type);
    if (route === undefined) {
      throw new NoRouteError(type, this.#known());
    }
    return route;
  }
}

/** Checks the routes once, up front, and copies them so later changes to the object do not leak in. */
function toTable(routes: unknown): ReadonlyMap<string, RouteEntry> {
  if (typeof routes !== 'object' || routes === null) {
    throw new TypeError(
      `Expected \`routes\` to be an object of routes by message type, got ${describe(routes)}`,
    );
  }
  const table = new Map<string, RouteEntry>();
  for (const [type, route] of Object.entries(routes)) {
    const name = `routes[${JSON.stringify(type)}]`;
    if (typeof route !== 'object' || route === null) {
      throw new TypeError(
        `Expected \`${name}\` to be an object with a request or command handler, got ${describe(route)}`,
      );
    }
    const { request, command } = route as Record<string, unknown>;
    for (const [key, handler] of [
      ['request', request],
      ['command', command],
    ] as const) {
      if (handler !== undefined && typeof handler !== 'function') {
        throw new TypeError(`Expected \`${name}.${key}\` to be a function, got ${describe(handler)}`);
      }
    }
    if (request === undefined && command === undefined) {
      throw new TypeError(`Expected \`${name}\` to have a request or a command handler, got neither`);
    }
    // Bound now, so replacing a route's functions later changes nothing; called as methods of it.
    table.set(type, {
      request: typeof request === 'function' ? (request as RouteMethod).bind(route) : undefined,
      command: typeof command === 'function' ? (command as RouteMethod).bind(route) : undefined,
    });
  }
  return table;
}

function typeOf(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { type } = message as { type?: unknown };
  return typeof type === 'string' ? type : undefined;
}

function quote(message: unknown): string {
  return JSON.stringify(typeOf(message));
}

function describeMessage(message: unknown): string {
  if (typeof message !== 'object' || message === null) return describe(message);
  return `a message whose \`type\` is ${describe((message as { type?: unknown }).type)}`;
}
