import { describe, checkOptions, readable } from '../internal/validate.js';
import type { InspectorSnapshot } from './inspector-snapshot.js';
import { renderInspector } from './render-page.js';

/**
 * `inspector.mount` options.
 *
 * @example
 * inspector.mount(element, { refreshMs: 500 } satisfies MountOptions);
 */
export interface MountOptions {
  /** How often the page is redrawn from a new snapshot, in ms (default 250). */
  refreshMs?: number;
}

/**
 * A page mounted by `inspector.mount`.
 *
 * @example
 * const page: InspectorMount = inspector.mount(document.getElementById('inspector') as HTMLElement);
 * window.addEventListener('pagehide', () => page.unmount());
 */
export interface InspectorMount {
  /** Stops refreshing and empties the element. Idempotent. */
  unmount(): void;
}

/** At most this many changed messages per module reach a page per refresh: the newest. */
export const FEED_LIMIT = 2_000;

/** Reads `refreshMs` (a positive finite number, 250 by default) from page options. */
export function refreshMsOf(options: { refreshMs?: number } | undefined): number {
  checkOptions('options', options);
  const refreshMs = readable('options', () => options?.refreshMs) ?? 250;
  if (typeof refreshMs !== 'number' || !Number.isFinite(refreshMs) || refreshMs <= 0) {
    throw new RangeError(`Expected \`refreshMs\` to be a positive finite number, got ${describe(refreshMs)}`);
  }
  return refreshMs;
}

/** Renders the page into `element` and feeds it the changes every `refreshMs`. */
export function mountInspector(
  source: { snapshot(options: { since: number; limit: number }): InspectorSnapshot },
  element: HTMLElement,
  options: MountOptions | undefined,
  onUnmount: () => void,
): InspectorMount {
  const isElement =
    typeof document !== 'undefined' &&
    typeof element === 'object' &&
    element !== null &&
    typeof (element as { replaceChildren?: unknown }).replaceChildren === 'function';
  if (!isElement) throw new TypeError(`Expected \`element\` to be a DOM element, got ${describe(element)}`);
  return start(source, element, refreshMsOf(options), onUnmount);
}

/* istanbul ignore next -- needs a DOM: runs in Chromium, in spec/inspect/browser.spec.ts */
function start(
  source: { snapshot(options: { since: number; limit: number }): InspectorSnapshot },
  element: HTMLElement,
  refreshMs: number,
  onUnmount: () => void,
): InspectorMount {
  const view = renderInspector(element);
  let cursor = 0;
  const refresh = (): void => {
    const snapshot = source.snapshot({ since: cursor, limit: FEED_LIMIT });
    cursor = snapshot.cursor;
    view.update(snapshot);
  };
  refresh();
  const timer = setInterval(refresh, refreshMs);
  let mounted = true;
  return {
    unmount() {
      if (!mounted) return;
      mounted = false;
      clearInterval(timer);
      view.destroy();
      onUnmount();
    },
  };
}
