/**
 * Flag parsing for the bench CLIs (bench/index.ts, bench/workers.ts, bench/observability.ts and
 * the per-measurement child, bench/child.ts): `node:util` `parseArgs` with `strict: true`, so an
 * unknown flag, a missing value or a stray positional argument is refused with a message and exit
 * code 2 instead of being ignored; `--help` (`-h`) prints the usage. `--seconds=2` and
 * `--seconds 2` are the same thing, as parseArgs reads both.
 */
import { parseArgs } from 'node:util';

type Options = Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }>;
type Values<O extends Options> = ReturnType<
  typeof parseArgs<{
    options: O & { help: { type: 'boolean'; short: 'h' } };
    strict: true;
    allowPositionals: false;
  }>
>['values'];

/** Exit code of a command line that is wrong (the Unix convention for usage errors). */
export const USAGE_ERROR = 2;

/** Parses `args` strictly; prints `usage` and exits 0 on `--help`, prints why and exits 2 when wrong. */
export function parseCli<O extends Options>(
  name: string,
  usage: string,
  options: O,
  args: readonly string[] = process.argv.slice(2),
): Values<O> {
  let values: Values<O>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean', short: 'h' } } as O & {
        help: { type: 'boolean'; short: 'h' };
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error: unknown) {
    return refuse(name, error instanceof Error ? error.message : String(error));
  }
  if ((values as { help?: boolean }).help === true) {
    process.stdout.write(usage.endsWith('\n') ? usage : `${usage}\n`);
    process.exit(0);
  }
  return values;
}

/** Prints `name: message` and a pointer to `--help`, then exits with the usage-error code. */
export function refuse(name: string, message: string): never {
  process.stderr.write(`${name}: ${message}\nRun with --help for usage.\n`);
  process.exit(USAGE_ERROR);
}

/** A positive integer flag, or a refusal naming it. */
export function positiveInteger(name: string, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) refuse(name, `--${flag} must be a positive integer, got '${value}'`);
  return n;
}
