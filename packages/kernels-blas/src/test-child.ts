// Child process for fallback.test.ts: registers under whatever environment the parent set, runs an
// NT product on wasm through whichever kernel ended up registered, and reports both as JSON.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { blasStatus, registerBlasKernels } from './index.js';

const registration = registerBlasKernels();
await tf.setBackend('wasm');
const y = tf.matMul(
  tf.tensor2d([
    [1, 2, 3],
    [4, 5, 6],
  ]),
  tf.tensor2d([
    [1, 0, 1],
    [0, 1, 0],
  ]),
  false,
  true,
);
process.stdout.write(
  JSON.stringify({
    registration,
    status: blasStatus(),
    product: y.arraySync(),
    env: { coreType: process.env.OPENBLAS_CORETYPE ?? null, numThreads: process.env.OPENBLAS_NUM_THREADS ?? null },
  }),
);
