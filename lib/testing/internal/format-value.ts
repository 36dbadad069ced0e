// A small, safe renderer for failure messages. Not node:util's `inspect`: the test kit must run
// under vitest in a browser too. It never throws, never calls getters, survives cycles and
// proxies, and bounds its output however large the value.

/** How much of a value {@link formatValue} shows. */
export interface FormatLimits {
  /** Nesting levels shown; deeper containers render as `[Object]`, `[Array]`… */
  readonly depth: number;
  /** Entries shown per container; the rest are counted (`… 3 more`). */
  readonly items: number;
  /** Characters shown of a string. */
  readonly stringLength: number;
  /** Characters of the whole rendering; longer ones end with `…`. */
  readonly length: number;
}

const DEFAULT_LIMITS: FormatLimits = { depth: 4, items: 20, stringLength: 100, length: 300 };
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

interface State {
  readonly limits: FormatLimits;
  /** The containers being rendered, outermost first: meeting one again is a cycle. */
  readonly ancestors: object[];
  /** Characters written so far; past `limits.length`, containers stop listing entries. */
  written: number;
}

/**
 * Renders any value as short, JSON-like text: `{ type: "GetUser", id: 7 }`.
 *
 * @example
 * formatValue({ type: 'GetUser', at: new Date(0), tags: new Set(['a']) });
 * // '{ type: "GetUser", at: Date(1970-01-01T00:00:00.000Z), tags: Set(1) { "a" } }'
 */
export function formatValue(value: unknown, limits: Partial<FormatLimits> = {}): string {
  const state: State = { limits: { ...DEFAULT_LIMITS, ...limits }, ancestors: [], written: 0 };
  const text = render(value, 0, state);
  const max = state.limits.length;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function render(value: unknown, depth: number, state: State): string {
  if (typeof value === 'object' && value !== null) {
    try {
      return renderObject(value, depth, state);
    } catch {
      return leaf('[unrenderable object]', state); // a revoked proxy, a throwing trap…
    }
  }
  return leaf(renderPrimitive(value, state), state);
}

/** Counts what a leaf adds to the output (containers only add their leaves and separators). */
function leaf(text: string, state: State): string {
  state.written += text.length;
  return text;
}

function renderPrimitive(value: unknown, state: State): string {
  switch (typeof value) {
    case 'string':
      return renderString(value, state.limits.stringLength);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return renderFunction(value);
    default:
      return String(value); // boolean, undefined
  }
}

function renderString(text: string, max: number): string {
  if (text.length <= max) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, max))}… (${text.length} characters)`;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- any function is rendered alike
function renderFunction(fn: Function): string {
  const name = safeName(fn);
  return name === '' ? '[Function (anonymous)]' : `[Function ${name}]`;
}

function renderObject(value: object, depth: number, state: State): string {
  if (value instanceof Date) {
    return leaf(Number.isNaN(value.getTime()) ? 'Date(Invalid)' : `Date(${value.toISOString()})`, state);
  }
  if (value instanceof RegExp) return leaf(value.toString(), state);
  if (value instanceof Error) return leaf(renderError(value, state), state);
  if (state.ancestors.includes(value)) return leaf('[Circular]', state);
  const matcher = renderMatcher(value);
  if (matcher !== undefined) return leaf(matcher, state);
  const tag = constructorName(value);
  if (depth >= state.limits.depth) return leaf(`[${tag ?? 'Object'}]`, state);
  state.ancestors.push(value);
  try {
    return renderContainer(value, tag, depth + 1, state);
  } finally {
    state.ancestors.pop();
  }
}

function renderContainer(value: object, tag: string | undefined, depth: number, state: State): string {
  if (Array.isArray(value)) {
    const items = list(value.length, state, (i) => render(value[i], depth, state));
    return tag === 'Array' ? `[${items}]` : `${tag ?? 'Array'}(${value.length}) [${items}]`;
  }
  if (value instanceof Map) {
    const entries = [...value.entries()];
    const items = list(entries.length, state, (i) => {
      const [key, item] = entries[i] as [unknown, unknown];
      return `${render(key, depth, state)} => ${render(item, depth, state)}`;
    });
    return `Map(${value.size}) {${pad(items)}}`;
  }
  if (value instanceof Set) {
    const entries = [...value.values()];
    return `Set(${value.size}) {${pad(list(entries.length, state, (i) => render(entries[i], depth, state)))}}`;
  }
  if (tag === undefined) return renderProperties(value, '[Object: null prototype] ', depth, state);
  // Not `instanceof`: typed arrays may come from another realm (jest's test context, a worker).
  if (ArrayBuffer.isView(value)) {
    const view = value as unknown as Partial<ArrayLike<number | bigint>>;
    if (view.length === undefined) return leaf(`${tag}(${value.byteLength})`, state); // a DataView
    const length = view.length;
    return `${tag}(${length}) [${list(length, state, (i) => render(view[i], depth, state))}]`;
  }
  if (value instanceof Promise || value instanceof WeakMap || value instanceof WeakSet) {
    return leaf(`${tag} {…}`, state); // their contents cannot be read synchronously
  }
  return renderProperties(value, tag === 'Object' ? '' : `${tag} `, depth, state);
}

function renderProperties(value: object, prefix: string, depth: number, state: State): string {
  const descriptors = Object.getOwnPropertyDescriptors(value);
  const properties: [string | symbol, PropertyDescriptor][] = [];
  for (const key of Reflect.ownKeys(descriptors)) {
    const descriptor = descriptors[key as keyof typeof descriptors] as PropertyDescriptor;
    if (descriptor.enumerable === true) properties.push([key, descriptor]);
  }
  const body = pad(
    list(properties.length, state, (i) => {
      const [key, descriptor] = properties[i] as [string | symbol, PropertyDescriptor];
      return `${leaf(renderKey(key), state)}: ${renderProperty(descriptor, depth, state)}`;
    }),
  );
  return `${prefix}{${body}}`;
}

function renderProperty(descriptor: PropertyDescriptor, depth: number, state: State): string {
  if ('value' in descriptor) return render(descriptor.value, depth, state);
  // Getters are not called: rendering must have no side effects.
  const accessor =
    descriptor.set === undefined ? 'Getter' : descriptor.get === undefined ? 'Setter' : 'Getter/Setter';
  return leaf(`[${accessor}]`, state);
}

/** A jest / vitest asymmetric matcher (`expect.any(Number)`) renders as it names itself: `Any<Number>`. */
function renderMatcher(value: object): string | undefined {
  const matcher = value as { asymmetricMatch?: unknown; toAsymmetricMatcher?: unknown };
  if (typeof matcher.asymmetricMatch !== 'function') return undefined;
  try {
    if (typeof matcher.toAsymmetricMatcher === 'function') {
      return String((matcher as { toAsymmetricMatcher(): unknown }).toAsymmetricMatcher());
    }
  } catch {
    // fall through to the generic name
  }
  return `${constructorName(value) ?? 'Object'}<…>`;
}

function renderError(error: Error, state: State): string {
  let name = 'Error';
  let message = '';
  let code: unknown;
  try {
    name = String(error.name);
    message = String(error.message);
    code = (error as { code?: unknown }).code;
  } catch {
    // a throwing getter on an Error subclass: keep the defaults
  }
  const codeText = typeof code === 'string' ? ` ${code}` : '';
  return `[${name}${codeText}: ${message.length > state.limits.stringLength ? `${message.slice(0, state.limits.stringLength)}…` : message}]`;
}

function renderKey(key: string | symbol): string {
  if (typeof key === 'symbol') return `[${key.toString()}]`;
  return IDENTIFIER.test(key) || /^(?:0|[1-9]\d*)$/.test(key) ? key : JSON.stringify(key);
}

/** Renders up to `limits.items` entries, fewer once the output is long enough, and counts the rest. */
function list(count: number, state: State, item: (index: number) => string): string {
  const parts: string[] = [];
  let shown = 0;
  for (; shown < count && shown < state.limits.items; shown++) {
    if (state.written > state.limits.length) break;
    parts.push(item(shown));
    state.written += 2;
  }
  if (shown < count) parts.push(`… ${count - shown} more`);
  return parts.join(', ');
}

function pad(items: string): string {
  return items === '' ? '' : ` ${items} `;
}

function constructorName(value: object): string | undefined {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === null) return undefined;
  const ctor = (prototype as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function') return 'Object';
  const name = safeName(ctor);
  return name === '' ? 'Object' : name;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- any function has a name
function safeName(fn: Function): string {
  try {
    const name: unknown = fn.name;
    return typeof name === 'string' ? name : '';
  } catch {
    return '';
  }
}
