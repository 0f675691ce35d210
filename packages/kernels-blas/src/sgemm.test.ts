import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadAddon } from './addon.js';
import { blasAvailable, sgemm } from './index.js';
import { assertClose, randInt, randomArray, referenceMatMul, rng } from './test-util.js';

const avail = blasAvailable();
const skip = avail.available ? false : `OpenBLAS addon unavailable: ${avail.reason}`;

test('sgemm: C = alpha op(A) op(B) + beta C for all transposes and odd sizes', { skip }, () => {
  const next = rng(21);
  for (let i = 0; i < 32; i++) {
    const [m, n, k] = [randInt(next, 1, 70), randInt(next, 1, 70), randInt(next, 1, 70)];
    const ta = (i & 1) === 1;
    const tb = (i & 2) === 2;
    const a = randomArray(m * k, next);
    const b = randomArray(k * n, next);
    const c0 = randomArray(m * n, next);
    const [alpha, beta] = [0.5 + next(), i % 3 === 0 ? 0 : next() - 0.5];
    const c = c0.slice();
    sgemm(ta, tb, m, n, k, alpha, a, b, beta, c);
    const ref = referenceMatMul(a, ta ? [k, m] : [m, k], b, tb ? [n, k] : [k, n], ta, tb).data;
    const want = ref.map((v, j) => alpha * v + beta * c0[j]);
    assertClose(c, want, k, `sgemm ${m}x${n}x${k} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`);
  }
});

test('sgemm validates its arguments instead of reading out of bounds', { skip }, () => {
  const a = new Float32Array(6);
  assert.throws(() => sgemm(false, false, 2, 3, 3, 1, a, new Float32Array(9), 0, new Float32Array(5)), RangeError);
  assert.throws(() => sgemm(false, false, 2, 3, 3, 1, a, new Float32Array(8), 0, new Float32Array(6)), RangeError);
  assert.throws(
    () => sgemm(false, false, 2, 3, 3, 1, a, new Float64Array(9) as unknown as Float32Array, 0, new Float32Array(6)),
    /Float32Arrays/,
  );
  assert.throws(() => sgemm(false, false, -1, 3, 3, 1, a, new Float32Array(9), 0, new Float32Array(6)), /bad dims/);
});

test('matmul refuses operands that fall outside their arrays or are misaligned', { skip }, () => {
  const load = loadAddon();
  assert.ok(load.addon);
  const heap = new Uint8Array(1024);
  const call = (aOff: number, cOff: number, batch: Float64Array | null = null) =>
    load.addon!.matmul(heap, aOff, heap, 0, heap, cOff, false, false, 4, 4, 4, batch, null, 0, 0, 0);
  assert.doesNotThrow(() => call(0, 64));
  assert.throws(() => call(1000, 64), /outside its array/);
  assert.throws(() => call(2, 64), /outside its array/); // not float-aligned
  assert.throws(() => call(0, 64, Float64Array.from([20, 16, 0])), /outside its array/); // 20 A matrices
  assert.throws(() => call(0, 64, Float64Array.from([2, 16])), /triples/);
});
