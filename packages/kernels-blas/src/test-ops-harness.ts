// Shared by ops.test.ts and ops-safety.test.ts: run an op through the native kernels, wasm's own
// and the cpu backend, and compare (not a test file itself; excluded from the package as test-*).
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { blasAvailable, blasStatus, registerBlasKernels, unregisterBlasKernels } from './index.js';
import { OP_KERNELS } from './register.js';
import { assertClose, randInt, randomArray } from './test-util.js';

const avail = blasAvailable();
/** The tests' skip option: a reason when the addon is not built. */
export const skip = avail.available ? false : `OpenBLAS addon unavailable: ${avail.reason}`;

/** Hooks of a test file: start on wasm, leave wasm's own kernels registered at the end. */
export function useOpsHooks(): void {
  before(async () => {
    await tf.setBackend('wasm');
  });
  after(() => unregisterBlasKernels());
}

export type Mode = 'native' | 'wasm' | 'cpu';
/** Switches to `mode`: the native kernels on wasm, wasm's own, or the cpu backend. */
export async function use(mode: Mode): Promise<void> {
  const backend = mode === 'cpu' ? 'cpu' : 'wasm';
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
  if (mode === 'native') {
    assert.equal(registerBlasKernels().enabled, true);
    assert.ok(OP_KERNELS.every((k) => blasStatus().kernels.includes(k)));
  } else {
    unregisterBlasKernels();
  }
}

export interface Input {
  data: Float32Array | Int32Array;
  shape: number[];
  dtype?: 'float32' | 'int32';
}
export type Op = (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

export const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
/** Random float32 input of `shape`. */
export function floats(next: () => number, shape: number[]): Input {
  return { data: randomArray(size(shape), next), shape };
}
/** Random int32 input of `shape` in [-50, 50]. */
export function ints(next: () => number, shape: number[]): Input {
  return { data: Int32Array.from({ length: size(shape) }, () => randInt(next, -50, 50)), shape, dtype: 'int32' };
}

/** Runs op on fresh tensors and reads every output out (dtype, shape, values). */
export function run(op: Op, inputs: Input[]): { shape: number[]; dtype: string; data: Float32Array }[] {
  const xs = inputs.map((x) => tf.tensor(x.data, x.shape, x.dtype ?? 'float32'));
  try {
    const y = op(...xs);
    const ys = Array.isArray(y) ? y : [y];
    const out = ys.map((t) => ({ shape: t.shape, dtype: t.dtype, data: new Float32Array(t.dataSync()) }));
    tf.dispose(ys);
    return out;
  } finally {
    tf.dispose(xs);
  }
}

/** op through the native kernels, wasm's own and cpu: same shapes and dtypes, values within tol. */
export async function check(op: Op, inputs: Input[], label: string, k = 1): Promise<void> {
  await use('native');
  const native = run(op, inputs);
  await use('wasm');
  const wasm = run(op, inputs);
  await use('cpu');
  const cpu = run(op, inputs);
  await use('native');
  for (const [name, ref] of [
    ['wasm', wasm],
    ['cpu', cpu],
  ] as const) {
    assert.equal(native.length, ref.length, `${label}: output count vs ${name}`);
    native.forEach((y, i) => {
      assert.deepEqual(y.shape, ref[i].shape, `${label}[${i}]: shape vs ${name}`);
      assert.equal(y.dtype, ref[i].dtype, `${label}[${i}]: dtype vs ${name}`);
      assertClose(y.data, ref[i].data, k, `${label}[${i}] vs ${name}`);
    });
  }
}

/** A random shape of rank 1..maxRank with dims in 1..maxDim (odd sizes included). */
export function randomShape(next: () => number, maxRank = 4, maxDim = 9): number[] {
  return Array.from({ length: randInt(next, 1, maxRank) }, () => randInt(next, 1, maxDim));
}
/** A random permutation of 0..rank-1. */
export function randomPerm(next: () => number, rank: number): number[] {
  const p = Array.from({ length: rank }, (_, i) => i);
  for (let i = rank - 1; i > 0; i--) {
    const j = randInt(next, 0, i);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}
