import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { causalSelfAttention, causalMask } from './attention.js';
import { Prng } from '../random/prng.js';
import { TEST_BACKENDS, useBackend } from '../testing/backends.js';

const B = 2;
const T = 5;
const D = 6;
const H = 2;
const prng = Prng.fromKey(11);
const draw = (n: number, s = 1) => Float32Array.from({ length: n }, () => prng.normal() * s);
const x = draw(B * T * D);
const qkv = draw(D * 3 * D, 0.5);
const qkvBias = draw(3 * D, 0.1);
const out = draw(D * D, 0.5);
const outBias = draw(D, 0.1);

/** Float64 causal multi-head attention with naive loops. */
function reference(input: Float32Array): Float64Array {
  const dh = D / H;
  const result = new Float64Array(B * T * D);
  for (let b = 0; b < B; b++) {
    const proj = (t: number, col: number) => {
      let s = qkvBias[col];
      for (let i = 0; i < D; i++) s += input[(b * T + t) * D + i] * qkv[i * 3 * D + col];
      return s;
    };
    const ctx = new Float64Array(T * D);
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < T; t++) {
        const scores: number[] = [];
        for (let u = 0; u <= t; u++) {
          let s = 0;
          for (let j = 0; j < dh; j++) s += proj(t, h * dh + j) * proj(u, D + h * dh + j);
          scores.push(s / Math.sqrt(dh));
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, c) => a + c, 0);
        for (let j = 0; j < dh; j++)
          ctx[t * D + h * dh + j] = e.reduce((a, p, u) => a + (p / z) * proj(u, 2 * D + h * dh + j), 0);
      }
    }
    for (let t = 0; t < T; t++) {
      for (let o = 0; o < D; o++) {
        let s = outBias[o];
        for (let i = 0; i < D; i++) s += ctx[t * D + i] * out[i * D + o];
        result[(b * T + t) * D + o] = s;
      }
    }
  }
  return result;
}

function run(input: Float32Array): Float32Array {
  return tf.tidy(() => {
    const weights = {
      qkv: tf.tensor2d(qkv, [D, 3 * D]),
      qkvBias: tf.tensor1d(qkvBias),
      out: tf.tensor2d(out, [D, D]),
      outBias: tf.tensor1d(outBias),
    };
    return causalSelfAttention(tf.tensor3d(input, [B, T, D]), weights, H).dataSync() as Float32Array;
  });
}

for (const backend of TEST_BACKENDS) {
  describe(`causal self-attention on ${backend}`, () => {
    before(() => useBackend(backend));

    it('matches a float64 multi-head reference', () => {
      const ours = run(x);
      const ref = reference(x);
      for (let i = 0; i < ref.length; i++)
        assert.ok(Math.abs(ours[i] - ref[i]) <= 1e-4 * (1 + Math.abs(ref[i])), `entry ${i}: ${ours[i]} vs ${ref[i]}`);
      assert.equal(tf.memory().numTensors, 0);
    });

    it('outputs at positions ≤ t are bit-identical when the input at t + 1 changes', () => {
      const base = run(x);
      for (let t = 0; t < T - 1; t++) {
        const changed = x.slice();
        for (let b = 0; b < B; b++) for (let i = 0; i < D; i++) changed[(b * T + t + 1) * D + i] += 3;
        const y = run(changed);
        for (let b = 0; b < B; b++) {
          const upTo = (b * T + t + 1) * D;
          assert.deepEqual(
            y.subarray(b * T * D, upTo),
            base.subarray(b * T * D, upTo),
            `batch ${b}, change at ${t + 1}`,
          );
          assert.notDeepEqual(
            y.subarray(upTo, upTo + D),
            base.subarray(upTo, upTo + D),
            'the changed position itself does change',
          );
        }
      }
    });

    it('causalMask is 0 on and below the diagonal and hugely negative above', () => {
      const m = causalMask(3);
      assert.deepEqual(
        Array.from(m.dataSync()).map((v) => (v === 0 ? 0 : v < -1e8 ? -1 : NaN)),
        [0, -1, -1, 0, 0, -1, 0, 0, 0],
      );
      m.dispose();
    });
  });
}
