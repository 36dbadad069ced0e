// `inspector.serve` over plain HTTP (the page itself in Chromium: browser.spec.ts).
import { connect } from 'node:net';

import { createEventBus, spawnModule } from '../../lib/index.js';
import { createInspector, type Inspector, type InspectorSnapshot } from '../../lib/inspect/index.js';

let inspector: Inspector;
afterEach(() => inspector?.close());

/** Sends `head` as a raw request and resolves with everything the server answers until it closes. */
function raw(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('inspector.serve', () => {
  it('answers HEAD with the headers only', async () => {
    inspector = createInspector();
    const server = await inspector.serve();
    for (const path of ['', 'snapshot.json', 'events']) {
      const response = await fetch(`${server.url}${path}`, { method: 'HEAD' });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
    }
    await server.close();
  });

  it('refuses a request without a Host header on the loopback', async () => {
    inspector = createInspector();
    const server = await inspector.serve();
    const answer = await raw(server.port, 'GET / HTTP/1.0\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    await server.close();
  });

  it('keeps feeding a page that reads slowly, the changes together once it has drained', async () => {
    inspector = createInspector({ timelineSize: 5_000 });
    const module = spawnModule<string, string>({ handleRequest: (s) => s, handleCommand: () => undefined });
    inspector.watch('text', module);
    const long = 'x'.repeat(500);
    await Promise.all(Array.from({ length: 5_000 }, (_, i) => module.dispatcher.request(`${i} ${long}`)));
    const server = await inspector.serve({ refreshMs: 20 });
    const feed = await fetch(`${server.url}events`);
    const reader = (feed.body as ReadableStream<Uint8Array>).getReader();
    // A page that does not read: the first frame (megabytes) fills the connection.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await module.dispatcher.request('after the pause');
    const decoder = new TextDecoder();
    let text = '';
    const received: InspectorSnapshot[] = [];
    while (!received.some((f) => f.timeline.some((e) => e.message === '"after the pause"'))) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the feed ended');
      text += decoder.decode(value, { stream: true });
      const blocks = text.split('\n\n');
      text = blocks.pop() ?? '';
      for (const block of blocks)
        if (block.startsWith('event: snapshot\ndata: '))
          received.push(JSON.parse(block.slice('event: snapshot\ndata: '.length)) as InspectorSnapshot);
    }
    await reader.cancel();
    expect(received[0]?.timeline).toHaveLength(2_000); // a frame carries at most the newest 2,000 per module
    await server.close();
    module.server.stop();
  });

  it('closes a server asked for while the inspector closes', async () => {
    inspector = createInspector();
    const starting = inspector.serve();
    inspector.close();
    const server = await starting;
    await expect(fetch(server.url)).rejects.toThrow();
  });
});

describe('bad input reaching the bus through the watched view', () => {
  it('fails as the bus fails', () => {
    inspector = createInspector();
    const bus = inspector.watchBus(createEventBus<{ A: object }>());
    const module = spawnModule<object, never>({
      handleRequest: () => undefined as never,
      handleCommand: () => undefined,
    });
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
      },
    );
    expect(() => bus.subscribe('A', module.dispatcher, undefined, hostile)).toThrow(TypeError);
    expect(() => bus.subscribe('A', module.dispatcher, undefined, { overflow: 'sideways' as never })).toThrow(
      RangeError,
    );
    expect(() => bus.subscribe('A', hostile as never)).toThrow(TypeError);
    expect(inspector.snapshot().buses[0]?.edges).toEqual([]);
    expect(() => inspector.mount(null as never)).toThrow(/`element`/);
    module.server.stop();
  });
});
