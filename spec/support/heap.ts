// The heap specs' shared parts: they run with `node --expose-gc` (npm test does), else skip.

/** Node's `gc()`, present only under `--expose-gc`. */
export const gc = (globalThis as { gc?: () => void }).gc;

/** `it` when the heap can be measured, `it.skip` otherwise. */
export const withGc = gc === undefined ? it.skip : it;

/**
 * Heap used after full collections (several passes, so finalisers and weak refs settle); the
 * lowest of three readings, since jest and the JIT allocate alongside.
 */
export async function settledHeap(): Promise<number> {
  const readings: number[] = [];
  for (let reading = 0; reading < 3; reading++) {
    for (let i = 0; i < 4; i++) {
      gc?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    readings.push(process.memoryUsage().heapUsed);
  }
  return Math.min(...readings);
}
