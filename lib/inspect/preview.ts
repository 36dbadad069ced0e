// inspect: messages and errors as short text for the page, made only when a snapshot includes
// them (never per message). Every read of a value the library did not create is inside a `try`.

/** The longest text a message or an error is shown as. */
export const PREVIEW_LENGTH = 200;

/** A message as short text: JSON where it can be (cycles and bigints tolerated), else `String`. */
export function previewOf(value: unknown): string {
  let text: string;
  try {
    if (typeof value === 'string') text = JSON.stringify(value);
    else if (value === undefined || typeof value === 'function' || typeof value === 'symbol')
      text = String(value);
    else if (value instanceof Error) text = errorText(value);
    else {
      const json: string | undefined = JSON.stringify(value, replacer()); // a toJSON may return undefined
      text = json ?? 'undefined';
    }
  } catch {
    text = fallback(value);
  }
  return text.length > PREVIEW_LENGTH ? `${text.slice(0, PREVIEW_LENGTH - 1)}…` : text;
}

/** An error as short text: `name [code]: message` for an Error, the value's preview otherwise. */
export function errorPreviewOf(error: unknown): string {
  try {
    if (error instanceof Error) {
      const text = errorText(error);
      return text.length > PREVIEW_LENGTH ? `${text.slice(0, PREVIEW_LENGTH - 1)}…` : text;
    }
  } catch {
    return fallback(error);
  }
  return previewOf(error);
}

/** The string `code` of an error (a `SparkChannelError`'s), else its `name`, else nothing. */
export function codeOf(error: unknown): string | undefined {
  try {
    if (typeof error !== 'object' || error === null) return undefined;
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === 'string') return code;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

function errorText(error: Error): string {
  const code = (error as { code?: unknown }).code;
  const name = String(error.name);
  return `${typeof code === 'string' ? `${name} [${code}]` : name}: ${String(error.message)}`;
}

function replacer(): (this: unknown, key: string, value: unknown) => unknown {
  const seen = new WeakSet<object>();
  return (_key, value) => {
    if (typeof value === 'bigint') return `${value}n`;
    if (value instanceof Error) return errorText(value);
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return '[Circular]';
      seen.add(value);
    }
    return value;
  };
}

/** For a value whose every read throws (a revoked Proxy): what it is, without touching it. */
function fallback(value: unknown): string {
  return typeof value === 'object' && value !== null ? '[unreadable object]' : typeof value;
}
