import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Parameter } from '../params/parameter.js';
import { Adam } from './adam.js';
import { Sgd } from './sgd.js';
import { createOptimizer } from './index.js';
import { Prng } from '../random/prng.js';

/** Textbook Adam in float64 for one scalar sequence. */
function referenceAdam(w0: number, grads: number[], lr: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): number {
  let w = w0;
  let m = 0;
  let v = 0;
  grads.forEach((g, i) => {
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const mh = m / (1 - b1 ** (i + 1));
    const vh = v / (1 - b2 ** (i + 1));
    w -= (lr * mh) / (Math.sqrt(vh) + eps);
  });
  return w;
}

describe('width-aware Adam', () => {
  it('matches textbook Adam on every entry', () => {
    const prng = Prng.fromKey(3);
    const p = new Parameter('w', 'weight', [3, 4], () => prng.normal(), [5, 6]);
    const w0 = Array.from(p.read());
    const grads = Array.from({ length: 20 }, () => Float32Array.from({ length: 12 }, () => prng.normal()));
    const adam = new Adam({ learningRate: 0.01 });
    for (const g of grads) adam.apply([p], g);
    const w = p.read();
    for (let k = 0; k < 12; k++) {
      const ref = referenceAdam(
        w0[k],
        grads.map((g) => g[k]),
        0.01,
      );
      assert.ok(Math.abs(w[k] - ref) < 1e-5, `entry ${k}: ${w[k]} vs ${ref}`);
    }
    assert.equal(adam.stepCount, 20);
  });

  it('keeps the moments of retained entries across grow and shrink, zeros for new ones, and the step count', () => {
    const p = new Parameter('w', 'weight', [2, 3], () => 0.5, [2, 6]);
    const adam = new Adam({ learningRate: 0.1 });
    adam.apply([p], Float32Array.from([1, 2, 3, 4, 5, 6]));
    adam.apply([p], Float32Array.from([-1, 0.5, 2, 1, 1, 1]));
    const m = p.readSlot('m');
    const v = p.readSlot('v');
    p.resize([2, 5], () => 0);
    const m2 = p.readSlot('m');
    const v2 = p.readSlot('v');
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 5; j++) {
        assert.equal(m2[i * 5 + j], j < 3 ? m[i * 3 + j] : 0);
        assert.equal(v2[i * 5 + j], j < 3 ? v[i * 3 + j] : 0);
      }
    }
    p.resize([2, 2], () => 0);
    const m3 = p.readSlot('m');
    assert.deepEqual(Array.from(m3), [m[0], m[1], m[3], m[4]]);
    adam.apply([p], new Float32Array(4));
    assert.equal(adam.stepCount, 3);
  });

  it('weight decay adds wd·θ to the gradient as torch.optim.Adam does, on a strided capacity buffer', () => {
    const prng = Prng.fromKey(5);
    // Capacity [5, 6] around a live [3, 4] block: the decay must read the live entries only.
    const p = new Parameter('w', 'weight', [3, 4], () => prng.normal(), [5, 6]);
    const grads = Array.from({ length: 15 }, () => Float32Array.from({ length: 12 }, () => prng.normal()));
    const w0 = Array.from(p.read());
    const adam = new Adam({ learningRate: 0.01, weightDecay: 0.05 });
    // The coupled L2 of torch.optim.Adam, in float64, one entry at a time.
    const ref = w0.map((w, k) => {
      let x = w;
      let m = 0;
      let v = 0;
      grads.forEach((g, i) => {
        const gk = g[k]! + 0.05 * x;
        m = 0.9 * m + 0.1 * gk;
        v = 0.999 * v + 0.001 * gk * gk;
        x -= (0.01 * (m / (1 - 0.9 ** (i + 1)))) / (Math.sqrt(v / (1 - 0.999 ** (i + 1))) + 1e-8);
      });
      return x;
    });
    for (const g of grads) adam.apply([p], Float32Array.from(g));
    const w = p.read();
    for (let k = 0; k < 12; k++) assert.ok(Math.abs(w[k]! - ref[k]!) < 1e-5, `entry ${k}: ${w[k]} vs ${ref[k]}`);
    // With a zero gradient the decay alone shrinks every entry towards 0.
    const q = new Parameter('q', 'weight', [2], () => 1);
    const decaying = new Adam({ learningRate: 0.1, weightDecay: 0.01 });
    decaying.apply([q], new Float32Array(2));
    assert.ok(Array.from(q.read()).every((x) => x < 1 && x > 0.8));
    assert.throws(() => new Adam({ learningRate: 0.1, weightDecay: -1 }), /optimizer\.weightDecay must be >= 0/);
  });

  it('clips the global gradient norm when asked', () => {
    const a = new Parameter('a', 'weight', [2], () => 0);
    const sgd = new Sgd({ learningRate: 1, clipNorm: 1 });
    sgd.apply([a], Float32Array.from([3, 4]));
    assert.deepEqual(
      Array.from(a.read()).map((x) => Math.round(x * 1e6) / 1e6),
      [-0.6, -0.8],
    );
  });

  it('rejects a gradient of the wrong length', () => {
    const a = new Parameter('a', 'weight', [2], () => 0);
    assert.throws(
      () => new Adam({ learningRate: 0.1 }).apply([a], new Float32Array(3)),
      /gradient has 3 values, parameters have 2/,
    );
  });
});

describe('SGD with momentum', () => {
  it('accumulates momentum per entry and keeps it across a resize', () => {
    const p = new Parameter('b', 'bias', [2], () => 0, [4]);
    const sgd = new Sgd({ learningRate: 0.1, momentum: 0.9 });
    sgd.apply([p], Float32Array.from([1, 1]));
    sgd.apply([p], Float32Array.from([1, 1]));
    // buf: 1, then 1.9; w = −0.1 − 0.19
    assert.ok(Math.abs(p.read()[0] + 0.29) < 1e-6);
    p.resize([3], () => 0);
    assert.deepEqual(
      Array.from(p.readSlot('momentum')).map((x) => Math.round(x * 1e6) / 1e6),
      [1.9, 1.9, 0],
    );
  });

  it('factory names a bad type', () => {
    assert.throws(() => createOptimizer({ type: 'rmsprop' } as never), /optimizer\.type 'rmsprop'/);
  });
});
