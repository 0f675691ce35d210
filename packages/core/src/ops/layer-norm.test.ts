import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { layerNorm, LAYER_NORM_EPSILON } from './layer-norm.js';
import { Prng } from '../random/prng.js';
import { TEST_BACKENDS, useBackend } from '../testing/backends.js';
import '../ops/register-gradients.js';

const ROWS = 6;
const D = 7;
const prng = Prng.fromKey(7);
const x = Float32Array.from({ length: ROWS * D }, (_, i) => prng.normal() * (1 + (i % 3)) + (i % D));
const gamma = Float32Array.from({ length: D }, () => 1 + 0.3 * prng.normal());
const beta = Float32Array.from({ length: D }, () => prng.normal());
const w = Float32Array.from({ length: ROWS * D }, () => prng.normal());

/** Float64 layer norm of every row, its output and the gradients of Σ w ⊙ LN(x). */
function reference(): { y: Float64Array; dx: Float64Array; dGamma: Float64Array; dBeta: Float64Array } {
  const y = new Float64Array(ROWS * D);
  const dx = new Float64Array(ROWS * D);
  const dGamma = new Float64Array(D);
  const dBeta = new Float64Array(D);
  for (let r = 0; r < ROWS; r++) {
    const row = Array.from(x.subarray(r * D, (r + 1) * D));
    const mean = row.reduce((a, b) => a + b, 0) / D;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / D;
    const inv = 1 / Math.sqrt(variance + LAYER_NORM_EPSILON);
    const xhat = row.map((v) => (v - mean) * inv);
    const g = xhat.map((_, j) => w[r * D + j] * gamma[j]);
    const meanG = g.reduce((a, b) => a + b, 0) / D;
    const meanGX = g.reduce((a, b, j) => a + b * xhat[j], 0) / D;
    for (let j = 0; j < D; j++) {
      y[r * D + j] = xhat[j] * gamma[j] + beta[j];
      dx[r * D + j] = inv * (g[j] - meanG - xhat[j] * meanGX);
      dGamma[j] += w[r * D + j] * xhat[j];
      dBeta[j] += w[r * D + j];
    }
  }
  return { y, dx, dGamma, dBeta };
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-4): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++)
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])),
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
}

for (const backend of TEST_BACKENDS) {
  describe(`layerNorm on ${backend}`, () => {
    before(() => useBackend(backend));

    it('matches a float64 reference in value and in all three gradients (3-D input)', () => {
      const ref = reference();
      const [y, dx, dg, db] = tf.tidy(() => {
        const xt = tf.tensor3d(x, [2, ROWS / 2, D]);
        const gt = tf.tensor1d(gamma);
        const bt = tf.tensor1d(beta);
        const wt = tf.tensor3d(w, [2, ROWS / 2, D]);
        const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(tf.mul(layerNorm(a, b as tf.Tensor1D, c as tf.Tensor1D), wt));
        const grads = tf.grads(f)([xt, gt, bt]);
        return [layerNorm(xt, gt, bt), ...grads].map((t) => t.dataSync());
      });
      close(y, ref.y, 'y');
      close(dx, ref.dx, 'dx');
      close(dg, ref.dGamma, 'dGamma');
      close(db, ref.dBeta, 'dBeta');
      assert.equal(tf.memory().numTensors, 0);
    });
  });
}
