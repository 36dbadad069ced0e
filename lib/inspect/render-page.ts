// inspect: the page, in plain DOM. `renderInspector` is self-contained on purpose: it refers to
// nothing outside its own body (only types, which compile away), so `serve` can send its source
// to the browser as it is, and `mount` and the served page run the very same code. Every value
// from a snapshot reaches the page as text (`textContent`, attributes), never as markup.
import type {
  BusSnapshot,
  DeadLetterEntry,
  ErrorEntry,
  InspectorSnapshot,
  ModuleSnapshot,
  TimelineEntry,
} from './inspector-snapshot.js';

/**
 * What {@link renderInspector} returns: feed it snapshots, destroy it when done.
 *
 * @example
 * const view: InspectorView = renderInspector(document.getElementById('inspector') as HTMLElement);
 * const feed = new EventSource('/events'); // the feed inspector.serve() streams
 * feed.addEventListener('snapshot', (event) => view.update(JSON.parse(event.data) as InspectorSnapshot));
 * feed.addEventListener('error', () => view.connected(false));
 */
export interface InspectorView {
  /** Merges a snapshot (a full one, or the changes since the previous one) and redraws. */
  update(snapshot: InspectorSnapshot): void;
  /** Marks the feed as connected or not (the served page's Server-Sent Events). */
  connected(on: boolean): void;
  /** Empties the element and drops everything kept. */
  destroy(): void;
}

/* istanbul ignore file -- browser code: `serve` sends its source to the page as text (so it must
   stay free of coverage counters), and spec/inspect/browser.spec.ts runs it in Chromium. The
   comment sits here, not at the top, where it would go with the type import it precedes. */
/**
 * Renders the inspector page into `root`, for snapshots you bring yourself (`inspector.mount`
 * does this with its own). Everything it needs is inside this function (see the comment at the
 * top of this file).
 *
 * @example
 * // A page showing another process's inspector, from its /snapshot.json:
 * const view = renderInspector(document.getElementById('inspector') as HTMLElement);
 * view.update((await (await fetch('/snapshot.json')).json()) as InspectorSnapshot);
 */
export function renderInspector(root: HTMLElement): InspectorView {
  const SVG = 'http://www.w3.org/2000/svg';
  const ROW = 9; // px per sub-row of a lane
  const MAX_ROWS = 12;
  const MAX_BARS = 1_500; // per lane and redraw: the newest ones in view
  const WINDOWS = [1_000, 5_000, 10_000, 30_000, 60_000];
  const CSS = `
.sc-inspector { font: 13px/1.4 system-ui, sans-serif; color: #1d2330; background: #f6f7f9; padding: 12px; }
.sc-inspector h1 { font-size: 16px; margin: 0; }
.sc-inspector h2 { font-size: 14px; margin: 16px 0 6px; }
.sc-inspector header { display: flex; gap: 12px; align-items: center; }
.sc-inspector .status { padding: 1px 8px; border-radius: 9px; background: #dfe3ea; font-size: 12px; }
.sc-inspector .status[data-state="live"] { background: #d4f1de; color: #17643a; }
.sc-inspector .status[data-state="paused"] { background: #fbe7c6; color: #7a4a00; }
.sc-inspector .status[data-state="disconnected"] { background: #f8d3d3; color: #8a1c1c; }
.sc-inspector button, .sc-inspector select, .sc-inspector input { font: inherit; }
.sc-inspector .cards { display: flex; flex-wrap: wrap; gap: 10px; }
.sc-inspector .card { background: #fff; border: 1px solid #d8dce3; border-radius: 6px; padding: 8px 10px; min-width: 230px; }
.sc-inspector .card[data-status="stopped"] { opacity: 0.7; background: #f0f0f0; }
.sc-inspector .card-head { display: flex; justify-content: space-between; align-items: center; gap: 8px; }
.sc-inspector .name { font-weight: 600; }
.sc-inspector .badge { font-size: 11px; padding: 0 6px; border-radius: 8px; text-transform: uppercase; }
.sc-inspector .badge[data-status="running"] { background: #d4e4fb; color: #1b4f9c; }
.sc-inspector .badge[data-status="idle"] { background: #e4e7ec; color: #4b5566; }
.sc-inspector .badge[data-status="stopped"] { background: #3b4252; color: #fff; }
.sc-inspector .counters { display: grid; grid-template-columns: repeat(4, auto); gap: 0 10px; margin: 6px 0; }
.sc-inspector .counters b { display: block; font-size: 15px; }
.sc-inspector .counters span { color: #687387; font-size: 11px; }
.sc-inspector .latency { border-collapse: collapse; font-size: 12px; margin-top: 4px; }
.sc-inspector .latency td, .sc-inspector .latency th { padding: 0 6px 0 0; text-align: right; font-weight: normal; }
.sc-inspector .latency th { color: #687387; }
.sc-inspector .latency td:first-child { text-align: left; color: #687387; }
.sc-inspector .spark { display: flex; align-items: center; gap: 6px; color: #687387; font-size: 11px; }
.sc-inspector .spark svg { background: #f3f5f8; }
.sc-inspector .reason { color: #687387; font-size: 11px; }
.sc-inspector .controls { display: flex; gap: 10px; align-items: center; margin-bottom: 6px; }
.sc-inspector .lanes { background: #fff; border: 1px solid #d8dce3; border-radius: 6px; padding: 6px; }
.sc-inspector .lane { display: flex; border-bottom: 1px solid #eef0f3; padding: 3px 0; }
.sc-inspector .lane-name { width: 110px; flex: none; font-weight: 600; overflow: hidden; text-overflow: ellipsis; }
.sc-inspector .track { position: relative; flex: 1; min-height: ${ROW}px; }
.sc-inspector .bar { position: absolute; height: ${ROW - 2}px; min-width: 2px; border-radius: 2px; overflow: hidden; }
.sc-inspector .bar .wait { position: absolute; left: 0; top: 0; bottom: 0; background: rgba(255,255,255,0.55); }
.sc-inspector .bar[data-outcome="ok"] { background: #2e9d5b; }
.sc-inspector .bar[data-outcome="error"] { background: #d64545; }
.sc-inspector .bar[data-outcome="timeout"] { background: #e08a1e; }
.sc-inspector .bar[data-outcome="cancelled"] { background: #8a8f98; }
.sc-inspector .bar[data-outcome="pending"] { background: #4a7bd0; }
.sc-inspector .axis { display: flex; justify-content: space-between; margin-left: 110px; color: #687387; font-size: 11px; }
.sc-inspector .legend span { margin-right: 10px; font-size: 11px; }
.sc-inspector .legend i { display: inline-block; width: 10px; height: 8px; margin-right: 3px; border-radius: 2px; }
.sc-inspector .lists { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.sc-inspector table.list { border-collapse: collapse; width: 100%; background: #fff; font-size: 12px; }
.sc-inspector table.list td, .sc-inspector table.list th { border-bottom: 1px solid #eef0f3; padding: 2px 6px; text-align: left; vertical-align: top; }
.sc-inspector table.list td.text { font-family: ui-monospace, monospace; word-break: break-all; }
.sc-inspector .scroll { max-height: 260px; overflow: auto; border: 1px solid #d8dce3; border-radius: 6px; }
.sc-inspector .topology svg { background: #fff; border: 1px solid #d8dce3; border-radius: 6px; }
.sc-inspector .empty { color: #687387; font-style: italic; }
`;

  type Attrs = Record<string, string | number | undefined>;
  const h = <K extends keyof HTMLElementTagNameMap>(
    tag: K,
    attrs?: Attrs,
    ...children: (Node | string)[]
  ): HTMLElementTagNameMap[K] => {
    const element = document.createElement(tag);
    if (attrs !== undefined)
      for (const [key, value] of Object.entries(attrs))
        if (value !== undefined) element.setAttribute(key, String(value));
    element.append(...children);
    return element;
  };
  const s = (tag: string, attrs?: Attrs, ...children: (Node | string)[]): SVGElement => {
    const element = document.createElementNS(SVG, tag);
    if (attrs !== undefined)
      for (const [key, value] of Object.entries(attrs))
        if (value !== undefined) element.setAttribute(key, String(value));
    element.append(...children);
    return element;
  };
  const ms = (value: number | undefined): string => {
    if (value === undefined) return '–';
    if (value >= 1_000) return `${(value / 1_000).toFixed(2)} s`;
    if (value >= 100) return `${Math.round(value)} ms`;
    return `${value < 1 ? value.toFixed(2) : value.toFixed(1)} ms`;
  };
  const rate = (perSecond: number): string =>
    perSecond >= 100 ? `${Math.round(perSecond)}/s` : `${perSecond.toFixed(1)}/s`;

  // What the page keeps: the latest modules and buses, and its own bounded copy of the timeline
  // and the lists, merged from the changes each snapshot brings.
  let snapshot: InspectorSnapshot | undefined;
  const timeline = new Map<string, { serial: number; entries: Map<number, TimelineEntry> }>();
  let deadLetters: DeadLetterEntry[] = [];
  let errors: ErrorEntry[] = [];
  let paused = false;
  let pausedAt = 0;
  let back = 0;
  let windowMs = 10_000;
  let connected = true;

  const style = h('style', {}, CSS);
  const status = h('span', { class: 'status', 'data-testid': 'status', 'data-state': 'live' }, 'live');
  const pause = h('button', { type: 'button', 'data-testid': 'pause' }, 'Pause');
  const clock = h('span', { class: 'reason', 'data-testid': 'clock' });
  const cards = h('div', { class: 'cards', 'data-testid': 'cards' });
  const windowSelect = h(
    'select',
    { 'data-testid': 'window', title: 'time shown' },
    ...WINDOWS.map((w) => h('option', { value: w }, w < 1_000 ? `${w} ms` : `${w / 1_000} s`)),
  );
  windowSelect.value = String(windowMs);
  const scroll = h('input', {
    type: 'range',
    min: 0,
    max: 0,
    step: 10,
    value: 0,
    'data-testid': 'scroll',
    title: 'scroll back (pauses)',
  });
  const timelineInfo = h('span', { class: 'reason', 'data-testid': 'timeline-info' });
  const axis = h('div', { class: 'axis', 'data-testid': 'axis' });
  const lanes = h('div', { class: 'lanes', 'data-testid': 'lanes' });
  const legend = h(
    'div',
    { class: 'legend' },
    ...[
      ['ok', '#2e9d5b'],
      ['error', '#d64545'],
      ['timeout', '#e08a1e'],
      ['cancelled', '#8a8f98'],
      ['pending', '#4a7bd0'],
    ].map(([name, color]) => h('span', {}, h('i', { style: `background:${color}` }), name as string)),
    h('span', { class: 'reason' }, 'pale part: waiting in the queue; hover a bar for the message'),
  );
  const topology = h('section', { class: 'topology', 'data-testid': 'topology' });

  const filter = (testid: string, label: string): HTMLSelectElement =>
    h('select', { 'data-testid': testid, title: label }, h('option', { value: '' }, `${label}: all`));
  const dlModule = filter('dead-letters-module', 'module');
  const dlKind = filter('dead-letters-kind', 'kind');
  const dlReason = filter('dead-letters-reason', 'reason');
  const dlText = h('input', {
    type: 'search',
    placeholder: 'code or text',
    'data-testid': 'dead-letters-text',
  });
  const dlBody = h('tbody', { 'data-testid': 'dead-letters' });
  const erModule = filter('errors-module', 'module');
  const erKind = filter('errors-kind', 'kind');
  const erText = h('input', { type: 'search', placeholder: 'code or text', 'data-testid': 'errors-text' });
  const erBody = h('tbody', { 'data-testid': 'errors' });
  const head = (...names: string[]): HTMLTableSectionElement =>
    h('thead', {}, h('tr', {}, ...names.map((n) => h('th', {}, n))));

  const page = h(
    'div',
    { class: 'sc-inspector' },
    style,
    h('header', {}, h('h1', {}, 'spark-channel inspector'), status, pause, clock),
    h('h2', {}, 'Modules'),
    cards,
    h('h2', {}, 'Timeline'),
    h(
      'div',
      { class: 'controls' },
      windowSelect,
      h('span', { class: 'reason' }, 'scroll back'),
      scroll,
      timelineInfo,
    ),
    legend,
    axis,
    lanes,
    topology,
    h(
      'div',
      { class: 'lists' },
      h(
        'section',
        {},
        h('h2', {}, 'Dead letters'),
        h('div', { class: 'controls' }, dlModule, dlKind, dlReason, dlText),
        h(
          'div',
          { class: 'scroll' },
          h(
            'table',
            { class: 'list' },
            head('when', 'module', 'kind', 'reason', 'code', 'message', 'error'),
            dlBody,
          ),
        ),
      ),
      h(
        'section',
        {},
        h('h2', {}, 'Errors'),
        h('div', { class: 'controls' }, erModule, erKind, erText),
        h(
          'div',
          { class: 'scroll' },
          h('table', { class: 'list' }, head('when', 'module', 'kind', 'code', 'message', 'error'), erBody),
        ),
      ),
    ),
  );
  root.replaceChildren(page);

  const setPaused = (on: boolean): void => {
    paused = on;
    if (on && snapshot !== undefined) pausedAt = snapshot.now;
    if (!on) back = 0;
    pause.textContent = on ? 'Resume' : 'Pause';
    draw();
  };
  const listeners: [EventTarget, string, () => void][] = [
    [pause, 'click', () => setPaused(!paused)],
    [
      windowSelect,
      'change',
      () => {
        windowMs = Number(windowSelect.value);
        draw();
      },
    ],
    [
      scroll,
      'input',
      () => {
        if (!paused) setPaused(true);
        back = Number(scroll.value);
        draw();
      },
    ],
  ];
  for (const input of [dlModule, dlKind, dlReason, dlText, erModule, erKind, erText])
    listeners.push([input, input instanceof HTMLInputElement ? 'input' : 'change', () => drawLists()]);
  for (const [target, type, listener] of listeners) target.addEventListener(type, listener);

  function merge(next: InspectorSnapshot): void {
    snapshot = next;
    const names = new Set(next.modules.map((m) => m.name));
    for (const module of next.modules) {
      const kept = timeline.get(module.name);
      if (kept === undefined || kept.serial !== module.serial)
        timeline.set(module.name, { serial: module.serial, entries: new Map() });
    }
    for (const name of [...timeline.keys()]) if (!names.has(name)) timeline.delete(name);
    for (const entry of next.timeline) {
      const kept = timeline.get(entry.module);
      if (kept === undefined || kept.serial !== entry.serial) continue;
      kept.entries.set(entry.id, entry);
    }
    const size = next.limits.timelineSize;
    for (const { entries } of timeline.values()) {
      // Oldest first: a Map iterates in insertion order, and messages arrive in id order.
      for (const id of entries.keys()) {
        if (entries.size <= size) break;
        entries.delete(id);
      }
    }
    const bound = <T>(list: T[], more: readonly T[]): T[] => {
      const all = list.concat(more);
      return all.length > next.limits.listSize ? all.slice(all.length - next.limits.listSize) : all;
    };
    deadLetters = bound(
      deadLetters.filter((d) => names.has(d.module)),
      next.deadLetters,
    );
    errors = bound(
      errors.filter((e) => names.has(e.module)),
      next.errors,
    );
  }

  function draw(): void {
    if (snapshot === undefined) return;
    const state = !connected ? 'disconnected' : paused ? 'paused' : 'live';
    status.dataset.state = state;
    status.textContent = state;
    clock.textContent = `${snapshot.modules.length} module${snapshot.modules.length === 1 ? '' : 's'} watched`;
    drawCards(snapshot.modules);
    drawTimeline(snapshot);
    drawTopology(snapshot.buses, snapshot.modules);
    drawLists();
  }

  function drawCards(modules: readonly ModuleSnapshot[]): void {
    if (modules.length === 0) {
      cards.replaceChildren(
        h('span', { class: 'empty' }, 'No module is watched: inspector.watch(name, module).'),
      );
      return;
    }
    cards.replaceChildren(...modules.map(card));
  }

  function card(module: ModuleSnapshot): HTMLElement {
    const counter = (field: string, value: number): HTMLElement =>
      h('div', {}, h('b', { 'data-field': field }, String(value)), h('span', {}, field));
    const depth = module.depth;
    const max = Math.max(1, ...depth);
    const width = 120;
    const height = 28;
    const points = depth
      .map((d, i) => {
        const x = depth.length === 1 ? width : (i / (depth.length - 1)) * width;
        return `${x.toFixed(1)},${(height - 2 - (d / max) * (height - 4)).toFixed(1)}`;
      })
      .join(' ');
    const spark = s(
      'svg',
      {
        width,
        height,
        viewBox: `0 0 ${width} ${height}`,
        'data-testid': 'sparkline',
        'data-points': depth.length,
        'data-max': Math.max(0, ...depth),
      },
      s('polyline', { points, fill: 'none', stroke: '#4a7bd0', 'stroke-width': 1.5 }),
    );
    const row = (label: string, p: ModuleSnapshot['queueWait'], field: string): HTMLElement =>
      h(
        'tr',
        { 'data-field': field, 'data-count': p.count },
        h('td', {}, label),
        h('td', { 'data-p': 'p50' }, ms(p.p50)),
        h('td', { 'data-p': 'p95' }, ms(p.p95)),
        h('td', { 'data-p': 'p99' }, ms(p.p99)),
      );
    const { ok, error, timeout, cancelled } = module.outcomes;
    return h(
      'div',
      {
        class: 'card',
        'data-testid': `card-${module.name}`,
        'data-module': module.name,
        'data-status': module.status,
      },
      h(
        'div',
        { class: 'card-head' },
        h('span', { class: 'name' }, module.name),
        h('span', { class: 'badge', 'data-testid': 'badge', 'data-status': module.status }, module.status),
      ),
      h(
        'div',
        { class: 'counters' },
        counter('queued', module.stats.queued),
        counter('running', module.stats.running),
        counter('handled', module.stats.handled),
        counter('failed', module.stats.failed),
      ),
      h(
        'div',
        { class: 'spark', title: 'queue depth over the last minute' },
        spark,
        h('span', {}, `queue, max ${Math.max(0, ...depth)} · ${rate(module.throughput)}`),
      ),
      h(
        'table',
        { class: 'latency' },
        h('tr', {}, h('th', {}, ''), h('th', {}, 'p50'), h('th', {}, 'p95'), h('th', {}, 'p99')),
        row('queue wait', module.queueWait, 'queue-wait'),
        row('handling', module.handling, 'handling'),
      ),
      h(
        'div',
        { class: 'reason', 'data-field': 'outcomes' },
        `ok ${ok} · error ${error} · timeout ${timeout} · cancelled ${cancelled} · dead letters ${module.deadLetters}` +
          (module.restarts > 0 ? ` · restarts ${module.restarts}` : ''),
      ),
      ...(module.stopReason !== undefined
        ? [h('div', { class: 'reason', 'data-field': 'stop-reason' }, `stopped: ${module.stopReason}`)]
        : []),
    );
  }

  function drawTimeline(current: InspectorSnapshot): void {
    let oldest = Infinity;
    for (const { entries } of timeline.values())
      for (const entry of entries.values()) {
        const start = entry.acceptedAt ?? entry.startedAt ?? entry.settledAt;
        if (start !== undefined && start < oldest) oldest = start;
        break; // the first kept is (about) the oldest
      }
    const latest = paused ? pausedAt : current.now;
    const span = Number.isFinite(oldest) ? Math.max(0, Math.ceil(latest - oldest - windowMs)) : 0;
    scroll.max = String(span);
    if (back > span) back = span;
    scroll.value = String(back);
    const end = latest - back;
    const start = end - windowMs;
    axis.replaceChildren(
      ...[5, 4, 3, 2, 1, 0].map((i) => {
        const t = (windowMs * i) / 5 + back;
        return h('span', {}, t === 0 ? 'now' : `−${(t / 1_000).toFixed(t < 10_000 ? 1 : 0)} s`);
      }),
    );
    let shown = 0;
    let kept = 0;
    const laneOf = (module: ModuleSnapshot): HTMLElement => {
      const entries = timeline.get(module.name)?.entries;
      const track = h('div', { class: 'track' });
      const visible: { entry: TimelineEntry; from: number; to: number }[] = [];
      if (entries !== undefined) {
        kept += entries.size;
        for (const entry of entries.values()) {
          const from = entry.acceptedAt ?? entry.startedAt ?? entry.settledAt;
          if (from === undefined || from > end) continue;
          const to = entry.settledAt ?? (module.status === 'stopped' ? from : latest);
          if (to < start) continue;
          visible.push({ entry, from, to });
        }
      }
      const drawn = visible.length > MAX_BARS ? visible.slice(visible.length - MAX_BARS) : visible;
      drawn.sort((a, b) => a.from - b.from);
      // Greedy packing: a message goes on the first sub-row free at its start, so a queue
      // building up shows as a growing stack.
      const rows: number[] = [];
      for (const { entry, from, to } of drawn) {
        let row = rows.findIndex((last) => last <= from);
        if (row === -1) {
          if (rows.length < MAX_ROWS) row = rows.push(to) - 1;
          else row = rows.indexOf(Math.min(...rows));
        }
        rows[row] = to;
        const left = ((Math.max(from, start) - start) / windowMs) * 100;
        const right = ((Math.min(to, end) - start) / windowMs) * 100;
        const outcome = entry.outcome ?? 'pending';
        const waitEnd = entry.startedAt ?? to;
        const waitShare = to > from ? Math.max(0, Math.min(1, (waitEnd - from) / (to - from))) : 0;
        const lines = [
          `#${entry.id} ${entry.kind} ${entry.message}`,
          `outcome: ${outcome}`,
          `queued ${ms(entry.startedAt !== undefined && entry.acceptedAt !== undefined ? entry.startedAt - entry.acceptedAt : undefined)}, handled ${ms(entry.startedAt !== undefined && entry.settledAt !== undefined ? entry.settledAt - entry.startedAt : undefined)}`,
        ];
        if (entry.error !== undefined) lines.push(`error: ${entry.error}`);
        const bar = h(
          'div',
          {
            class: 'bar',
            'data-testid': 'bar',
            'data-module': module.name,
            'data-id': entry.id,
            'data-kind': entry.kind,
            'data-outcome': outcome,
            title: lines.join('\n'),
          },
          h('div', { class: 'wait', style: `width:${(waitShare * 100).toFixed(1)}%` }),
        );
        bar.style.left = `${left.toFixed(3)}%`;
        bar.style.width = `${Math.max(0, right - left).toFixed(3)}%`;
        bar.style.top = `${row * ROW}px`;
        track.append(bar);
        shown++;
      }
      track.style.height = `${Math.max(1, rows.length) * ROW}px`;
      return h(
        'div',
        { class: 'lane', 'data-testid': `lane-${module.name}`, 'data-module': module.name },
        h('div', { class: 'lane-name', title: module.name }, module.name),
        track,
      );
    };
    lanes.replaceChildren(...current.modules.map(laneOf));
    timelineInfo.textContent = `${shown} in view, ${kept} kept${paused ? ' (paused)' : ''}`;
  }

  function drawTopology(buses: readonly BusSnapshot[], modules: readonly ModuleSnapshot[]): void {
    if (buses.length === 0) {
      topology.replaceChildren();
      return;
    }
    const statusOf = new Map(modules.map((m) => [m.name, m.status]));
    topology.replaceChildren(
      h('h2', {}, 'Topology'),
      ...buses.map((bus) => {
        const types = bus.types.map((t) => t.type);
        for (const edge of bus.edges) if (!types.includes(edge.type)) types.push(edge.type);
        const targets = [...new Set(bus.edges.map((e) => e.module))];
        const rowH = 30;
        const height = Math.max(types.length, targets.length, 1) * rowH + 30;
        const width = 640;
        const yType = (type: string): number => 30 + types.indexOf(type) * rowH;
        const yModule = (module: string): number => 30 + targets.indexOf(module) * rowH;
        const svg = s(
          'svg',
          {
            width,
            height,
            viewBox: `0 0 ${width} ${height}`,
            'data-testid': `bus-${bus.name}`,
            'data-closed': String(bus.closed),
          },
          s(
            'text',
            { x: 10, y: 16, 'font-size': 11, fill: '#687387' },
            `${bus.name}${bus.closed ? ' (closed)' : ''}: event types`,
          ),
          s('text', { x: 470, y: 16, 'font-size': 11, fill: '#687387' }, 'subscribed modules'),
        );
        for (const edge of bus.edges) {
          const y1 = yType(edge.type);
          const y2 = yModule(edge.module);
          svg.append(
            s(
              'g',
              {
                'data-testid': 'edge',
                'data-type': edge.type,
                'data-module': edge.module,
                'data-overflow': edge.overflow,
              },
              s('path', {
                d: `M 200 ${y1} C 320 ${y1}, 340 ${y2}, 460 ${y2}`,
                fill: 'none',
                stroke: edge.watched ? '#4a7bd0' : '#b8bec9',
                'stroke-width': 1.5,
              }),
              s(
                'text',
                { x: 330, y: (y1 + y2) / 2 - 4, 'font-size': 11, 'text-anchor': 'middle', fill: '#1d2330' },
                `${rate(edge.perSecond)} · ${edge.delivered}`,
              ),
            ),
          );
        }
        for (const type of types) {
          const t = bus.types.find((x) => x.type === type);
          svg.append(
            s(
              'g',
              { 'data-testid': 'event-type', 'data-type': type },
              s('circle', { cx: 200, cy: yType(type), r: 4, fill: '#1d2330' }),
              s(
                'text',
                { x: 190, y: yType(type) + 4, 'font-size': 12, 'text-anchor': 'end' },
                `${type} (${t === undefined ? 0 : t.published}, ${rate(t === undefined ? 0 : t.perSecond)})`,
              ),
            ),
          );
        }
        for (const target of targets) {
          const state = statusOf.get(target);
          svg.append(
            s(
              'g',
              { 'data-testid': 'subscriber', 'data-module': target },
              s('rect', {
                x: 460,
                y: yModule(target) - 9,
                width: 170,
                height: 18,
                rx: 4,
                fill: state === undefined ? '#eef0f3' : state === 'stopped' ? '#3b4252' : '#d4e4fb',
              }),
              s(
                'text',
                {
                  x: 468,
                  y: yModule(target) + 4,
                  'font-size': 12,
                  fill: state === 'stopped' ? '#fff' : '#1d2330',
                },
                state === undefined ? target : `${target} (${state})`,
              ),
            ),
          );
        }
        return svg;
      }),
    );
  }

  function options(select: HTMLSelectElement, values: readonly string[]): void {
    const selected = select.value;
    const wanted = ['', ...values];
    const have = Array.from(select.options, (o) => o.value);
    if (have.join('\u0000') === wanted.join('\u0000')) return;
    const first = select.options[0];
    select.replaceChildren(
      ...(first === undefined ? [] : [first]),
      ...values.map((v) => h('option', { value: v }, v)),
    );
    select.value = wanted.includes(selected) ? selected : '';
  }

  function drawLists(): void {
    if (snapshot === undefined) return;
    const now = snapshot.now;
    const names = snapshot.modules.map((m) => m.name);
    const kinds = ['request', 'command'];
    options(dlModule, names);
    options(dlKind, kinds);
    options(dlReason, [...new Set(deadLetters.map((d) => d.reason))].sort());
    options(erModule, names);
    options(erKind, kinds);
    const when = (at: number): string => `−${((now - at) / 1_000).toFixed(1)} s`;
    const matches = (text: string, ...fields: (string | undefined)[]): boolean =>
      text === '' || fields.some((f) => f !== undefined && f.toLowerCase().includes(text.toLowerCase()));
    const shownLetters = deadLetters
      .filter(
        (d) =>
          (dlModule.value === '' || d.module === dlModule.value) &&
          (dlKind.value === '' || d.kind === dlKind.value) &&
          (dlReason.value === '' || d.reason === dlReason.value) &&
          matches(dlText.value, d.code, d.reason, d.message, d.error),
      )
      .reverse();
    dlBody.replaceChildren(
      ...(shownLetters.length === 0
        ? [h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'none'))]
        : shownLetters.map((d) =>
            h(
              'tr',
              {
                'data-testid': 'dead-letter',
                'data-module': d.module,
                'data-kind': d.kind,
                'data-reason': d.reason,
                'data-code': d.code,
              },
              h('td', {}, when(d.at)),
              h('td', {}, d.module),
              h('td', {}, d.kind),
              h('td', {}, d.reason),
              h('td', {}, d.code ?? ''),
              h('td', { class: 'text' }, d.message),
              h('td', { class: 'text' }, d.error ?? ''),
            ),
          )),
    );
    const shownErrors = errors
      .filter(
        (e) =>
          (erModule.value === '' || e.module === erModule.value) &&
          (erKind.value === '' || e.kind === erKind.value) &&
          matches(erText.value, e.code, e.message, e.error),
      )
      .reverse();
    erBody.replaceChildren(
      ...(shownErrors.length === 0
        ? [h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'none'))]
        : shownErrors.map((e) =>
            h(
              'tr',
              { 'data-testid': 'error', 'data-module': e.module, 'data-kind': e.kind, 'data-code': e.code },
              h('td', {}, when(e.at)),
              h('td', {}, e.module),
              h('td', {}, e.kind),
              h('td', {}, e.code ?? ''),
              h('td', { class: 'text' }, e.message),
              h('td', { class: 'text' }, e.error),
            ),
          )),
    );
  }

  return {
    update(next) {
      merge(next);
      draw();
    },
    connected(on) {
      connected = on;
      draw();
    },
    destroy() {
      for (const [target, type, listener] of listeners) target.removeEventListener(type, listener);
      timeline.clear();
      deadLetters = [];
      errors = [];
      snapshot = undefined;
      root.replaceChildren();
    },
  };
}
