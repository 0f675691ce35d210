import { tensorToArray } from '@awn/protocol';
import { CollectiveError } from './errors.js';
import { mod, ringSegments, spanChunks } from './ring.js';
import type { RingContext } from './ring-context.js';
import { tokenRound } from './tokens.js';

export interface RingAllReduceArgs {
  readonly bucketId: number;
  readonly widthHash: number;
  readonly chunkElements: number;
  /** This rank's weight when computing a weighted mean; null for a plain sum. */
  readonly weight: number | null;
}

/**
 * Ring all-reduce, summing in place: reduce-scatter then all-gather, 2(N-1)/N of the bucket sent
 * per rank. Segment k's sum is accumulated along the ring starting at rank k and completed at rank
 * k-1, which then distributes the finished values: every rank ends with the same bits.
 *
 * Sends are views of `buffer` (no copies). That is safe because a region is only overwritten
 * after a message that causally follows the successor's receipt of the earlier send of it, and
 * the closing token round proves every send arrived before the caller gets the buffer back.
 *
 * Returns all ranks' weights (by rank) when `weight` is set: they ride in the reduce-scatter
 * headers, each rank appending its own, so after N-1 steps every rank knows all N.
 */
export async function ringAllReduce(ring: RingContext, buffer: Float32Array, args: RingAllReduceArgs): Promise<number[] | null> {
  const { rank, worldSize: n } = ring;
  const segments = ringSegments(buffer.length, n);
  const chunksOf = (segment: number) => spanChunks(segments[segment]!, args.chunkElements);
  const common = { step: ring.step, opSeq: ring.opSeq, bucketId: args.bucketId, widthHash: args.widthHash, total: buffer.length };
  // weightsSeen[j] is the weight of rank (rank - j) mod n.
  let weightsSeen: number[] | null = args.weight === null ? null : [args.weight];

  const sendChunk = (phase: 'reduce-scatter' | 'all-gather', ringStep: number, segment: number, offset: number, length: number): void => {
    const weights = phase === 'reduce-scatter' ? weightsSeen : null;
    ring.send('allreduce-chunk', { ...common, phase, ringStep, segment, offset, length, weights }, [
      { data: buffer.subarray(offset, offset + length) },
    ]);
  };

  for (const chunk of chunksOf(rank)) sendChunk('reduce-scatter', 0, rank, chunk.offset, chunk.length);

  for (let s = 0; s < n - 1; s++) {
    const segment = mod(rank - s - 1, n);
    let stepWeights: number[] | null = null;
    for (const [c, chunk] of chunksOf(segment).entries()) {
      const { message, tensors } = await ring.expect('allreduce-chunk', {
        phase: 'reduce-scatter',
        ringStep: s,
        segment,
        offset: chunk.offset,
        length: chunk.length,
        total: buffer.length,
        bucketId: args.bucketId,
        widthHash: args.widthHash,
      });
      if (weightsSeen !== null) {
        const received = message.weights;
        if (received === null || received.length !== s + 1 || (stepWeights !== null && !sameNumbers(stepWeights, received))) {
          throw new CollectiveError('mismatch', `allreduce #${ring.opSeq}: rank ${ring.predecessor} sent weights ${JSON.stringify(received)} to rank ${rank} at reduce-scatter step ${s}`, [ring.predecessor, rank]);
        }
        stepWeights = [...received];
      } else if (message.weights !== null) {
        throw new CollectiveError('mismatch', `allreduce #${ring.opSeq}: rank ${ring.predecessor} computes a weighted mean, rank ${rank} a sum`, [ring.predecessor, rank]);
      }
      const incoming = tensorToArray(tensors[0]!) as Float32Array;
      const target = buffer.subarray(chunk.offset, chunk.offset + chunk.length);
      for (let i = 0; i < target.length; i++) target[i]! += incoming[i]!;
      if (stepWeights !== null && c === 0) weightsSeen = [args.weight!, ...stepWeights];
      if (s < n - 2) sendChunk('reduce-scatter', s + 1, segment, chunk.offset, chunk.length);
      else sendChunk('all-gather', 0, segment, chunk.offset, chunk.length);
    }
  }

  for (let t = 0; t < n - 1; t++) {
    const segment = mod(rank - t, n);
    for (const chunk of chunksOf(segment)) {
      const { tensors } = await ring.expect('allreduce-chunk', {
        phase: 'all-gather',
        ringStep: t,
        segment,
        offset: chunk.offset,
        length: chunk.length,
        total: buffer.length,
        bucketId: args.bucketId,
        widthHash: args.widthHash,
      });
      buffer.set(tensorToArray(tensors[0]!) as Float32Array, chunk.offset);
      if (t < n - 2) sendChunk('all-gather', t + 1, segment, chunk.offset, chunk.length);
    }
  }

  await tokenRound(ring, 'allreduce-fin');
  if (weightsSeen === null) return null;
  const byRank = new Array<number>(n);
  for (let j = 0; j < n; j++) byRank[mod(rank - j, n)] = weightsSeen[j]!;
  return byRank;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}
