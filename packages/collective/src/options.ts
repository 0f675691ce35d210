import type { CurveKeys } from './zap-handler.js';
import { type Limits, MAX_FRAME_BYTES, type Secret } from '@awn/protocol';
import type { RingEndpoint } from './endpoint.js';
import { CollectiveError } from './errors.js';

/** Bytes per chunk message unless the options say otherwise. */
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

export interface CommunicatorOptions {
  readonly rank: number;
  readonly worldSize: number;
  readonly generation: number;
  readonly runId: string;
  /** peers[i]: the address rank i's endpoint is bound to, as this rank dials it. */
  readonly peers: readonly string[];
  /**
   * An endpoint bound earlier (e.g. before the rank was known); it stays open when the
   * communicator closes. Without it the communicator binds `bindAddress` ?? peers[rank] itself.
   */
  readonly endpoint?: RingEndpoint;
  readonly bindAddress?: string;
  readonly secret?: Secret;
  /** Cluster CURVE keypair (z85): the ring's sockets then use CURVE (server: each endpoint). */
  readonly curve?: CurveKeys;
  /** Run password (ZAP PLAIN): the ring's connections admit only its holders, without per-message cost. */
  readonly plainPassword?: string;
  readonly limits?: Partial<Limits>;
  /** Default deadline of each collective (ms): 30 000. */
  readonly deadlineMs?: number;
  /** Bytes per chunk message (≤ 16 MiB): 4 MiB. Must be equal on all ranks. */
  readonly chunkBytes?: number;
  /** How long queued messages may still leave after close (ms): 1000. */
  readonly lingerMs?: number;
  /**
   * Dial a successor advertised at a loopback tcp address over its ipc:// twin when it has one
   * (local-twin.ts; default true). The endpoint this rank binds itself gets a twin likewise.
   */
  readonly preferIpc?: boolean;
}

export interface CollectiveCallOptions {
  /** Training step; ranks must agree (checked). */
  readonly step?: number;
  readonly deadlineMs?: number;
}

export interface AllReduceOptions extends CollectiveCallOptions {
  readonly step: number;
  readonly bucketId: number;
  /** Hash of the rank's width vector (see @awn/protocol widthHash); ranks must agree. */
  readonly widthHash: number;
}

export interface BroadcastOptions extends CollectiveCallOptions {
  readonly root: number;
}

/** Throws a RangeError naming the first invalid field of `Communicator.create`'s options. */
export function checkCommunicatorOptions(options: CommunicatorOptions): void {
  const { rank, worldSize, generation, peers } = options;
  if (!Number.isSafeInteger(worldSize) || worldSize < 1)
    throw new RangeError(`worldSize must be a positive integer, got ${worldSize}`);
  if (!Number.isSafeInteger(rank) || rank < 0 || rank >= worldSize)
    throw new RangeError(`rank ${rank} is outside [0, ${worldSize})`);
  if (!Number.isSafeInteger(generation) || generation < 0)
    throw new RangeError(`generation must be a non-negative integer, got ${generation}`);
  if (worldSize > 1 && peers.length !== worldSize)
    throw new RangeError(`peers lists ${peers.length} addresses for worldSize ${worldSize}`);
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 4 || chunkBytes % 4 !== 0 || chunkBytes > MAX_FRAME_BYTES) {
    throw new RangeError(`chunkBytes must be a multiple of 4 in [4, ${MAX_FRAME_BYTES}], got ${chunkBytes}`);
  }
  if (options.endpoint !== undefined && options.endpoint.runId !== options.runId) {
    throw new RangeError(`endpoint serves run ${options.endpoint.runId}, not ${options.runId}`);
  }
}

/** A collective call's step and deadline (the communicator's default unless given), checked. */
export function resolveCallOptions(
  opName: string,
  options: CollectiveCallOptions,
  defaultDeadlineMs: number,
  rank: number,
): { step: number; deadlineMs: number } {
  const step = options.step ?? 0;
  const deadlineMs = options.deadlineMs ?? defaultDeadlineMs;
  if (!Number.isSafeInteger(step) || step < 0)
    throw new CollectiveError('invalid', `${opName}: step must be a non-negative integer`, [rank]);
  if (!(deadlineMs > 0)) throw new CollectiveError('invalid', `${opName}: deadlineMs must be positive`, [rank]);
  return { step, deadlineMs };
}

/** The checks every all-reduce call makes before touching the ring. */
export function checkAllReduceArgs(buffer: Float32Array, options: AllReduceOptions): void {
  if (!(buffer instanceof Float32Array)) throw new CollectiveError('invalid', 'allReduce takes a Float32Array');
  if (!Number.isSafeInteger(options.bucketId) || options.bucketId < 0)
    throw new CollectiveError('invalid', `bucketId must be a non-negative integer, got ${options.bucketId}`);
  if (!Number.isInteger(options.widthHash) || options.widthHash < 0 || options.widthHash > 0xffffffff) {
    throw new CollectiveError('invalid', `widthHash must be a 32-bit unsigned integer, got ${options.widthHash}`);
  }
}
