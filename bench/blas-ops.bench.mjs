#!/usr/bin/env node
// The native non-matMul kernels of @awn/kernels-blas (Transpose, Add/Sub/Multiply/RealDiv with
// broadcasting, Sum over contiguous axes, Softmax, Exp, Slice/SplitV/Concat, GatherV2, copy-free
// Identity/Cast) against the tfjs wasm backend's own kernels, in
// isolation, on the shapes the `small` Transformer step uses (d_model 128, 4 heads, batch 32×128).
// Native and wasm-own alternate in rounds (ABAB…) so machine load hits both; medians per call.
//   node bench/blas-ops.bench.mjs [--quick]
// Build first: npx tsc -b packages/kernels-blas && npm run build:addon -w @awn/kernels-blas
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { blasAvailable, registerBlasKernels } from '../packages/kernels-blas/dist/index.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const REPS = quick ? 5 : 15;

await tf.setBackend('wasm');
const avail = blasAvailable();
if (!avail.available) {
  console.log(`OpenBLAS addon unavailable (${avail.reason}); nothing to compare.`);
  process.exit(0);
}

const t = (shape) => tf.randomNormal(shape);
const CASES = [
  [
    'Transpose [32,128,4,32] perm 0213 (split heads)',
    () => [t([32, 128, 4, 32])],
    (x) => tf.transpose(x, [0, 2, 1, 3]),
  ],
  ['Transpose [128,128,32] perm 021 (kᵀ)', () => [t([128, 128, 32])], (x) => tf.transpose(x, [0, 2, 1])],
  ['Transpose [4096,511] (matMul grad)', () => [t([4096, 511])], (x) => tf.transpose(x)],
  ['Transpose [4096,128]', () => [t([4096, 128])], (x) => tf.transpose(x)],
  ['Add [32,128,128] + [128] (bias)', () => [t([32, 128, 128]), t([128])], (a, b) => tf.add(a, b)],
  ['Add [32,128,128] + same (residual)', () => [t([32, 128, 128]), t([32, 128, 128])], (a, b) => tf.add(a, b)],
  ['Add [128,128,128] + [128,128] (mask)', () => [t([128, 128, 128]), t([128, 128])], (a, b) => tf.add(a, b)],
  ['Sub [32,128,128] − [32,128,1] (LN centre)', () => [t([32, 128, 128]), t([32, 128, 1])], (a, b) => tf.sub(a, b)],
  ['Multiply [32,128,128] · [32,128,1]', () => [t([32, 128, 128]), t([32, 128, 1])], (a, b) => tf.mul(a, b)],
  ['Multiply [128,128,128] · same', () => [t([128, 128, 128]), t([128, 128, 128])], (a, b) => tf.mul(a, b)],
  ['Multiply [128,128,128] · scalar', () => [t([128, 128, 128]), tf.scalar(0.17)], (a, b) => tf.mul(a, b)],
  ['RealDiv [32,128,128] / [32,128,1]', () => [t([32, 128, 128]), t([32, 128, 1])], (a, b) => tf.div(a, b)],
  ['Sum [32,128,384] axes 0,1 (bias grad)', () => [t([32, 128, 384])], (x) => tf.sum(x, [0, 1])],
  ['Sum [4096,511] axis 0', () => [t([4096, 511])], (x) => tf.sum(x, 0)],
  ['Sum [32,128,128] last axis', () => [t([32, 128, 128])], (x) => tf.sum(x, -1, true)],
  ['Sum [128,128,128] last axis (softmax grad)', () => [t([128, 128, 128])], (x) => tf.sum(x, -1, true)],
  ['Softmax [128,128,128]', () => [t([128, 128, 128])], (x) => tf.softmax(x)],
  ['Exp [32,128,256] (log-softmax)', () => [t([32, 128, 256])], (x) => tf.exp(x)],
  ['SplitV [32,128,384] → 3 (q, k, v)', () => [t([32, 128, 384])], (x) => tf.split(x, 3, 2)],
  [
    'Concat 3 × [32,128,128] axis 2 (its gradient)',
    () => [t([32, 128, 128]), t([32, 128, 128]), t([32, 128, 128])],
    (a, b, c) => tf.concat([a, b, c], 2),
  ],
  ['Slice [128,128] of [128,128] (positions)', () => [t([128, 128])], (x) => tf.slice(x, [0, 0], [128, 128])],
  [
    'GatherV2 [256,128] × 4096 ids (embedding)',
    () => [
      t([256, 128]),
      tf.tensor1d(
        Array.from({ length: 4096 }, (_, i) => (i * 37) % 256),
        'int32',
      ),
    ],
    (x, i) => tf.gather(x, i),
  ],
  ['Identity [32,128,128] (tf.clone)', () => [t([32, 128, 128])], (x) => tf.clone(x)],
  ['Cast float32→float32 [32,128,128]', () => [t([32, 128, 128])], (x) => tf.cast(x, 'float32')],
];

/** Median ms per call of op over REPS calls (results disposed; dataSync-free: wasm is synchronous). */
function timeOp(op, inputs) {
  const samples = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    tf.dispose(op(...inputs));
    samples.push(performance.now() - t0);
  }
  samples.sort((p, q) => p - q);
  return samples[samples.length >> 1];
}

console.log(`tfjs ${tf.version_core} wasm; ${ROUNDS} alternating rounds × ${REPS} calls, median ms per call\n`);
console.log('| kernel (shape) | wasm own ms | native ms | speed-up |\n|---|---|---|---|');
let totalOwn = 0;
let totalNative = 0;
for (const [label, make, op] of CASES) {
  const inputs = make();
  const own = [];
  const native = [];
  for (let r = 0; r < ROUNDS; r++) {
    registerBlasKernels({ ops: false });
    timeOp(op, inputs); // warm-up
    own.push(timeOp(op, inputs));
    registerBlasKernels({ ops: true });
    timeOp(op, inputs);
    native.push(timeOp(op, inputs));
  }
  const med = (xs) => xs.sort((p, q) => p - q)[xs.length >> 1];
  const o = med(own);
  const n = med(native);
  totalOwn += o;
  totalNative += n;
  console.log(`| ${label} | ${o.toFixed(3)} | ${n.toFixed(3)} | ${(o / n).toFixed(2)}× |`);
  tf.dispose(inputs);
}
console.log(
  `| **all of the above** | ${totalOwn.toFixed(2)} | ${totalNative.toFixed(2)} | ${(totalOwn / totalNative).toFixed(2)}× |`,
);
