import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blasAvailable, registerBlasKernels, unregisterBlasKernels } from './index.js';
import { assertClose, evaluate, randomArray, referenceMatMul, rng } from './test-util.js';

const avail = blasAvailable();
const skip = avail.available ? false : `OpenBLAS addon unavailable: ${avail.reason}`;

// Its own file so the heap starts small: the output allocation below must grow wasm memory, which
// replaces the ArrayBuffer. The kernel has to take its heap view after allocating the output.
test('an output that grows the wasm heap is written into the new memory', { skip }, async () => {
  await tf.setBackend('wasm');
  assert.equal(registerBlasKernels().enabled, true);
  const wasm = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm;
  const next = rng(14);
  const [m, k] = [64, 8];
  const n = Math.ceil(wasm.HEAPU8.length / 4 / m) + 4096; // output alone exceeds the current heap
  const a = randomArray(m * k, next);
  const b = randomArray(k * n, next);
  const bufferBefore = wasm.HEAPU8.buffer;
  const got = evaluate(() => tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n]))).data;
  assert.notEqual(wasm.HEAPU8.buffer, bufferBefore, 'the heap grew');
  assertClose(got, referenceMatMul(a, [m, k], b, [k, n], false, false).data, k, 'after growth');
  unregisterBlasKernels();
});
