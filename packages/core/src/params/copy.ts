import type { Parameter } from './parameter.js';

/**
 * Copies the leading block of `source` into `target` (same rank; target no larger in any
 * dimension). Keeping the first rows/columns is exactly what truncation of ordered neurons means.
 */
export function copyLeadingBlock(source: Parameter, target: Parameter): void {
  const [sr, sc] = source.rank === 2 ? source.shape : [1, source.shape[0]];
  const [tr, tc] = target.rank === 2 ? target.shape : [1, target.shape[0]];
  if (source.rank !== target.rank || tr > sr || tc > sc) {
    throw new RangeError(`cannot copy parameter ${source.name} [${source.shape}] into [${target.shape}]`);
  }
  // Row by row between the capacity buffers: a packed copy of the source per call made each point
  // of a 100M model's truncation curve allocate (and fault in) the whole model again.
  const from = source.buffers();
  const to = target.buffers();
  for (let i = 0; i < tr; i++)
    to.values.set(from.values.subarray(i * from.stride, i * from.stride + tc), i * to.stride);
}
