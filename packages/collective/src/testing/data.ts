import { createHash } from 'node:crypto';

/** Deterministic input of `rank` for a test: parent and child processes derive the same floats. */
export function rankInput(seed: number, rank: number, length: number): Float32Array {
  let a = (Math.imul(seed, 0x9e3779b1) ^ Math.imul(rank + 1, 0x85ebca6b)) >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    // Mixed magnitudes make summation order visible in the low bits.
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * (i % 7 === 0 ? 1000 : 1);
  }
  return out;
}

export function rankBytes(seed: number, size: number): Uint8Array {
  const floats = rankInput(seed, 99, Math.ceil(size / 4));
  return new Uint8Array(floats.buffer, 0, size).slice();
}

export function digest(view: ArrayBufferView | readonly ArrayBufferView[]): string {
  const hash = createHash('sha256');
  for (const v of ArrayBuffer.isView(view) ? [view] : view)
    hash.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return hash.digest('hex');
}

export type RankOp =
  | {
      readonly op: 'allreduce';
      readonly length: number;
      readonly seed: number;
      readonly bucketId: number;
      readonly widthHash: number;
      readonly step: number;
      readonly deadlineMs?: number;
      readonly weight?: number;
      readonly values?: boolean;
    }
  | {
      readonly op: 'broadcast';
      readonly root: number;
      readonly sizes: readonly number[];
      readonly seed: number;
      readonly step: number;
      readonly deadlineMs?: number;
    }
  | { readonly op: 'barrier'; readonly step: number; readonly deadlineMs?: number }
  | { readonly op: 'hang' };

export interface RankSetup {
  readonly runId: string;
  readonly generation: number;
  readonly secret?: string;
  readonly chunkBytes?: number;
  /** false: plain tcp loopback between the ranks, no ipc:// twins (default true). */
  readonly ipc?: boolean;
  readonly deadlineMs?: number;
}

export interface OpOutcome {
  readonly ok: boolean;
  readonly digest?: string;
  readonly head?: number[];
  /** Peak resident set size during the op minus the size just before it (sampled every 5 ms). */
  readonly rssGrowth?: number;
  /** The whole result, when the op asked for it (`values: true`). */
  readonly values?: number[];
  readonly error?: { name: string; code: string; message: string; ranks: number[]; peer?: number };
}

export type ChildMessage =
  | { kind: 'bound'; address: string }
  | { kind: 'started' }
  | { kind: 'result'; index: number; outcome: OpOutcome }
  | { kind: 'done'; counters: unknown };

export type ParentMessage = { kind: 'start'; rank: number; worldSize: number; peers: string[]; ops: RankOp[] };
