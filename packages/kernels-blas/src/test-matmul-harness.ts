// Shared by matmul.test.ts and fused-matmul.test.ts: operands, the three backends and their
// comparison (not a test file itself; excluded from the package as test-*).
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { blasAvailable, registerBlasKernels, unregisterBlasKernels } from './index.js';
import { assertClose, evaluate, randomArray } from './test-util.js';

const avail = blasAvailable();
/** The tests' skip option: a reason when the addon is not built. */
export const skip = avail.available ? false : `OpenBLAS addon unavailable: ${avail.reason}`;

export type Mode = 'blas' | 'wasm' | 'cpu';

/** Hooks of a test file: start on wasm, leave wasm's own kernels registered at the end. */
export function useMatMulHooks(): void {
  before(async () => {
    await tf.setBackend('wasm');
  });
  after(() => unregisterBlasKernels());
}

/** Switches to `mode`: OpenBLAS on wasm, wasm's own kernels, or the cpu backend. */
export async function use(mode: Mode): Promise<void> {
  const backend = mode === 'cpu' ? 'cpu' : 'wasm';
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
  if (mode === 'blas') assert.equal(registerBlasKernels().enabled, true);
  else unregisterBlasKernels();
}

export interface Case {
  a: Float32Array;
  aShape: number[];
  b: Float32Array;
  bShape: number[];
  ta: boolean;
  tb: boolean;
}

/** Random operands of the given shapes and transposes. */
export function makeCase(next: () => number, aShape: number[], bShape: number[], ta: boolean, tb: boolean): Case {
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  return { a: randomArray(size(aShape), next), aShape, b: randomArray(size(bShape), next), bShape, ta, tb };
}

export function product(c: Case): { data: Float32Array; shape: number[] } {
  return evaluate(() => tf.matMul(tf.tensor(c.a, c.aShape), tf.tensor(c.b, c.bShape), c.ta, c.tb));
}

/** Runs a case through BLAS, wasm's own kernel and the cpu backend, and checks all agree. */
export async function checkAgainstTfjs(c: Case, label: string): Promise<void> {
  const k = c.ta ? c.aShape[c.aShape.length - 2] : c.aShape[c.aShape.length - 1];
  await use('blas');
  const blas = product(c);
  await use('wasm');
  const wasm = product(c);
  await use('cpu');
  const cpu = product(c);
  await use('blas');
  assert.deepEqual(blas.shape, wasm.shape, `${label}: shape vs wasm`);
  assert.deepEqual(blas.shape, cpu.shape, `${label}: shape vs cpu`);
  assertClose(blas.data, wasm.data, k, `${label} vs wasm`);
  assertClose(blas.data, cpu.data, k, `${label} vs cpu`);
}

export const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];
/** 'NN', 'NT', 'TN' or 'TT'. */
export const tag = (ta: boolean, tb: boolean) => `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`;

/** Operand shapes for C[m, n] = op(A) op(B) with the given batch prefixes. */
export function shapes(
  m: number,
  n: number,
  k: number,
  ta: boolean,
  tb: boolean,
  aBatch: number[] = [],
  bBatch: number[] = [],
) {
  return {
    aShape: [...aBatch, ...(ta ? [k, m] : [m, k])],
    bShape: [...bBatch, ...(tb ? [n, k] : [k, n])],
  };
}
