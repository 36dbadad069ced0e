// The worker thread bootstrap is code that runs in every worker: where it is written must be a
// place no other local user can put a file, and what is loaded must be what this version wrote.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

import { spawnWorkerModule } from '../../lib/worker/index.js';
import {
  isThreadFile,
  removeThreadFiles,
  THREAD_SOURCE,
  threadFile,
  writeThreadFile,
} from '../../lib/worker/thread-source.js';
import { recordingLogger } from '../support/helpers.js';

const KITCHEN_SINK = join(__dirname, 'fixtures', 'kitchen-sink.worker.mjs');

// A stand-in for the shared temp directory (world-writable and sticky, as /tmp is), so that the
// planted files never reach the temp directory other specs' workers use.
const home = mkdtempSync(join(tmpdir(), 'spark-channel-plant-'));
const sharedTmp = join(home, 'tmp');
const marker = join(home, 'planted-code-ran');

/** What another local user would plant: it leaves a marker when loaded or run, and answers every task. */
const PLANTED = `import { appendFileSync } from 'node:fs';
import { serialize } from 'node:v8';
appendFileSync(${JSON.stringify(marker)}, 'loaded\\n');
globalThis.plantedCodeRan = true;
export default function run() {
  appendFileSync(${JSON.stringify(marker)}, 'ran\\n');
  return serialize({ ok: true, value: 'planted' });
}
`;

/** Every name an attacker could derive from the package: the old content-addressed one, and guesses. */
function predictableNames(): string[] {
  const digest = createHash('sha256').update(THREAD_SOURCE).digest('hex');
  return [
    `spark-channel-worker-${digest.slice(0, 16)}.mjs`,
    `spark-channel-worker-${digest}.mjs`,
    'spark-channel-worker.mjs',
    'spark-channel-worker-thread.mjs',
    'spark-channel-thread.mjs',
  ];
}

beforeAll(() => {
  mkdirSync(sharedTmp);
  chmodSync(sharedTmp, 0o1777);
  for (const name of predictableNames()) writeFileSync(join(sharedTmp, name), PLANTED);
});

// The library asks os.tmpdir() each time (jest's sandboxed process.env does not reach it).
beforeEach(() => {
  jest.spyOn(jest.requireActual<typeof import('node:os')>('node:os'), 'tmpdir').mockReturnValue(sharedTmp);
});

afterEach(() => {
  rmSync(marker, { force: true });
});

afterAll(() => {
  removeThreadFiles();
  rmSync(home, { recursive: true, force: true });
});

describe('the worker thread bootstrap', () => {
  it('never runs code planted at the old predictable path (or any guessable name) in the temp directory', async () => {
    expect(tmpdir()).toBe(sharedTmp);
    const { dispatcher, closed } = spawnWorkerModule<{ type: string; value?: unknown }, unknown>(
      KITCHEN_SINK,
      {
        logger: recordingLogger(),
        threads: 2,
      },
    );
    // The real bootstrap ran: the kitchen-sink handler answered, from a worker thread.
    expect(await dispatcher.request({ type: 'echo', value: 'real' })).toBe('real');
    expect(await dispatcher.request({ type: 'thread' })).toEqual(expect.any(Number));
    await dispatcher.shutdown();
    await closed;
    expect(existsSync(marker)).toBe(false);
    expect((globalThis as { plantedCodeRan?: boolean }).plantedCodeRan).toBeUndefined();
    // The planted files are still there, untouched: they were neither run nor reused.
    for (const name of predictableNames()) expect(readFileSync(join(sharedTmp, name), 'utf8')).toBe(PLANTED);
  });

  it('writes it in a new private directory: mode 0700, owned by this user, the file 0600, a name nobody can predict', () => {
    const file = threadFile();
    const dir = dirname(file);
    expect(dirname(dir)).toBe(sharedTmp);
    expect(basename(dir)).toMatch(/^spark-channel-worker-[A-Za-z0-9]{6}$/);
    expect(predictableNames()).not.toContain(basename(file));
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    expect(lstatSync(dir).uid).toBe(process.getuid?.());
    expect(readFileSync(file, 'utf8')).toBe(THREAD_SOURCE);
    expect(threadFile()).toBe(file); // unchanged: reused within this process
    const another = writeThreadFile(sharedTmp);
    expect(dirname(another)).not.toBe(dir);
  });

  it('never loads a bootstrap changed after it was written: it writes a fresh one', async () => {
    const file = threadFile();
    writeFileSync(file, PLANTED); // a tmp cleaner, or anything else, has been at it
    const { dispatcher, closed } = spawnWorkerModule<{ type: string; value?: unknown }, unknown>(
      KITCHEN_SINK,
      {
        logger: recordingLogger(),
      },
    );
    expect(await dispatcher.request({ type: 'echo', value: 'real' })).toBe('real');
    await dispatcher.shutdown();
    await closed;
    expect(existsSync(marker)).toBe(false);
    const fresh = threadFile();
    expect(fresh).not.toBe(file);
    expect(readFileSync(fresh, 'utf8')).toBe(THREAD_SOURCE);
  });

  it('keeps serving when the bootstrap is removed under a running pool (a temp cleaner): threads started later load a fresh one', async () => {
    const logger = recordingLogger();
    const { dispatcher, closed } = spawnWorkerModule<{ type: string }, unknown>(KITCHEN_SINK, { logger });
    const first = await dispatcher.request({ type: 'thread' });
    const file = threadFile();
    rmSync(dirname(file), { recursive: true });
    // The thread dies; its replacement must load the bootstrap, which is gone.
    await expect(dispatcher.request({ type: 'exit' })).rejects.toMatchObject({ code: 'RECEIVE_FAILED' });
    const second = await dispatcher.request({ type: 'thread' }, { timeoutMs: 10_000 });
    expect(second).toEqual(expect.any(Number));
    expect(second).not.toBe(first);
    expect(threadFile()).not.toBe(file);
    expect(logger.warnings).toEqual([]); // no thread failed to start
    await dispatcher.shutdown();
    await closed;
  });

  it('refuses a file that is missing, a link, writable by others, or in a directory open to others', () => {
    const file = writeThreadFile(sharedTmp);
    expect(isThreadFile(file)).toBe(true);

    chmodSync(dirname(file), 0o755);
    expect(isThreadFile(file)).toBe(false);
    chmodSync(dirname(file), 0o700);
    chmodSync(file, 0o622);
    expect(isThreadFile(file)).toBe(false);
    chmodSync(file, 0o600);
    expect(isThreadFile(file)).toBe(true);

    const link = join(dirname(file), 'link.mjs');
    symlinkSync(file, link);
    expect(isThreadFile(link)).toBe(false);
    const inSharedTmp = join(sharedTmp, predictableNames()[0] ?? '');
    expect(isThreadFile(inSharedTmp)).toBe(false); // the directory is world-writable
    expect(isThreadFile(join(dirname(file), 'missing.mjs'))).toBe(false);
  });

  it('never reuses a file that is already where it writes (exclusive create)', () => {
    // mkdtemp makes a new directory each time; pretend it returned one with a file planted in it.
    const planted = mkdtempSync(join(home, 'planted-'));
    writeFileSync(join(planted, 'thread.mjs'), PLANTED);
    const fs = jest.requireActual<typeof import('node:fs')>('node:fs');
    jest.spyOn(fs, 'mkdtempSync').mockReturnValue(planted);
    expect(() => writeThreadFile(sharedTmp)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(readFileSync(join(planted, 'thread.mjs'), 'utf8')).toBe(PLANTED);
  });

  it('throws, rather than return a path, when what it wrote does not read back as written', () => {
    const fs = jest.requireActual<typeof import('node:fs')>('node:fs');
    jest.spyOn(fs, 'readFileSync').mockReturnValue('something else');
    expect(() => writeThreadFile(sharedTmp)).toThrow(/did not read back as written.*refusing to load it/);
  });

  it('removes every directory it wrote (as it does when the process exits)', () => {
    const file = threadFile();
    expect(existsSync(file)).toBe(true);
    removeThreadFiles();
    expect(existsSync(dirname(file))).toBe(false);
    expect(
      readdirSync(sharedTmp).filter(
        (name) => name.startsWith('spark-channel-worker-') && !name.endsWith('.mjs'),
      ),
    ).toEqual([]);
    expect(threadFile()).not.toBe(file);
  });
});
