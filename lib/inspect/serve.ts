// inspect: the page over HTTP for Node services. node:http is loaded when `serve` is called,
// never at import, so the entry stays usable in a browser bundle (for `mount`).
import type * as Crypto from 'node:crypto';
import type * as Http from 'node:http';

import { describe, checkOptions, readable } from '../internal/validate.js';
import type { InspectorSnapshot } from './inspector-snapshot.js';
import { FEED_LIMIT, refreshMsOf } from './mount.js';
import { renderInspector } from './render-page.js';

/**
 * `inspector.serve` options.
 *
 * @example
 * await inspector.serve({ port: 9230 } satisfies InspectorServeOptions);
 */
export interface InspectorServeOptions {
  /** The TCP port; 0 (the default) picks a free one (read it from `url` or `port`). */
  port?: number;
  /**
   * The address to listen on: `127.0.0.1` by default, reachable from this machine only. Another
   * one (`0.0.0.0`, a LAN address) exposes every watched message to whoever can reach it: only
   * when asked, behind your own access control (docs/inspector.md, Security).
   */
  host?: string;
  /** How often each open page gets the changes, in ms (default 250). */
  refreshMs?: number;
}

/**
 * A running inspector server.
 *
 * @example
 * const server: InspectorServer = await inspector.serve({ port: 9230 });
 * console.log(`inspector at ${server.url}`); // http://127.0.0.1:9230/
 * await server.close(); // on shutdown
 */
export interface InspectorServer {
  /** Where the page is, e.g. `http://127.0.0.1:9230/`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Ends every open page's feed and closes the server. Idempotent. */
  close(): Promise<void>;
}

type Snapshots = { snapshot(options?: { since?: number; limit?: number }): InspectorSnapshot };

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Imported by name at run time, so bundlers building for a browser leave them alone. */
const HTTP = 'node:http';
const CRYPTO = 'node:crypto';

/** Serves the page, `/events` (Server-Sent Events) and `/snapshot.json` for `source`. */
export async function serveInspector(
  source: Snapshots,
  options: InspectorServeOptions | undefined,
  onClose: () => void,
): Promise<InspectorServer> {
  checkOptions('options', options);
  const { port = 0, host = '127.0.0.1' } = readable('options', () => ({
    port: options?.port,
    host: options?.host,
  }));
  const refreshMs = refreshMsOf(options);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`Expected \`port\` to be an integer from 0 to 65535, got ${describe(port)}`);
  }
  if (typeof host !== 'string' || host.length === 0) {
    throw new TypeError(`Expected \`host\` to be a non-empty string, got ${describe(host)}`);
  }
  const http = (await import(/* webpackIgnore: true */ /* @vite-ignore */ HTTP)) as typeof Http;
  const crypto = (await import(/* webpackIgnore: true */ /* @vite-ignore */ CRYPTO)) as typeof Crypto;

  const script = `const renderInspector = ${renderInspector.toString()};
const view = renderInspector(document.getElementById('inspector'));
const feed = new EventSource('events');
feed.addEventListener('snapshot', (event) => view.update(JSON.parse(event.data)));
feed.addEventListener('open', () => view.connected(true));
feed.addEventListener('error', () => view.connected(false));
`;
  const hash = crypto.createHash('sha256').update(script).digest('base64');
  const page = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>spark-channel inspector</title></head>
<body style="margin:0"><div id="inspector"></div>
<script>${script}</script>
</body>
</html>
`;
  const security = {
    'content-security-policy': `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };

  interface Client {
    readonly response: Http.ServerResponse;
    cursor: number;
    waiting: boolean;
  }
  const clients = new Set<Client>();
  const send = (client: Client): void => {
    if (client.waiting) return; // a slow page: it gets the changes, together, once it drained
    const snapshot = source.snapshot({ since: client.cursor, limit: FEED_LIMIT });
    client.cursor = snapshot.cursor;
    if (!client.response.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`)) {
      client.waiting = true;
      client.response.once('drain', () => (client.waiting = false));
    }
  };
  let timer: ReturnType<typeof setInterval> | undefined;
  const feed = (): void => {
    for (const client of clients) send(client);
  };

  // Bound to the loopback, the page answers only to loopback names: a web page the user visits
  // cannot point a name of its own at 127.0.0.1 (DNS rebinding) and read the feed.
  const loopback = LOOPBACK.has(host);
  const allowed = (request: Http.IncomingMessage): boolean => {
    if (!loopback) return true;
    const name = /^(?:\[([^\]]+)\]|([^:]+))(?::\d+)?$/.exec(request.headers.host ?? '');
    return name !== null && LOOPBACK.has((name[1] ?? name[2] ?? '').toLowerCase());
  };

  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (!allowed(request)) {
      response.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', ...security });
      response.end('Forbidden: this inspector answers to 127.0.0.1 and localhost only\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, {
        allow: 'GET, HEAD',
        'content-type': 'text/plain; charset=utf-8',
        ...security,
      });
      response.end('Method not allowed\n');
      return;
    }
    if (path === '/' || path === '/index.html') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...security });
      response.end(request.method === 'HEAD' ? undefined : page);
    } else if (path === '/snapshot.json') {
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', ...security });
      response.end(request.method === 'HEAD' ? undefined : JSON.stringify(source.snapshot()));
    } else if (path === '/events') {
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        connection: 'keep-alive',
        ...security,
      });
      if (request.method === 'HEAD') return void response.end();
      response.write('retry: 1000\n\n');
      const client: Client = { response, cursor: 0, waiting: false };
      clients.add(client);
      send(client);
      if (timer === undefined) {
        timer = setInterval(feed, refreshMs);
        timer.unref();
      }
      request.on('close', () => {
        clients.delete(client);
        if (clients.size === 0 && timer !== undefined) {
          clearInterval(timer);
          timer = undefined;
        }
      });
    } else {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...security });
      response.end('Not found\n');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/`,
    host,
    port: bound,
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (timer !== undefined) clearInterval(timer);
        for (const client of clients) client.response.end();
        clients.clear();
        server.close(() => resolve());
        server.closeAllConnections();
        onClose();
      });
      return closing;
    },
  };
}
