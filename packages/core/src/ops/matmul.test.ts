import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { batchMatMulFast, matMulFast, setTransposeStrategy } from './matmul.js';
import { Prng } from '../random/prng.js';
import { TEST_BACKENDS, useBackend } from '../testing/backends.js';

function rand(shape: number[], seed: number): tf.Tensor {
  const prng = Prng.fromKey(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => prng.normal()),
    shape,
  );
}

function close(a: tf.Tensor, b: tf.Tensor, tol = 1e-4): void {
  const x = a.dataSync();
  const y = b.dataSync();
  assert.equal(x.length, y.length);
  for (let i = 0; i < x.length; i++)
    assert.ok(Math.abs(x[i] - y[i]) <= tol * (1 + Math.abs(y[i])), `index ${i}: ${x[i]} vs ${y[i]}`);
}

for (const backend of TEST_BACKENDS)
  for (const strategy of ['explicit', 'native'] as const) {
    describe(`${strategy}-transpose matMul gradients on ${backend}`, () => {
      before(async () => {
        await useBackend(backend);
        setTransposeStrategy(strategy);
      });
      for (const [n, k, m] of [
        [1, 1, 1],
        [7, 5, 3],
        [32, 17, 64],
        [3, 1, 9],
      ]) {
        it(`2-D [${n}×${k}]·[${k}×${m}] matches tf.matMul value and gradients`, () => {
          const x = rand([n, k], n);
          const w = rand([k, m], m);
          const loss = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.square(f(a, b)));
          const ours = tf.grads(loss((a, b) => matMulFast(a, b as tf.Tensor2D)))([x, w]);
          const ref = tf.grads(loss((a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D)))([x, w]);
          close(matMulFast(x, w as tf.Tensor2D), tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D));
          close(ours[0], ref[0]);
          close(ours[1], ref[1]);
          tf.dispose([x, w, ...ours, ...ref]);
        });
      }
      it('3-D inputs against a 2-D weight (sequence models)', () => {
        const x = rand([2, 5, 4], 1);
        const w = rand([4, 6], 2);
        const ours = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(matMulFast(a, b as tf.Tensor2D)))([x, w]);
        const ref = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.matMul(tf.reshape(a, [10, 4]) as tf.Tensor2D, b as tf.Tensor2D)),
        )([x, w]);
        close(ours[0], ref[0]);
        close(ours[1], ref[1]);
        tf.dispose([x, w, ...ours, ...ref]);
      });
      it('batched products match tf.matMul gradients', () => {
        const a = rand([3, 4, 5], 3);
        const b = rand([3, 5, 2], 4);
        const ours = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
          tf.sum(tf.square(batchMatMulFast(p as tf.Tensor3D, q as tf.Tensor3D))),
        )([a, b]);
        const ref = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
          tf.sum(tf.square(tf.matMul(p as tf.Tensor3D, q as tf.Tensor3D))),
        )([a, b]);
        close(ours[0], ref[0]);
        close(ours[1], ref[1]);
        tf.dispose([a, b, ...ours, ...ref]);
      });
    });
  }
