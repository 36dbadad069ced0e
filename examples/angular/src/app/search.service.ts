import { Injectable, type ResourceRef, type Signal, signal } from '@angular/core';
import { createRouter, type HandlerContext } from 'spark-channel';
import { moduleResource, TypedModuleService } from 'spark-channel/angular';

/** The search module's definition: one request type, answered with the matching names. */
export type SearchApi = {
  Search: { request: { query: string }; response: string[] };
};

const PACKAGES = [
  'angular',
  'angular-cli',
  'angular-material',
  'ant-design',
  'rxjs',
  'rxdb',
  'react',
  'redux',
  'spark-channel',
  'svelte',
  'vitest',
  'vite',
];

/** What a search costs: long enough that a fast typist supersedes the one before. */
export const SEARCH_MS = 250;

/**
 * Answers after SEARCH_MS, unless the caller gives up first: then it stops at once (as a
 * well-behaved handler does with `context.signal`) and counts the abort.
 */
export function search(query: string, { signal }: HandlerContext, onAbort: () => void): Promise<string[]> {
  return new Promise<string[]>((resolve, reject) => {
    const done = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve(PACKAGES.filter((name) => name.includes(query.toLowerCase())));
    }, SEARCH_MS);
    const abort = (): void => {
      clearTimeout(done);
      onAbort();
      reject(signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
  });
}

/** The search module as a service: `aborted` counts the searches whose caller gave up mid-way. */
@Injectable({ providedIn: 'root' })
export class SearchService extends TypedModuleService<SearchApi> {
  /** How many running searches saw `context.signal` abort. */
  readonly aborted: Signal<number>;

  constructor() {
    const aborted = signal(0);
    const onAbort = (): void => aborted.update((n) => n + 1);
    super(
      createRouter<SearchApi>({
        Search: { request: ({ query }, context) => search(query, context, onAbort) },
      }),
    );
    this.aborted = aborted.asReadonly();
  }

  /**
   * The results for `query()` as a resource, reloaded as it changes, the superseded search
   * aborted; an empty query is idle. Call it in an injection context (a component's field): the
   * resource lives and dies with that component.
   */
  resultsFor(query: () => string): ResourceRef<string[]> {
    return moduleResource(
      this.dispatcher,
      () => {
        const text = query().trim();
        return text === '' ? undefined : { type: 'Search', query: text };
      },
      { defaultValue: [] },
    );
  }
}
