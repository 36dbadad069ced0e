// Type-level tests, checked by `tsc --noEmit` (npm test): what `watch` and `watchBus` accept and
// give back. The runtime part only makes jest count the file.
import { expectTypeOf } from 'expect-type';

import {
  createEventBus,
  createRouter,
  type EventBus,
  type ModuleServer,
  spawnModule,
  spawnTypedModule,
} from '../../lib/index.js';
import { createInspector, type InspectorSnapshot, type InspectorWatch } from '../../lib/inspect/index.js';

type Api = { GetUser: { request: { id: number }; response: string }; Touch: { command: { id: number } } };
type Shop = { OrderPlaced: { orderId: string } };

function typesOnly(): void {
  const inspector = createInspector();
  const plain = spawnModule<number, string>({ handleRequest: String, handleCommand: () => undefined });
  const typed = spawnTypedModule(
    createRouter<Api>({
      GetUser: { request: ({ id }) => `user ${id}` },
      Touch: { command: () => undefined },
    }),
  );
  // Typed or not, spawned or a server alone.
  expectTypeOf(inspector.watch('plain', plain)).toEqualTypeOf<InspectorWatch>();
  inspector.watch('typed', typed);
  inspector.watch('server', typed.server);
  const server: ModuleServer<{ type: 'x' }, TypeError> = typed.server as never;
  inspector.watch('custom error type', server);
  // @ts-expect-error not a module
  inspector.watch('number', 42);
  // @ts-expect-error a dispatcher alone is not a module
  inspector.watch('dispatcher', plain.dispatcher);
  // @ts-expect-error the name comes first
  inspector.watch(plain);

  // The watched bus is the same bus, with the same event types.
  const bus = inspector.watchBus(createEventBus<Shop>());
  expectTypeOf(bus).toEqualTypeOf<EventBus<Shop>>();
  // @ts-expect-error an event type the bus does not carry
  void bus.publish({ type: 'Nope' });

  const snapshot = inspector.snapshot({ since: 0 });
  expectTypeOf(snapshot).toEqualTypeOf<InspectorSnapshot>();
  expectTypeOf(snapshot.modules[0]?.status).toEqualTypeOf<'running' | 'idle' | 'stopped' | undefined>();
  expectTypeOf(inspector.serve).returns.resolves.toHaveProperty('url').toEqualTypeOf<string>();
}

it('compiles (checked by tsc)', () => {
  expect(typeof typesOnly).toBe('function');
});
