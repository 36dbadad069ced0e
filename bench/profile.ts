/**
 * `npm run bench -- --profile`: where spark-channel's time and allocations go. For each
 * implementation (`--only=<id>,…` picks others than spark-channel), scenario (sequential,
 * pipelined 10,000 and both command scenarios; `--scenario=<id>` one of them) and handler kind,
 * one child process (bench/child.ts --profile, nothing else loaded) warms up, then runs the
 * scenario under the inspector's CPU profiler and sampling heap profiler, writes the raw
 * .cpuprofile / .heapprofile files to .tmp/bench-profiles/ (open them in Chrome DevTools), and
 * prints the top functions by self time and by bytes allocated, per message. Harness lines are
 * those of its transpiled JavaScript in .tmp/bench-js/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

import type { Config } from './config.js';
import type { Peer } from './peers/peer.js';
import type { TimeScenario } from './scenarios.js';
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

const where = (frame: Frame): string => {
  const url = frame.url.replace(/^file:\/\//, '');
  const short = url.includes('/node_modules/')
    ? url
        .slice(url.lastIndexOf('/node_modules/') + '/node_modules/'.length)
        .replace(/\/dist\/cjs\/internal\//, '/')
    : url.includes('/.tmp/bench-lib/')
      ? `lib/${url.slice(url.indexOf('/.tmp/bench-lib/') + '/.tmp/bench-lib/'.length)} (tsc output)`
      : url.includes('/.tmp/bench-spark/')
        ? `dist/cjs/${url.slice(url.indexOf('/', url.indexOf('/.tmp/bench-spark/') + '/.tmp/bench-spark/'.length) + 1)}`
        : url.includes('/.tmp/bench-js/')
          ? `bench/${url.slice(url.indexOf('/.tmp/bench-js/') + '/.tmp/bench-js/'.length)}`
          : url.includes('/lib/')
            ? url.slice(url.lastIndexOf('/lib/') + 1)
            : url === ''
              ? ''
              : url;
  return `${frame.functionName || '(anonymous)'} ${short ? `${short}:${frame.lineNumber + 1}` : ''}`.trim();
};

function area(url: string, name: string): string {
  if (url.includes('/node_modules/rxjs/')) return 'rxjs';
  if (url.includes('/.tmp/bench-js/') || url.includes('/bench/')) return 'bench harness + handler';
  if (
    !url.includes('/node_modules/') &&
    (url.includes('/lib/') || url.includes('/.tmp/bench-lib/') || url.includes('/.tmp/bench-spark/'))
  )
    return 'spark-channel';
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

/** Profiles one implementation on one scenario and handler kind, in this (fresh) process. */
export async function profileOne(
  config: Config,
  peer: Peer,
  scenario: TimeScenario,
  kind: HandlerKind,
): Promise<void> {
  const work = new Workload(kind);
  const bus = await peer.create(work.handler, () => work.next());
  await profileRun(config, {
    name: `${peer.id}-${scenario.id}-${kind}`,
    heading: `${peer.label}: ${scenario.title}, ${kind} handler`,
    messages: scenario.messages,
    warmups: Math.ceil(config.warmupMessages / scenario.messages),
    run: () => scenario.run(bus, work),
    finish: async () => {
      work.verify(`${peer.id} profile`);
      await bus.close();
    },
  });
}

/** One thing to profile: a batch to run again and again, and what to check when done. */
export interface Profiled {
  /** File name of the raw profiles. */
  readonly name: string;
  readonly heading: string;
  /** Messages (or events) per batch: the divisor of the figures. */
  readonly messages: number;
  /** Batches run before profiling. */
  readonly warmups: number;
  /** Work per batch that sizes the profiled run (deliveries for a fan-out); `messages` by default. */
  readonly work?: number;
  run(): Promise<unknown>;
  /** Checks every answer and closes what was measured. */
  finish(): Promise<void>;
}

/** Warms `target` up, then runs it under the CPU profiler, then the sampling heap profiler. */
export async function profileRun(config: Config, target: Profiled): Promise<void> {
  const dir = join(process.cwd(), '.tmp', 'bench-profiles');
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('HeapProfiler.enable');
  for (let i = 0; i < target.warmups; i++) await target.run();
  const rounds = Math.max(3, Math.ceil((config.quick ? 5_000 : 200_000) / (target.work ?? target.messages)));

  await session.post('Profiler.start');
  for (let i = 0; i < rounds; i++) await target.run();
  const { profile: cpu } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };

  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as never);
  for (let i = 0; i < rounds; i++) await target.run();
  const { profile: heap } = (await session.post('HeapProfiler.stopSampling')) as unknown as {
    profile: { head: HeapNode };
  };
  await target.finish();
  session.disconnect();

  const name = target.name;
  writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(cpu));
  writeFileSync(join(dir, `${name}.heapprofile`), JSON.stringify(heap));
  const messages = rounds * target.messages;
  process.stdout.write(
    `\n== ${target.heading} (${messages.toLocaleString('en-US')} messages)\n` +
      `${cpuSummary(cpu, messages)}\n${heapSummary(heap.head, messages)}\n` +
      `raw profiles: ${join(dir, name)}.{cpuprofile,heapprofile}\n`,
  );
}
