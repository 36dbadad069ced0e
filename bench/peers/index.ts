import { minimalDesign } from './minimal-design.js';
import { directCall } from './direct-call.js';
import { emittery } from './emittery.js';
import { eventemitter3 } from './eventemitter3.js';
import { floorQueue } from './floor-queue.js';
import { nestjsCqrs } from './nestjs-cqrs.js';
import { pQueue } from './p-queue.js';
import type { Peer } from './peer.js';
import { sparkBounded, sparkDefault, sparkTimeoutSignal } from './spark-channel.js';
import { textbookRxjs } from './textbook-rxjs.js';

export type { Bus, Guarantees, Peer } from './peer.js';

/** Every implementation, in table order. floor-queue is the reference of every ratio. */
export const PEERS: readonly Peer[] = [
  floorQueue,
  minimalDesign,
  sparkDefault,
  sparkTimeoutSignal,
  sparkBounded,
  directCall,
  textbookRxjs,
  pQueue,
  emittery,
  eventemitter3,
  nestjsCqrs,
];

export const FLOOR = floorQueue.id;
export const MINIMAL_DESIGN = minimalDesign.id;
export const SPARK = sparkDefault.id;
export const SPARK_TIMEOUT = sparkTimeoutSignal.id;
export const SPARK_BOUNDED = sparkBounded.id;
export const TEXTBOOK = textbookRxjs.id;
export const EVENT_EMITTER = eventemitter3.id;
