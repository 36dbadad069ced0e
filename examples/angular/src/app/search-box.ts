import { Component, inject, signal } from '@angular/core';

import { SearchService } from './search.service';

/**
 * A search box over moduleResource: every keystroke changes `query`, the resource sends a new
 * Search and aborts the one still running, whose handler counts the abort.
 */
@Component({
  selector: 'app-search-box',
  template: `
    <label>
      Search packages
      <input #box type="search" data-testid="search-input" (input)="query.set(box.value)" />
    </label>
    <p data-testid="search-status">
      {{ results.isLoading() ? 'searching…' : results.status() }} · aborted searches:
      <strong data-testid="search-aborted">{{ search.aborted() }}</strong>
      · handled: <span data-testid="search-handled">{{ search.stats().handled }}</span>
    </p>
    @if (results.error(); as error) {
      <output data-testid="search-error">search failed: {{ error.message }}</output>
    } @else {
      <ul data-testid="search-results">
        @for (name of results.value(); track name) {
          <li>{{ name }}</li>
        } @empty {
          <li class="none">{{ query() ? 'no match yet' : 'type to search' }}</li>
        }
      </ul>
    }
  `,
})
export class SearchBox {
  protected readonly search = inject(SearchService);
  readonly query = signal('');
  /** Lives with this component: destroying it aborts the search in flight. */
  protected readonly results = this.search.resultsFor(this.query);
}
