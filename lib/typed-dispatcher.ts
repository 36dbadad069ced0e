import type { Observable } from 'rxjs';

import type { SparkChannelCancellationToken } from './cancellation-token.js';
import { type RequestOptions, SparkGenericModuleDispatcher } from './dispatcher.js';
import { describe } from './internal/validate.js';
import type {
  CommandOf,
  MessageOf,
  ModuleDefinition,
  RequestOf,
  RequestType,
  ResponseOf,
} from './module-definition.js';
import type { Result } from './result.js';
import type { SparkChannelError } from './spark-channel-error.js';

/**
 * A dispatcher typed by a {@link ModuleDefinition}: `request` only takes request types and
 * resolves with that type's response, with no guard; `sendCommand` only takes command types.
 * A thin wrapper: every method is one call to the {@link SparkGenericModuleDispatcher} it wraps
 * (`raw`), with the same run-time behaviour and failures.
 *
 * @example
 * const { dispatcher } = spawnTypedModule(router); // TypedDispatcher<Api>
 * const data = await dispatcher.request({ type: 'GetData', key: 'user123' }); // number[]
 * await dispatcher.sendCommand({ type: 'LogEvent', event: 'User logged in' });
 * // dispatcher.request({ type: 'LogEvent', event: 'x' }); // does not compile: a command type
 */
export class TypedDispatcher<D extends ModuleDefinition<D>, C = SparkChannelCancellationToken, E = Error> {
  /** The untyped dispatcher underneath, for APIs that take one (`requestVia`, `commandVia`). */
  readonly raw: SparkGenericModuleDispatcher<MessageOf<D>, ResponseOf<D>, C, E>;

  /**
   * @throws TypeError naming `dispatcher` when it is not a SparkGenericModuleDispatcher.
   *
   * @example
   * const channel = new ModuleChannel<MessageOf<Api>, ResponseOf<Api>>(32);
   * runModuleServer(createRouter<Api>(routes), channel);
   * const dispatcher = new TypedDispatcher<Api>(new SparkGenericModuleDispatcher(channel));
   */
  constructor(dispatcher: SparkGenericModuleDispatcher<MessageOf<D>, ResponseOf<D>, C, E>) {
    if (!(dispatcher instanceof SparkGenericModuleDispatcher)) {
      throw new TypeError(
        `Expected \`dispatcher\` to be a SparkGenericModuleDispatcher, got ${describe(dispatcher)}`,
      );
    }
    this.raw = dispatcher;
  }

  /**
   * Sends a request and resolves with its response, typed by the message's `type`. Fails as
   * {@link SparkGenericModuleDispatcher.request} does: the handler's own error, `TIMEOUT`,
   * `CANCELLED`, `INVALID_RESPONSE_TYPE` (a `guard` refused), `SEND_FAILED`, `RECEIVE_FAILED`.
   *
   * @example
   * const data = await dispatcher.request({ type: 'GetData', key: 'user123' }, { timeoutMs: 500 });
   */
  request<K extends RequestType<D>, T extends ResponseOf<D, K> = ResponseOf<D, K>>(
    message: RequestOf<D, K> & { type: K },
    options?: RequestOptions<ResponseOf<D, K>, T>,
  ): Promise<T> {
    return this.raw.request(message, options);
  }

  /**
   * The cold twin of {@link request}: sends on subscribe; unsubscribing withdraws the request (a
   * queued one never starts, a running one sees `context.signal` abort).
   *
   * @example
   * key$.pipe(switchMap((key) => dispatcher.request$({ type: 'GetData', key }))).subscribe(render);
   */
  request$<K extends RequestType<D>, T extends ResponseOf<D, K> = ResponseOf<D, K>>(
    message: RequestOf<D, K> & { type: K },
    options?: RequestOptions<ResponseOf<D, K>, T>,
  ): Observable<T> {
    return this.raw.request$(message, options);
  }

  /**
   * As {@link request}, but never rejects: resolves with `{ ok: true, value }` or
   * `{ ok: false, error }`.
   *
   * @example
   * const r = await dispatcher.requestResult({ type: 'GetData', key: 'user123' });
   * if (r.ok) render(r.value); else showError(r.error);
   */
  requestResult<K extends RequestType<D>, T extends ResponseOf<D, K> = ResponseOf<D, K>>(
    message: RequestOf<D, K> & { type: K },
    options?: RequestOptions<ResponseOf<D, K>, T>,
  ): Promise<Result<T, E | SparkChannelError>> {
    return this.raw.requestResult(message, options);
  }

  /**
   * Sends a command; resolves once the channel has accepted it. Rejects with `SEND_FAILED` when
   * the channel is closed. The handler's outcome never comes back here (see `errors$`).
   *
   * @example
   * await dispatcher.sendCommand({ type: 'LogEvent', event: 'User logged in' });
   */
  sendCommand(message: CommandOf<D>): Promise<void> {
    return this.raw.sendCommand(message);
  }

  /**
   * Sends a command now or throws `SEND_FAILED`, `CHANNEL_FULL` or `RATE_LIMITED` at once.
   *
   * @example
   * try { dispatcher.trySendCommand({ type: 'LogEvent', event }); } catch { dropped++; }
   */
  trySendCommand(message: CommandOf<D>): void {
    this.raw.trySendCommand(message);
  }

  /**
   * Sends Shutdown and resolves once the server has stopped; everything sent before it is
   * handled first. See {@link SparkGenericModuleDispatcher.shutdown}.
   *
   * @example
   * await dispatcher.shutdown();
   */
  shutdown(token?: C): Promise<void> {
    return this.raw.shutdown(token);
  }
}
