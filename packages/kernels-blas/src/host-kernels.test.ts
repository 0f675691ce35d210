// The host kernels (src/host-kernels.ts, C in src/native/optim.c) against the JavaScript loops of
// @awn/core's Adam (bit for bit: both compute in double) and clip norm: several layouts (capacity
// stride > width).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blasAvailable, hostKernels } from './index.js';
import { randomArray, rng } from './test-util.js';

const avail = blasAvailable();
const skip = avail.available ? false : `OpenBLAS addon unavailable: ${avail.reason}`;

test('adam gives exactly the float32 results of @awn/core/optim/adam.ts over strided blocks', { skip }, () => {
  const k = hostKernels();
  assert.ok(k, 'host kernels load with the addon');
  const next = rng(21);
  for (const [rows, cols, stride, offset] of [
    [1, 1, 1, 0],
    [3, 5, 8, 7],
    [17, 33, 50, 2],
    [1, 1000, 1000, 0],
    [64, 129, 129, 5],
  ]) {
    const span = (rows - 1) * stride + cols + 3; // a tail past the block must stay untouched
    const values = randomArray(span, next);
    const m = randomArray(span, next).map((x) => x * 0.1);
    const v = randomArray(span, next).map((x) => x * x * 0.01);
    const grad = randomArray(offset + rows * cols + 4, next);
    const [scale, b1, b2, step, eps] = [0.7, 0.9, 0.999, 1e-3, 1e-8];
    const want = { values: values.slice(), m: m.slice(), v: v.slice() };
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) {
        const at = i * stride + j;
        const g = grad[offset + i * cols + j] * scale;
        const mk = b1 * m[at] + (1 - b1) * g;
        const vk = b2 * v[at] + (1 - b2) * g * g;
        want.m[at] = mk;
        want.v[at] = vk;
        want.values[at] -= (step * mk) / (Math.sqrt(vk) + eps);
      }
    const got = { values: values.slice(), m: m.slice(), v: v.slice() };
    k.adam(got.values, got.m, got.v, grad, offset, rows, cols, stride, scale, b1, b2, step, eps);
    for (const key of ['values', 'm', 'v'] as const)
      assert.deepEqual(got[key], want[key], `${key} of [${rows}, ${cols}] stride ${stride}`);
  }
});

test('adam refuses a layout larger than its buffers', { skip }, () => {
  const k = hostKernels()!;
  const b = new Float32Array(10);
  assert.throws(() => k.adam(b, b, b, b, 0, 3, 4, 4, 1, 0.9, 0.999, 1e-3, 1e-8), /smaller than the parameter's layout/);
  assert.throws(() => k.adam(b, b, b, b, 0, 2, 4, 3, 1, 0.9, 0.999, 1e-3, 1e-8), /bad layout/);
});

test('sumSquares is Σ g² in double precision and NaN for a NaN or ±∞ anywhere', { skip }, () => {
  const k = hostKernels()!;
  const next = rng(22);
  for (const n of [0, 1, 15, 16, 17, 4095, 4096, 4097, 100_003]) {
    const g = randomArray(n, next);
    let want = 0;
    for (const x of g) want += x * x;
    assert.ok(Math.abs(k.sumSquares(g) - want) <= 1e-6 * Math.max(1, want), `n = ${n}`);
    if (n === 0) continue;
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const h = g.slice();
      h[n - 1] = bad;
      assert.ok(Number.isNaN(k.sumSquares(h)), `n = ${n} with ${bad} last`);
      h[n - 1] = g[n - 1];
      h[0] = bad;
      assert.ok(Number.isNaN(k.sumSquares(h)), `n = ${n} with ${bad} first`);
    }
  }
});
