// The provideModule and testing examples of docs/angular.md live here, so they compile and run
// (docs.spec.ts checks that the doc quotes this file verbatim).
import {
  createEnvironmentInjector,
  type EnvironmentInjector,
  inject,
  Injector,
  InjectionToken,
  type Provider,
} from '@angular/core';

import { type InjectedModule, provideModule } from '../../lib/angular/index.js';
import type { SparkGenericModuleHandler } from '../../lib/index.js';

type TodoMessage = { type: 'add'; title: string } | { type: 'list' };

class TodoHandler implements SparkGenericModuleHandler<TodoMessage, readonly string[]> {
  constructor(private readonly titles: string[]) {}

  handleRequest(message: TodoMessage): readonly string[] {
    if (message.type === 'add') this.titles.push(message.title);
    return [...this.titles];
  }

  handleCommand(message: TodoMessage): void {
    if (message.type !== 'add') throw new Error(`Unexpected command: ${message.type}`);
    this.titles.push(message.title);
  }
}

export const INITIAL_TODOS = new InjectionToken<string[]>('INITIAL_TODOS');
export const TODOS = new InjectionToken<InjectedModule<TodoMessage, readonly string[]>>('TODOS');

export const todoProviders: Provider[] = [
  { provide: INITIAL_TODOS, useValue: ['write the docs'] },
  provideModule(TODOS, () => new TodoHandler([...inject(INITIAL_TODOS)]), { onDestroy: { drainMs: 2_000 } }),
];

describe('docs/angular.md examples', () => {
  it('provideModule: todoProviders in an environment injector, drained on destroy', async () => {
    const root = Injector.create({ providers: [] }) as EnvironmentInjector;
    const injector = createEnvironmentInjector(todoProviders, root);
    const todos = injector.get(TODOS);

    await todos.dispatcher.sendCommand({ type: 'add', title: 'ship it' });
    const late = todos.dispatcher.request({ type: 'add', title: 'celebrate' });
    injector.destroy(); // drains: both messages above are still handled

    await expect(late).resolves.toEqual(['write the docs', 'ship it', 'celebrate']);
    await todos.server.stopped;
    expect(todos.isRunning()).toBe(false);
    expect(todos.stats()).toMatchObject({ handled: 2, failed: 0 });
  });
});
