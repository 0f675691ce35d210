import type * as tfc from '@tensorflow/tfjs-core';
import { tidy } from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';

/** Small seeded PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in [-1, 1). */
export function randomArray(size: number, next: () => number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = next() * 2 - 1;
  return out;
}

export function randInt(next: () => number, lo: number, hi: number): number {
  return lo + Math.floor(next() * (hi - lo + 1));
}

/**
 * Float32 agreement for products with inner size k: relative 1e-4 scaled by sqrt(k), measured
 * against max(1, |expected|) so entries that cancel to ~0 are judged on the scale of their terms.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, k: number, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  const tol = 1e-4 * Math.sqrt(Math.max(k, 1));
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(err <= worst)) {
      worst = err;
      worstAt = i;
    }
  }
  assert.ok(
    worst <= tol,
    `${label}: relative error ${worst} > ${tol} at ${worstAt} (got ${actual[worstAt]}, want ${expected[worstAt]})`,
  );
}

/**
 * Float64 reference batched matMul with numpy broadcasting of the batch dims, independent of tfjs
 * (whose cpu kernel flattens batch dims, so it cannot check true [2,1]x[3] broadcasting).
 */
export function referenceMatMul(
  a: Float32Array,
  aShape: number[],
  b: Float32Array,
  bShape: number[],
  ta: boolean,
  tb: boolean,
): { data: Float64Array; shape: number[] } {
  const ra = aShape.length;
  const rb = bShape.length;
  const m = ta ? aShape[ra - 1] : aShape[ra - 2];
  const k = ta ? aShape[ra - 2] : aShape[ra - 1];
  const n = tb ? bShape[rb - 2] : bShape[rb - 1];
  const aB = aShape.slice(0, -2);
  const bB = bShape.slice(0, -2);
  const rank = Math.max(aB.length, bB.length);
  const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const pa = pad(aB);
  const pb = pad(bB);
  const outB = pa.map((d, i) => Math.max(d, pb[i]));
  const count = outB.reduce((p, d) => p * d, 1);
  const data = new Float64Array(count * m * n);
  for (let bi = 0; bi < count; bi++) {
    let rem = bi;
    let aIdx = 0;
    let bIdx = 0;
    let aMul = 1;
    let bMul = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const idx = rem % outB[d];
      rem = Math.floor(rem / outB[d]);
      aIdx += (pa[d] === 1 ? 0 : idx) * aMul;
      bIdx += (pb[d] === 1 ? 0 : idx) * bMul;
      aMul *= pa[d];
      bMul *= pb[d];
    }
    const aBase = aIdx * m * k;
    const bBase = bIdx * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = ta ? a[aBase + p * m + i] : a[aBase + i * k + p];
          const bv = tb ? b[bBase + j * k + p] : b[bBase + p * n + j];
          s += av * bv;
        }
        data[bi * m * n + i * n + j] = s;
      }
    }
  }
  return { data, shape: [...outB, m, n] };
}

/**
 * Runs fn in a tidy scope and reads its result out. The values are read after the scope on purpose:
 * returning a large typed array from tf.tidy makes tfjs walk it element by element looking for tensors.
 */
export function evaluate(fn: () => tfc.Tensor): { data: Float32Array; shape: number[] } {
  const y = tidy(fn);
  try {
    return { data: new Float32Array(y.dataSync()), shape: y.shape };
  } finally {
    y.dispose();
  }
}
