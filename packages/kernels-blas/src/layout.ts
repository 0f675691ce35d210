/**
 * Shape arithmetic for a batched matMul, independent of tfjs and the addon: output shape, the
 * matrix dims, and how each output batch index maps onto A's and B's (numpy-style broadcasting of
 * the leading dims, right-aligned, size-1 dims repeated).
 */
export interface MatMulLayout {
  m: number;
  n: number;
  k: number;
  outShape: number[];
  /** [dim, aStride, bStride] per batch dim after dropping 1s and merging contiguous runs; null if none. */
  batch: Float64Array | null;
}

export function matMulLayout(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): MatMulLayout {
  const ra = aShape.length;
  const rb = bShape.length;
  if (ra < 2 || rb < 2) {
    throw new Error(`Error in matMul: operands must have rank >= 2, got shapes ${aShape} and ${bShape}`);
  }
  const m = transposeA ? aShape[ra - 1] : aShape[ra - 2];
  const kA = transposeA ? aShape[ra - 2] : aShape[ra - 1];
  const kB = transposeB ? bShape[rb - 1] : bShape[rb - 2];
  const n = transposeB ? bShape[rb - 2] : bShape[rb - 1];
  if (kA !== kB) {
    throw new Error(
      `Error in matMul: inner shapes (${kA}) and (${kB}) of Tensors with shapes ${aShape} and ` +
        `${bShape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const k = kA;
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const outBatch: number[] = [];
  const aStrides: number[] = [];
  const bStrides: number[] = [];
  // Walk the batch dims from the innermost outwards, carrying each operand's contiguous stride.
  let aStride = m * k;
  let bStride = k * n;
  for (let i = 1; i <= rank; i++) {
    const da = aBatch.length - i >= 0 ? aBatch[aBatch.length - i] : 1;
    const db = bBatch.length - i >= 0 ? bBatch[bBatch.length - i] : 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`Operands could not be broadcast together with shapes ${aShape} and ${bShape}.`);
    }
    const d = da === 1 ? db : da;
    outBatch.unshift(d);
    aStrides.unshift(da === 1 ? 0 : aStride);
    bStrides.unshift(db === 1 ? 0 : bStride);
    aStride *= da;
    bStride *= db;
  }
  return { m, n, k, outShape: [...outBatch, m, n], batch: compactBatch(outBatch, aStrides, bStrides) };
}

/**
 * Drops size-1 batch dims and merges neighbours that step contiguously in both operands, so the
 * common cases (no batch, one flat batch) reach the addon as zero or one triple.
 */
function compactBatch(dims: number[], aStrides: number[], bStrides: number[]): Float64Array | null {
  const out: [number, number, number][] = [];
  for (let i = 0; i < dims.length; i++) {
    if (dims[i] === 1) continue;
    const last = out[out.length - 1];
    if (last && last[1] === aStrides[i] * dims[i] && last[2] === bStrides[i] * dims[i]) {
      last[0] *= dims[i];
      last[1] = aStrides[i];
      last[2] = bStrides[i];
    } else {
      out.push([dims[i], aStrides[i], bStrides[i]]);
    }
  }
  return out.length === 0 ? null : Float64Array.from(out.flat());
}
