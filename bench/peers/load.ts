/**
 * Loads one implementation by id, and only its module: a child process measures one
 * implementation and must not load (or run the top-level code of) any other, so nothing but its
 * own libraries shapes the engine's state.
 */
import { createRequire } from 'node:module';

import type { Peer } from './peer.js';

/** The module defining each implementation, relative to this file. */
const MODULES: Readonly<Record<string, string>> = {
  'floor-queue': './floor-queue.js',
  'minimal-design': './minimal-design.js',
  'spark-channel': './spark-channel.js',
  'spark-channel-timeout-signal': './spark-channel.js',
  'spark-channel-bounded': './spark-channel.js',
  'direct-call': './direct-call.js',
  'textbook-rxjs': './textbook-rxjs.js',
  'p-queue': './p-queue.js',
  emittery: './emittery.js',
  eventemitter3: './eventemitter3.js',
  'nestjs-cqrs': './nestjs-cqrs.js',
};

export const PEER_IDS: readonly string[] = Object.keys(MODULES);

export function loadPeer(id: string): Peer {
  const file = MODULES[id];
  if (file === undefined) throw new Error(`unknown implementation '${id}' (known: ${PEER_IDS.join(', ')})`);
  const exports = createRequire(__filename)(file) as Record<string, unknown>;
  const peer = Object.values(exports).find(
    (value): value is Peer =>
      typeof value === 'object' && value !== null && (value as Partial<Peer>).id === id,
  );
  if (peer === undefined) throw new Error(`${file} exports no implementation with id '${id}'`);
  return peer;
}
