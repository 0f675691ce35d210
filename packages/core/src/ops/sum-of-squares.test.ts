import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { sumOfSquares } from './sum-of-squares.js';
import '../ops/register-gradients.js';
import { useBackend } from '../testing/backends.js';

describe('sumOfSquares', () => {
  before(() => useBackend('cpu'));

  it('is Σ x² with gradient 2x, as tfjs computes them', () => {
    const x = tf.tensor2d([
      [1, -2, 3],
      [0.5, 0, -4],
    ]);
    const ours = tf.valueAndGrad((t: tf.Tensor) => sumOfSquares(t))(x);
    const ref = tf.valueAndGrad((t: tf.Tensor) => tf.sum(tf.square(t)) as tf.Scalar)(x);
    assert.equal(ours.value.dataSync()[0], ref.value.dataSync()[0]);
    assert.deepEqual(Array.from(ours.grad.dataSync()), Array.from(ref.grad.dataSync()));
    tf.dispose([x, ours.value, ours.grad, ref.value, ref.grad]);
  });
});
