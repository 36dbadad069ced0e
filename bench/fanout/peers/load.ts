/**
 * Loads one fan-out implementation by id, and only its module (as bench/peers/load.ts does for
 * the request/command ones): a child process must not load any other library.
 */
import { createRequire } from 'node:module';

import type { FanoutPeer } from '../peer.js';

const MODULES: Readonly<Record<string, string>> = {
  'floor-queue': './floor.js',
  'spark-channel': './spark-channel.js',
  mitt: './mitt.js',
  eventemitter3: './eventemitter3.js',
  emittery: './emittery.js',
  'nestjs-cqrs': './nestjs-cqrs.js',
};

export const FANOUT_PEER_IDS: readonly string[] = Object.keys(MODULES);

export function loadFanoutPeer(id: string): FanoutPeer {
  const file = MODULES[id];
  if (file === undefined) {
    throw new Error(`no fan-out implementation '${id}' (known: ${FANOUT_PEER_IDS.join(', ')})`);
  }
  const exports = createRequire(__filename)(file) as Record<string, unknown>;
  const peer = Object.values(exports).find(
    (value): value is FanoutPeer =>
      typeof value === 'object' && value !== null && (value as Partial<FanoutPeer>).id === id,
  );
  if (peer === undefined) throw new Error(`${file} exports no fan-out implementation with id '${id}'`);
  return peer;
}
