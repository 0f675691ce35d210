import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { embeddingLookup } from './embedding.js';
import { Prng } from '../random/prng.js';
import { TEST_BACKENDS, useBackend } from '../testing/backends.js';
import '../ops/register-gradients.js';

const VOCAB = 11;
const DIM = 5;
const prng = Prng.fromKey(42);
const table = Float32Array.from({ length: VOCAB * DIM }, () => prng.normal());
const ids = Int32Array.from([3, 0, 10, 3, 7, 3, 1, 10]); // repeats: gradients must accumulate
const weights = Float32Array.from({ length: ids.length * DIM }, () => prng.normal());

/** d/dE of Σ w ⊙ E[ids] in float64: scatter-add of the weight rows. */
function referenceGradient(): Float64Array {
  const g = new Float64Array(VOCAB * DIM);
  ids.forEach((id, r) => {
    for (let j = 0; j < DIM; j++) g[id * DIM + j] += weights[r * DIM + j];
  });
  return g;
}

function lookupAndGrad(lookup: (i: tf.Tensor, t: tf.Tensor2D) => tf.Tensor): {
  value: Float32Array;
  grad: Float32Array;
} {
  return tf.tidy(() => {
    const i = tf.tensor2d(ids, [2, 4], 'int32');
    const t = tf.tensor2d(table, [VOCAB, DIM]);
    const w = tf.tensor3d(weights, [2, 4, DIM]);
    const value = lookup(i, t);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(lookup(i, x as tf.Tensor2D), w)))(t);
    return { value: value.dataSync() as Float32Array, grad: grad.dataSync() as Float32Array };
  });
}

for (const backend of TEST_BACKENDS) {
  describe(`embeddingLookup on ${backend}`, () => {
    before(() => useBackend(backend));

    it('returns the table rows of the ids with shape [...ids, dim]', () => {
      const out = tf.tidy(() => embeddingLookup(tf.tensor2d(ids, [2, 4], 'int32'), tf.tensor2d(table, [VOCAB, DIM])));
      assert.deepEqual(out.shape, [2, 4, DIM]);
      const v = out.dataSync();
      ids.forEach((id, r) =>
        assert.deepEqual(
          Array.from(v.subarray(r * DIM, (r + 1) * DIM)),
          Array.from(table.subarray(id * DIM, (id + 1) * DIM)),
        ),
      );
      out.dispose();
    });

    it('gradient accumulates repeated ids like a scatter-add (float64 reference)', () => {
      const { grad } = lookupAndGrad(embeddingLookup);
      const ref = referenceGradient();
      for (let k = 0; k < ref.length; k++)
        assert.ok(Math.abs(grad[k] - ref[k]) <= 1e-5 * (1 + Math.abs(ref[k])), `entry ${k}: ${grad[k]} vs ${ref[k]}`);
      assert.equal(tf.memory().numTensors, 0);
    });

    if (backend === 'cpu') {
      it('matches plain tf.gather and its gradient (cpu has UnsortedSegmentSum)', () => {
        const ours = lookupAndGrad(embeddingLookup);
        const plain = lookupAndGrad((i, t) => tf.gather(t, i));
        assert.deepEqual(ours.value, plain.value);
        for (let k = 0; k < ours.grad.length; k++)
          assert.ok(Math.abs(ours.grad[k] - plain.grad[k]) <= 1e-6, `entry ${k}`);
      });
    }
  });
}
