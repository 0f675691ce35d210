import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ExponentialDistribution } from './exponential.js';
import { PowerLawDistribution } from './power-law.js';
import { inverseSoftplus, softplus } from './softplus.js';
import { createDistribution } from './index.js';
import { TEST_BACKENDS, useBackend } from '../testing/backends.js';

describe('softplus', () => {
  it('inverts exactly over a wide range', () => {
    for (const y of [1e-6, 5e-4, 0.01, 0.5, 3, 25, 80])
      assert.ok(Math.abs(softplus(inverseSoftplus(y)) - y) / y < 1e-9, `y=${y}`);
  });
  it('rejects non-positive values', () => assert.throws(() => inverseSoftplus(0), /y > 0/));
});

describe('exponential distribution widths (closed form, k = 0.9)', () => {
  const d = new ExponentialDistribution({ quantile: 0.9 });
  const expected: [number, number][] = [
    [0.1, 25],
    [0.05, 48],
    [0.02, 117],
    [0.01, 232],
    [0.004, 577],
    [0.001, 2304],
  ];
  for (const [rate, width] of expected) {
    it(`λ = ${rate} → D = ${width}`, () => {
      assert.equal(d.width(d.raw(rate)), width);
      assert.ok(Math.abs(d.parameter(d.raw(rate)) - rate) < 1e-12);
    });
  }
  it('the lower bound caps the width by projecting the raw rate', () => {
    const bounded = new ExponentialDistribution({ minRate: 5e-4 });
    const raw = bounded.raw(1e-4);
    assert.ok(bounded.parameter(bounded.project(raw)) >= 5e-4 - 1e-12);
    assert.equal(bounded.width(bounded.project(raw)), Math.floor(-Math.log(0.1) / 5e-4 + 2));
    assert.equal(bounded.project(bounded.raw(0.01)), bounded.raw(0.01));
  });
  it('the first D masses cover at least the quantile', () => {
    for (const rate of [0.3, 0.05, 0.01]) {
      const raw = d.raw(rate);
      const D = d.width(raw);
      // Σ_{j<D} p(j) = F(D) = 1 − e^{−λD}
      assert.ok(1 - Math.exp(-rate * D) >= 0.9, `rate ${rate}`);
    }
  });
});

describe('power-law distribution', () => {
  const d = new PowerLawDistribution({ quantile: 0.9, offset: 0 });
  it('width follows the closed-form quantile', () => {
    for (const g of [1.7, 2.3, 3.1]) {
      const gamma = d.parameter(d.raw(g));
      const q = 0.1 ** (-1 / (gamma - 1));
      assert.equal(d.width(d.raw(g)), Math.floor(q + 2));
    }
  });
  it('has a heavier tail than the exponential of equal head mass', () => {
    const raw = d.raw(2);
    const m = d.massesHost(raw, 200);
    // p(j) ∝ 1/((j+1)(j+2)) for γ = 2: ratio between j=100 and j=0 is 2/(101·102)
    assert.ok(Math.abs((m[100] - 1e-6) / (m[0] - 1e-6) - 2 / (101 * 102)) < 1e-9);
  });
  it('lower bound on γ is projected', () => {
    const bounded = new PowerLawDistribution({ minExponent: 1.3 });
    assert.ok(bounded.parameter(bounded.project(bounded.raw(1.1))) >= 1.3 - 1e-12);
  });
  it('config factory names unknown families', () => {
    assert.throws(() => createDistribution({ family: 'gaussian' as never }), /unknown distribution family 'gaussian'/);
  });
});

for (const backend of TEST_BACKENDS) {
  describe(`importance vectors on ${backend}`, () => {
    before(() => useBackend(backend));
    for (const dist of [new ExponentialDistribution(), new PowerLawDistribution({ offset: 1 })]) {
      it(`${dist.family}: sums to 1, is decreasing, matches float64 host values`, () => {
        const raw = dist.family === 'exponential' ? dist.raw(0.05) : dist.raw(2.5);
        const D = Math.min(dist.width(raw), 300);
        const f = tf.tidy(() => dist.importance(tf.scalar(raw), D).dataSync()) as Float32Array;
        const sum = f.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-5, `sum ${sum}`);
        for (let j = 1; j < D; j++) assert.ok(f[j] <= f[j - 1] + 1e-9);
        const host = dist.massesHost(raw, D);
        const z = host.reduce((a, b) => a + b, 0);
        for (let j = 0; j < D; j += 17)
          assert.ok(Math.abs(f[j] - host[j] / z) < 1e-5 * Math.max(1, (host[j] / z) * 100));
      });
      it(`${dist.family}: d Σ_j j·f_j / d r matches finite differences`, () => {
        const raw = dist.family === 'exponential' ? dist.raw(0.08) : dist.raw(2.2);
        const D = 40;
        const meanIndex = (r: tf.Tensor) => tf.sum(tf.mul(dist.importance(r as tf.Scalar, D), tf.range(0, D)));
        const g = tf.tidy(() => tf.grad(meanIndex)(tf.scalar(raw)).dataSync()[0]);
        const h = 1e-3;
        const host = (r: number) => {
          const u = dist.massesHost(r, D);
          const z = u.reduce((a, b) => a + b, 0);
          return u.reduce((acc, v, j) => acc + (j * v) / z, 0);
        };
        const fd = (host(raw + h) - host(raw - h)) / (2 * h);
        assert.ok(Math.abs(g - fd) < 2e-3 * Math.max(1, Math.abs(fd)), `autodiff ${g} vs finite difference ${fd}`);
      });
    }
  });
}
