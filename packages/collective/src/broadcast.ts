import { asBytesView, copyInto } from './bytes.js';
import { CollectiveError } from './errors.js';
import type { RingContext } from './ring-context.js';
import { tokenRound } from './tokens.js';

interface ChunkPlan {
  readonly buffer: number;
  readonly offset: number;
  readonly length: number;
}

/** Chunks of a broadcast: each buffer split at chunkBytes, an empty buffer as one empty chunk. */
function planChunks(layout: readonly number[], chunkBytes: number): ChunkPlan[] {
  if (layout.length === 0) return [{ buffer: -1, offset: 0, length: 0 }];
  const plan: ChunkPlan[] = [];
  for (const [buffer, size] of layout.entries()) {
    if (size === 0) plan.push({ buffer, offset: 0, length: 0 });
    for (let offset = 0; offset < size; offset += chunkBytes)
      plan.push({ buffer, offset, length: Math.min(chunkBytes, size - offset) });
  }
  return plan;
}

/**
 * Pipelined ring broadcast: the root sends its buffers chunk by chunk to its successor; every
 * other rank copies each chunk into its output as it arrives and forwards it from there, until
 * the rank before the root. A closing token round tells every rank that all have everything.
 * Nothing is buffered beyond the outputs and the inbox's bounded queue, so states of hundreds of
 * megabytes stream through at a bounded memory cost.
 *
 * Non-root ranks may pass buffers to receive into; their sizes must match the root's.
 */
export async function ringBroadcast(
  ring: RingContext,
  root: number,
  buffers: readonly ArrayBufferView[] | null,
  chunkBytes: number,
): Promise<Uint8Array[]> {
  const views = buffers?.map(asBytesView) ?? null;
  if (ring.rank === root) {
    if (views === null)
      throw new CollectiveError('invalid', `broadcast: root rank ${root} must pass the buffers to send`, [root]);
    const layout = views.map((v) => v.byteLength);
    const plan = planChunks(layout, chunkBytes);
    for (const [index, chunk] of plan.entries()) {
      const bytes =
        chunk.buffer < 0 ? new Uint8Array(0) : views[chunk.buffer]!.subarray(chunk.offset, chunk.offset + chunk.length);
      ring.send(
        'broadcast-chunk',
        {
          step: ring.step,
          opSeq: ring.opSeq,
          root,
          index,
          chunks: plan.length,
          layout,
          buffer: chunk.buffer,
          offset: chunk.offset,
        },
        [{ data: bytes }],
      );
    }
    await tokenRound(ring, 'broadcast-fin');
    return views;
  }

  let outputs: Uint8Array[] | null = null;
  let plan: ChunkPlan[] = [];
  for (let index = 0; outputs === null || index < plan.length; index++) {
    const { message, tensors } = await ring.expect('broadcast-chunk', { root, index });
    if (outputs === null) {
      const layout = message.layout;
      plan = planChunks(layout, chunkBytes);
      if (plan.length !== message.chunks) {
        throw new CollectiveError(
          'mismatch',
          `broadcast #${ring.opSeq}: rank ${root} splits ${layout.length} buffers into ${message.chunks} chunks, rank ${ring.rank} into ${plan.length} (different chunk sizes?)`,
          [root, ring.rank],
        );
      }
      outputs = allocateOutputs(ring, root, layout, views);
    }
    const expected = plan[index]!;
    const tensor = tensors[0]!;
    if (
      message.buffer !== expected.buffer ||
      message.offset !== expected.offset ||
      tensor.byteLength !== expected.length ||
      message.chunks !== plan.length
    ) {
      throw new CollectiveError(
        'mismatch',
        `broadcast #${ring.opSeq}: chunk ${index} from rank ${ring.predecessor} does not follow root ${root}'s layout`,
        [ring.predecessor, ring.rank],
      );
    }
    const region =
      expected.buffer >= 0
        ? outputs[expected.buffer]!.subarray(expected.offset, expected.offset + expected.length)
        : new Uint8Array(0);
    copyInto(region, 0, tensor.frames);
    if (ring.successor !== root) {
      // Forward this rank's copy, not the received frames: those are released right away, so a
      // slow successor costs no memory here (the copy is written once and never again).
      ring.send(
        'broadcast-chunk',
        {
          step: ring.step,
          opSeq: ring.opSeq,
          root,
          index,
          chunks: plan.length,
          layout: message.layout,
          buffer: expected.buffer,
          offset: expected.offset,
        },
        [{ data: region }],
      );
    }
  }
  // Every rank learns that every other one has everything before its zero-copy sends' memory
  // (the root's buffers, the others' copies) goes back to the caller.
  await tokenRound(ring, 'broadcast-fin');
  return outputs;
}

function allocateOutputs(
  ring: RingContext,
  root: number,
  layout: readonly number[],
  views: Uint8Array[] | null,
): Uint8Array[] {
  if (views === null) return layout.map((size) => new Uint8Array(size));
  const same = views.length === layout.length && views.every((v, i) => v.byteLength === layout[i]);
  if (!same) {
    throw new CollectiveError(
      'mismatch',
      `broadcast #${ring.opSeq}: rank ${ring.rank} passed buffers of [${views.map((v) => v.byteLength).join(', ')}] bytes, root ${root} sends [${layout.join(', ')}]`,
      [root, ring.rank],
    );
  }
  return views;
}
