/**
 * `npm run bench -- --profile`: where spark-channel's time and allocations go. Runs its
 * sequential, pipelined and commands scenarios (sync and async handler; `--profile=<id>` picks
 * other implementations, `--scenario=<id>` one scenario) after a warm-up under the
 * inspector's CPU profiler and sampling heap profiler, writes the raw .cpuprofile /
 * .heapprofile files to .tmp/bench-profiles/ (open them in Chrome DevTools), and prints the top
 * functions by self time and by bytes allocated, per message.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { findSourceMap } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Config } from './config.js';
import { type Peer, SPARK } from './peers/index.js';
import { timeScenarios } from './scenarios.js';
import { type HandlerKind, Workload } from './workload.js';

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface CpuNode {
  id: number;
  callFrame: Frame;
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}
interface HeapNode {
  callFrame: Frame;
  selfSize: number;
  children: HeapNode[];
}

/** The original line of a frame in a TypeScript file tsx compiled (its output is one long line). */
function originalLine(frame: Frame): number {
  if (!frame.url.endsWith('.ts')) return frame.lineNumber + 1;
  const path = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  const map = findSourceMap(path);
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as { originalLine?: number } | undefined;
  return entry?.originalLine === undefined ? frame.lineNumber + 1 : entry.originalLine + 1;
}

const where = (frame: Frame): string => {
  const url = frame.url.replace(/^file:\/\//, '');
  const short = url.includes('/node_modules/')
    ? url
        .slice(url.lastIndexOf('/node_modules/') + '/node_modules/'.length)
        .replace(/\/dist\/cjs\/internal\//, '/')
    : url.includes('/.tmp/bench-lib/')
      ? `lib/${url.slice(url.indexOf('/.tmp/bench-lib/') + '/.tmp/bench-lib/'.length)} (tsc output)`
      : url.includes('/lib/')
        ? url.slice(url.lastIndexOf('/lib/') + 1)
        : url.includes('/bench/')
          ? url.slice(url.lastIndexOf('/bench/') + 1)
          : url === ''
            ? ''
            : url;
  return `${frame.functionName || '(anonymous)'} ${short ? `${short}:${originalLine(frame)}` : ''}`.trim();
};

function area(url: string, name: string): string {
  if (
    url.includes('/lib/') ||
    url.includes('/.tmp/bench-lib/') ||
    (url.includes('/dist/cjs/') && !url.includes('/node_modules/'))
  )
    return 'spark-channel lib/';
  if (url.includes('/node_modules/rxjs/')) return 'rxjs';
  if (url.includes('/bench/')) return 'bench harness + handler';
  if (url.startsWith('node:')) return 'node internals';
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)' || name === '(idle)' || name === '(root)') return 'V8 / idle';
  return 'other (V8 builtins: promises, microtasks…)';
}

function cpuSummary(profile: CpuProfile, messages: number): string {
  const total = profile.endTime - profile.startTime; // µs
  const samples = profile.samples?.length ?? 1;
  const perSample = total / samples;
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const key = where(node.callFrame);
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
    const a = area(node.callFrame.url, node.callFrame.functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + hits);
  }
  const lines = [`  ${(total / messages).toFixed(3)} µs per message profiled (profiler overhead included)`];
  lines.push('  by area:');
  for (const [a, hits] of [...byArea].sort((p, q) => q[1] - p[1])) {
    lines.push(
      `    ${((hits / samples) * 100).toFixed(1).padStart(5)}%  ${((hits * perSample) / messages).toFixed(3)} µs/msg  ${a}`,
    );
  }
  lines.push('  top functions by self time:');
  for (const [fn, hits] of [...byFunction].sort((p, q) => q[1] - p[1]).slice(0, 25)) {
    lines.push(`    ${((hits / samples) * 100).toFixed(1).padStart(5)}%  ${fn}`);
  }
  return lines.join('\n');
}

function heapSummary(root: HeapNode, messages: number): string {
  const byFunction = new Map<string, number>();
  let total = 0;
  const visit = (node: HeapNode): void => {
    if (node.selfSize > 0) {
      const key = where(node.callFrame);
      byFunction.set(key, (byFunction.get(key) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    node.children.forEach(visit);
  };
  visit(root);
  const lines = [
    `  ~${Math.round(total / messages)} bytes allocated per message (sampled, GC'd objects included)`,
  ];
  lines.push('  top allocating functions:');
  for (const [fn, bytes] of [...byFunction].sort((p, q) => q[1] - p[1]).slice(0, 20)) {
    lines.push(`    ${String(Math.round(bytes / messages)).padStart(5)} B/msg  ${fn}`);
  }
  return lines.join('\n');
}

export async function profile(config: Config, peers: readonly Peer[], root: string): Promise<void> {
  const dir = join(root, '.tmp', 'bench-profiles');
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('HeapProfiler.enable');
  // `--profile` alone: spark-channel; `--profile=<id>[,<id>]`: those implementations.
  const chosen = process.argv
    .filter((a) => a.startsWith('--profile='))
    .flatMap((a) => a.slice('--profile='.length).split(','));
  const targets = peers.filter((p) => (chosen.length === 0 ? p.id === SPARK : chosen.includes(p.id)));
  const only = process.argv.find((a) => a.startsWith('--scenario='))?.slice('--scenario='.length);
  const scenarios = timeScenarios(config).filter((s) =>
    only !== undefined
      ? s.id === only
      : s.group === 'sequential' ||
        s.group === 'commands' ||
        (s.group === 'pipelined' && s.messages === config.pipelined[1]),
  );
  for (const peer of targets) {
    for (const scenario of scenarios) {
      for (const kind of ['sync', 'async'] as HandlerKind[]) {
        const work = new Workload(kind);
        const bus = await peer.create(work.handler, () => work.next());
        const warm = Math.ceil(config.warmupMessages.first / scenario.messages);
        for (let i = 0; i < warm; i++) await scenario.run(bus, work);
        const rounds = Math.max(3, Math.ceil((config.quick ? 5_000 : 200_000) / scenario.messages));

        await session.post('Profiler.start');
        for (let i = 0; i < rounds; i++) await scenario.run(bus, work);
        const { profile: cpu } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };

        await session.post('HeapProfiler.startSampling', {
          samplingInterval: 256,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        } as never);
        for (let i = 0; i < rounds; i++) await scenario.run(bus, work);
        const { profile: heap } = (await session.post('HeapProfiler.stopSampling')) as unknown as {
          profile: { head: HeapNode };
        };
        work.verify(`${peer.id} profile`);
        await bus.close();

        const name = `${peer.id}-${scenario.id}-${kind}`;
        writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(cpu));
        writeFileSync(join(dir, `${name}.heapprofile`), JSON.stringify(heap));
        const messages = rounds * scenario.messages;
        process.stdout.write(
          `\n== ${peer.label}: ${scenario.title}, ${kind} handler (${messages.toLocaleString('en-US')} messages)\n` +
            `${cpuSummary(cpu, messages)}\n${heapSummary(heap.head, messages)}\n`,
        );
      }
    }
  }
  session.disconnect();
  process.stdout.write(`\nraw profiles in ${dir}\n`);
}
