// tfjs-core's Node build registers no gradients; the union package does, on the same engine.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { blasAvailable, registerBlasKernels, unregisterBlasKernels } from './index.js';
import { assertClose, randomArray, rng } from './test-util.js';

const avail = blasAvailable();
const skip = avail.available ? false : `OpenBLAS addon unavailable: ${avail.reason}`;

before(async () => {
  await tf.setBackend('wasm');
});
after(() => unregisterBlasKernels());

type Mode = 'blas' | 'wasm' | 'cpu';
async function use(mode: Mode): Promise<void> {
  const backend = mode === 'cpu' ? 'cpu' : 'wasm';
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
  if (mode === 'blas') assert.equal(registerBlasKernels().enabled, true);
  else unregisterBlasKernels();
}

/** Gradients of a scalar function of several tensors, as plain arrays. */
function gradsOf(
  f: (...xs: tf.Tensor[]) => tf.Scalar,
  inputs: { data: Float32Array; shape: number[] }[],
): Float32Array[] {
  const gs = tf.tidy(() => tf.grads(f)(inputs.map((x) => tf.tensor(x.data, x.shape))));
  const out = gs.map((g) => new Float32Array(g.dataSync()));
  tf.dispose(gs);
  return out;
}

async function checkGrads(
  f: (...xs: tf.Tensor[]) => tf.Scalar,
  inputs: { data: Float32Array; shape: number[] }[],
  k: number,
  label: string,
) {
  await use('blas');
  const blas = gradsOf(f, inputs);
  await use('wasm');
  const wasm = gradsOf(f, inputs);
  await use('cpu');
  const cpu = gradsOf(f, inputs);
  await use('blas');
  blas.forEach((g, i) => {
    assertClose(g, cpu[i], k, `${label} d/dx${i} vs cpu`);
    assertClose(g, wasm[i], k, `${label} d/dx${i} vs wasm`);
  });
}

test('gradients through a matMul chain with every transposition agree with wasm and cpu', { skip }, async () => {
  const next = rng(11);
  const x = { data: randomArray(16 * 33, next), shape: [16, 33] };
  const w1 = { data: randomArray(33 * 47, next), shape: [33, 47] };
  const w2 = { data: randomArray(29 * 47, next), shape: [29, 47] };
  const w3 = { data: randomArray(29 * 5, next), shape: [29, 5] };
  const f = (xt: tf.Tensor, a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
    const h1 = tf.relu(tf.matMul(xt as tf.Tensor2D, a as tf.Tensor2D));
    const h2 = tf.tanh(tf.matMul(h1, b as tf.Tensor2D, false, true));
    const h3 = tf.matMul(tf.transpose(h2), c as tf.Tensor2D, true, false); // TN via a transposed operand
    const h4 = tf.matMul(tf.transpose(h3), c as tf.Tensor2D, true, true); // TT
    return tf.sum(tf.square(h4));
  };
  await checkGrads(f as (...xs: tf.Tensor[]) => tf.Scalar, [x, w1, w2, w3], 47, 'chain');
});

test("gradients of batched matMuls agree (tfjs's matMul gradient does not reduce broadcast batch dims)", {
  skip,
}, async () => {
  const next = rng(12);
  const a = { data: randomArray(3 * 7 * 9, next), shape: [3, 7, 9] };
  const b = { data: randomArray(3 * 9 * 4, next), shape: [3, 9, 4] };
  const c = { data: randomArray(3 * 4 * 6, next), shape: [3, 4, 6] };
  const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.sum(tf.sin(tf.matMul(tf.matMul(x, y), z, false, false)));
  await checkGrads(f as (...xs: tf.Tensor[]) => tf.Scalar, [a, b, c], 9, 'batched');
});

test('gradients through fused matMul with bias and relu agree with cpu', { skip }, async () => {
  const next = rng(13);
  const x = { data: randomArray(8 * 12, next), shape: [8, 12] };
  const w = { data: randomArray(12 * 10, next), shape: [12, 10] };
  const bias = { data: randomArray(10, next), shape: [10] };
  const f = (xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) =>
    tf.sum(tf.fused.matMul({ a: xt as tf.Tensor2D, b: wt as tf.Tensor2D, bias: bt, activation: 'relu' }));
  await use('blas');
  const blas = gradsOf(f as (...xs: tf.Tensor[]) => tf.Scalar, [x, w, bias]);
  await use('cpu');
  const cpu = gradsOf(f as (...xs: tf.Tensor[]) => tf.Scalar, [x, w, bias]);
  await use('blas');
  blas.forEach((g, i) => assertClose(g, cpu[i], 12, `fused d/dx${i}`));
});
