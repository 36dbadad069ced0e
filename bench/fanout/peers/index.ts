/** The fan-out implementations, in table order. The floor is the reference of every ratio. */
import type { FanoutPeer } from '../peer.js';
import { fanoutEmittery } from './emittery.js';
import { fanoutEventemitter3 } from './eventemitter3.js';
import { fanoutFloor } from './floor.js';
import { fanoutMitt } from './mitt.js';
import { fanoutNestjsCqrs } from './nestjs-cqrs.js';
import { fanoutSpark } from './spark-channel.js';

export const FANOUT_PEERS: readonly FanoutPeer[] = [
  fanoutFloor,
  fanoutSpark,
  fanoutMitt,
  fanoutEventemitter3,
  fanoutEmittery,
  fanoutNestjsCqrs,
];
