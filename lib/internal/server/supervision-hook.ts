// A supervised handler failed: rebuild it, or give up and stop, as its policy says. Set only for
// a handler that carries kFailed (see supervise.ts); other servers never look.
import { kFailed, type Supervised } from './brands.js';
import type { Job } from './job.js';
import type { Lifecycle } from './lifecycle.js';
import type { ServerHooks } from './server-hooks.js';

type Log = (level: 'error' | 'warn', ...args: unknown[]) => void;
type Halt = (reason: string, cause: unknown, deadReason: 'policy') => void;

export class SupervisionHook implements ServerHooks {
  constructor(
    readonly supervised: Supervised,
    readonly lifecycle: Lifecycle,
    readonly log: Log,
    readonly halt: Halt,
  ) {}

  failed(job: Job, error: unknown): void {
    const lifecycle = this.lifecycle;
    const decision = this.supervised[kFailed](error, job.message, lifecycle.now());
    if (decision.action === 'ignore') return;
    if (decision.action === 'restarted') {
      this.log(
        'warn',
        `spark-channel: handler rebuilt after a fatal failure (restart ${decision.restarts}):`,
        error,
      );
      lifecycle.emit({ type: 'restarted', at: lifecycle.now(), error, restarts: decision.restarts });
      return;
    }
    this.log('error', `spark-channel: stopping: ${decision.reason}:`, decision.error);
    this.halt(decision.reason, decision.error, 'policy');
  }
}
