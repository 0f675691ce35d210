import { tensorToArray } from '@awn/protocol';
import { CollectiveError } from './errors.js';
import { addInto, weightedInto } from './reduce.js';
import { mod, ringSegments, spanChunks } from './ring.js';
import type { RingContext } from './ring-context.js';
import { tokenRound } from './tokens.js';

/** Buckets up to this size are sent as copies (see `copySends`): 64 KiB copies cost microseconds. */
const COPY_BELOW_BYTES = 64 * 1024;

export interface RingAllReduceArgs {
  readonly bucketId: number;
  readonly widthHash: number;
  readonly chunkElements: number;
  /** This rank's weight for a weighted mean Σ w_i x_i / Σ w_i; null for a plain sum. */
  readonly weight: number | null;
}

/**
 * Ring all-reduce in place: reduce-scatter then all-gather, 2(N-1)/N of the bucket sent per rank.
 * Segment k's sum is accumulated along the ring starting at rank k and completed at rank k-1,
 * which then distributes the finished values: every rank ends with the same bits.
 *
 * Chunks are pipelined: each one is combined and forwarded as soon as it arrives, so receiving
 * (ZeroMQ's I/O thread), combining (this thread) and sending overlap across chunks. One pass per
 * received chunk does all the arithmetic: for a weighted mean, ranks send their raw data with
 * their weight in the header, each receiver folds both weights into the sum, and the rank that
 * completes a segment also divides by the total weight, so the all-gather only copies.
 *
 * Sends are views of `buffer` (no copies). That is safe because a region is only overwritten
 * after a message that causally follows the successor's receipt of the earlier send of it, and
 * the closing token round proves every send arrived before the caller gets the buffer back.
 * Buckets of at most 64 KiB are sent as copies instead and skip that round.
 *
 * Returns all ranks' weights (by rank) when `weight` is set: they ride in the reduce-scatter
 * headers, each rank appending its own, so after N-1 steps every rank knows all N.
 */
export async function ringAllReduce(
  ring: RingContext,
  buffer: Float32Array,
  args: RingAllReduceArgs,
): Promise<number[] | null> {
  const { rank, worldSize: n } = ring;
  const segments = ringSegments(buffer.length, n);
  const chunksOf = (segment: number) => spanChunks(segments[segment]!, args.chunkElements);
  const common = {
    step: ring.step,
    opSeq: ring.opSeq,
    bucketId: args.bucketId,
    widthHash: args.widthHash,
    total: buffer.length,
  };
  const expected = { total: buffer.length, bucketId: args.bucketId, widthHash: args.widthHash };
  // weightsSeen[j] is the weight of rank (rank - j) mod n.
  let weightsSeen: number[] | null = args.weight === null ? null : [args.weight];

  // A small bucket's sends are copies, so nothing references the caller's buffer once it returns
  // and the closing token round (one more hop of pure latency) can be skipped.
  const copySends = buffer.byteLength <= COPY_BELOW_BYTES;
  const sendChunk = (
    phase: 'reduce-scatter' | 'all-gather',
    ringStep: number,
    segment: number,
    offset: number,
    length: number,
  ): void => {
    const weights = phase === 'reduce-scatter' ? weightsSeen : null;
    ring.send('allreduce-chunk', { ...common, phase, ringStep, segment, offset, length, weights }, [
      { data: copySends ? buffer.slice(offset, offset + length) : buffer.subarray(offset, offset + length) },
    ]);
  };

  for (const chunk of chunksOf(rank)) sendChunk('reduce-scatter', 0, rank, chunk.offset, chunk.length);

  for (let s = 0; s < n - 1; s++) {
    const segment = mod(rank - s - 1, n);
    const last = s === n - 2;
    let stepWeights: number[] | null = null;
    for (const [c, chunk] of chunksOf(segment).entries()) {
      const { message, tensors } = await ring.expect('allreduce-chunk', {
        ...expected,
        phase: 'reduce-scatter',
        ringStep: s,
        segment,
        offset: chunk.offset,
        length: chunk.length,
      });
      if (weightsSeen !== null) {
        const received = message.weights;
        if (
          received === null ||
          received.length !== s + 1 ||
          (stepWeights !== null && !sameNumbers(stepWeights, received))
        ) {
          throw new CollectiveError(
            'mismatch',
            `allreduce #${ring.opSeq}: rank ${ring.predecessor} sent weights ${JSON.stringify(received)} to rank ${rank} at reduce-scatter step ${s}`,
            [ring.predecessor, rank],
          );
        }
        stepWeights ??= [...received];
      } else if (message.weights !== null) {
        throw new CollectiveError(
          'mismatch',
          `allreduce #${ring.opSeq}: rank ${ring.predecessor} computes a weighted mean, rank ${rank} a sum`,
          [ring.predecessor, rank],
        );
      }
      const incoming = tensorToArray(tensors[0]!) as Float32Array;
      const target = buffer.subarray(chunk.offset, chunk.offset + chunk.length);
      if (stepWeights === null) addInto(target, incoming);
      else {
        // At step 0 the predecessor sent its raw data (weight stepWeights[0]); later steps carry
        // partial sums that are already weighted.
        const total = last ? rankOrderSum(byRank([args.weight!, ...stepWeights], rank, n)) : 1;
        weightedInto(target, args.weight!, incoming, s === 0 ? stepWeights[0]! : 1, last && total > 0 ? 1 / total : 1);
      }
      if (stepWeights !== null && c === 0) weightsSeen = [args.weight!, ...stepWeights];
      if (!last) sendChunk('reduce-scatter', s + 1, segment, chunk.offset, chunk.length);
      else sendChunk('all-gather', 0, segment, chunk.offset, chunk.length);
    }
  }

  for (let t = 0; t < n - 1; t++) {
    const segment = mod(rank - t, n);
    for (const chunk of chunksOf(segment)) {
      const { tensors } = await ring.expect('allreduce-chunk', {
        ...expected,
        phase: 'all-gather',
        ringStep: t,
        segment,
        offset: chunk.offset,
        length: chunk.length,
      });
      buffer.set(tensorToArray(tensors[0]!) as Float32Array, chunk.offset);
      if (t < n - 2) sendChunk('all-gather', t + 1, segment, chunk.offset, chunk.length);
    }
  }

  if (!copySends) await tokenRound(ring, 'allreduce-fin');
  if (weightsSeen === null) return null;
  return byRank(weightsSeen, rank, n);
}

/** weightsSeen (own first, then the predecessors') reordered by rank. */
function byRank(weightsSeen: readonly number[], rank: number, n: number): number[] {
  const out = new Array<number>(n);
  for (let j = 0; j < n; j++) out[mod(rank - j, n)] = weightsSeen[j]!;
  return out;
}

/** Σ w in rank order, so the rank completing a segment divides by the number the caller sees. */
export function rankOrderSum(weightsByRank: readonly number[]): number {
  let total = 0;
  for (const w of weightsByRank) total += w;
  return total;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}
