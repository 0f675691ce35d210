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
  const src = source.read();
  const out = new Float32Array(tr * tc);
  for (let i = 0; i < tr; i++) out.set(src.subarray(i * sc, i * sc + tc), i * tc);
  target.write(out);
}
