import {
  Component,
  DestroyRef,
  ElementRef,
  Injectable,
  inject,
  type OnDestroy,
  type OnInit,
} from '@angular/core';
import { createInspector, type InspectorMount } from 'spark-channel/inspect';

/**
 * The app's inspector (spark-channel/inspect): the modules watch themselves into it as they
 * start, and it closes with the app. Watching turns their `events$` on, which a production app
 * would only do while someone looks.
 */
@Injectable({ providedIn: 'root' })
export class AppInspector {
  readonly inspector = createInspector({ timelineSize: 500 });

  constructor() {
    inject(DestroyRef).onDestroy(() => this.inspector.close());
  }
}

/** The inspector's page, mounted into this component's element while it is shown. */
@Component({
  selector: 'app-inspector-panel',
  template: '',
  host: { 'data-testid': 'inspector-panel', class: 'inspector-panel' },
})
export class InspectorPanel implements OnInit, OnDestroy {
  readonly #inspector = inject(AppInspector).inspector;
  readonly #element: ElementRef<HTMLElement> = inject(ElementRef);
  #view: InspectorMount | undefined;

  ngOnInit(): void {
    this.#view = this.#inspector.mount(this.#element.nativeElement);
  }

  ngOnDestroy(): void {
    this.#view?.unmount();
  }
}
