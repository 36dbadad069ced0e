// A real nats-server with JetStream on (`-js`), its file store in a temp folder, on a free
// loopback port; `restart()` stops it and starts it again on the same port and store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type RunningNats, startNatsServer } from './nats-server.js';

export interface RunningJetStream {
  readonly url: string;
  /** Stops the server (SIGTERM) and starts it again with the same port and store folder. */
  restart(): Promise<void>;
  /** Stops the server and removes its store folder. */
  stop(): Promise<void>;
}

export async function startJetStreamServer(): Promise<RunningJetStream> {
  const store = mkdtempSync(join(tmpdir(), 'spark-js-'));
  const args = ['-js', '-sd', store];
  let server: RunningNats = await startNatsServer(args);
  const port = server.port;
  return {
    url: server.url,
    async restart() {
      await server.stop();
      server = await startNatsServer(args, port);
    },
    async stop() {
      await server.stop();
      rmSync(store, { recursive: true, force: true });
    },
  };
}
