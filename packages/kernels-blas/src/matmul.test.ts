import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blasStatus, registerBlasKernels, unregisterBlasKernels } from './index.js';
import { OP_KERNELS } from './register.js';
import { assertClose, evaluate, randInt, referenceMatMul, rng } from './test-util.js';
import {
  checkAgainstTfjs,
  makeCase,
  product,
  shapes,
  skip,
  tag,
  TRANSPOSES,
  use,
  useMatMulHooks,
} from './test-matmul-harness.js';

// The OpenBLAS BatchMatMul against wasm's own and cpu (fused-matmul.test.ts has _FusedMatMul and
// memory over many calls).
useMatMulHooks();

test('registration replaces BatchMatMul and _FusedMatMul on wasm and reports OpenBLAS', { skip }, () => {
  unregisterBlasKernels();
  const originalMatMul = tf.getKernel('BatchMatMul', 'wasm');
  const reg = registerBlasKernels();
  assert.equal(reg.enabled, true);
  assert.equal(reg.reason, undefined);
  assert.equal(reg.threads, 1);
  assert.ok(reg.coreType && reg.coreType.length > 0);
  assert.notEqual(tf.getKernel('BatchMatMul', 'wasm'), originalMatMul);
  assert.deepEqual(blasStatus().kernels.sort(), ['BatchMatMul', '_FusedMatMul', ...OP_KERNELS].sort());
  assert.equal(registerBlasKernels().enabled, true, 'registering twice is harmless');
  assert.equal(registerBlasKernels({ ops: false }).enabled, true);
  assert.deepEqual(blasStatus().kernels.sort(), ['BatchMatMul', '_FusedMatMul'], 'ops: false keeps only the matMuls');
  assert.equal(registerBlasKernels().enabled, true);
  unregisterBlasKernels();
  assert.equal(tf.getKernel('BatchMatMul', 'wasm'), originalMatMul, 'unregister restores the original');
  assert.deepEqual(blasStatus().kernels, []);
  assert.equal(blasStatus().enabled, false);
});

test('vectors and thin matrices: 1xN, Nx1, outer and inner products, all transposes', { skip }, async () => {
  const next = rng(1);
  for (const [m, n, k] of [
    [1, 37, 19],
    [37, 1, 19],
    [23, 29, 1],
    [1, 1, 41],
    [1, 64, 1],
  ]) {
    for (const [ta, tb] of TRANSPOSES) {
      const s = shapes(m, n, k, ta, tb);
      await checkAgainstTfjs(makeCase(next, s.aShape, s.bShape, ta, tb), `${m}x${n}x${k} ${tag(ta, tb)}`);
    }
  }
});

test('odd sizes 1..67, all transposes', { skip }, async () => {
  const next = rng(2);
  for (let i = 0; i < 24; i++) {
    const [m, n, k] = [randInt(next, 1, 67), randInt(next, 1, 67), randInt(next, 1, 67)];
    const [ta, tb] = TRANSPOSES[i % 4];
    const s = shapes(m, n, k, ta, tb);
    await checkAgainstTfjs(makeCase(next, s.aShape, s.bShape, ta, tb), `${m}x${n}x${k} ${tag(ta, tb)}`);
  }
});

test('128x1024x1024, all transposes', { skip }, async () => {
  const next = rng(3);
  for (const [ta, tb] of TRANSPOSES) {
    const s = shapes(128, 1024, 1024, ta, tb);
    await checkAgainstTfjs(makeCase(next, s.aShape, s.bShape, ta, tb), `128x1024x1024 ${tag(ta, tb)}`);
  }
});

test('batched (1..3) and broadcast batch dims as tfjs supports them', { skip }, async () => {
  const next = rng(4);
  for (const [ta, tb] of TRANSPOSES) {
    for (let batch = 1; batch <= 3; batch++) {
      const [m, n, k] = [randInt(next, 1, 40), randInt(next, 1, 40), randInt(next, 1, 40)];
      const same = shapes(m, n, k, ta, tb, [batch], [batch]);
      await checkAgainstTfjs(makeCase(next, same.aShape, same.bShape, ta, tb), `batch ${batch} ${tag(ta, tb)}`);
      const rank2B = shapes(m, n, k, ta, tb, [batch], []);
      await checkAgainstTfjs(makeCase(next, rank2B.aShape, rank2B.bShape, ta, tb), `[${batch}]x2-D ${tag(ta, tb)}`);
      const oneVsMany = shapes(m, n, k, ta, tb, [1], [batch]);
      await checkAgainstTfjs(
        makeCase(next, oneVsMany.aShape, oneVsMany.bShape, ta, tb),
        `[1]x[${batch}] ${tag(ta, tb)}`,
      );
      const rank4 = shapes(m, n, k, ta, tb, [2, batch], [2, batch]);
      await checkAgainstTfjs(makeCase(next, rank4.aShape, rank4.bShape, ta, tb), `[2,${batch}] ${tag(ta, tb)}`);
    }
  }
});

test('numpy broadcasting of batch dims ([2,1] x [3] -> [2,3]) against a float64 reference and tiled cpu', {
  skip,
}, async () => {
  const next = rng(5);
  for (const [ta, tb] of TRANSPOSES) {
    const [m, n, k] = [5, 7, 9];
    const s = shapes(m, n, k, ta, tb, [2, 1], [3]);
    const c = makeCase(next, s.aShape, s.bShape, ta, tb);
    await use('blas');
    const blas = product(c);
    const ref = referenceMatMul(c.a, c.aShape, c.b, c.bShape, ta, tb);
    assert.deepEqual(blas.shape, [2, 3, m, n]);
    assertClose(blas.data, ref.data, k, `broadcast ${tag(ta, tb)} vs reference`);
    await use('cpu');
    const tiled = evaluate(() => {
      const a = tf.tile(tf.tensor(c.a, c.aShape), [1, 3, 1, 1]);
      const b = tf.broadcastTo(tf.tensor(c.b, c.bShape), [2, ...c.bShape]);
      return tf.matMul(a, b, ta, tb);
    }).data;
    await use('blas');
    assertClose(blas.data, tiled, k, `broadcast ${tag(ta, tb)} vs tiled cpu`);
  }
});

test('shapes that change on every call', { skip }, async () => {
  const next = rng(6);
  await use('blas');
  for (let i = 0; i < 60; i++) {
    const [ta, tb] = TRANSPOSES[randInt(next, 0, 3)];
    const batch = randInt(next, 0, 2) === 0 ? [] : [randInt(next, 1, 3)];
    const s = shapes(randInt(next, 1, 90), randInt(next, 1, 90), randInt(next, 1, 90), ta, tb, batch, batch);
    const c = makeCase(next, s.aShape, s.bShape, ta, tb);
    const got = product(c);
    const ref = referenceMatMul(c.a, c.aShape, c.b, c.bShape, ta, tb);
    assert.deepEqual(got.shape, ref.shape);
    assertClose(got.data, ref.data, c.ta ? c.aShape.at(-2)! : c.aShape.at(-1)!, `call ${i}`);
  }
});

test('empty operands: k = 0 gives zeros, m = 0 gives an empty result', { skip }, async () => {
  const next = rng(7);
  await checkAgainstTfjs(makeCase(next, [3, 0], [0, 4], false, false), 'k=0');
  await checkAgainstTfjs(makeCase(next, [0, 5], [5, 4], false, false), 'm=0');
  await use('blas');
  assert.deepEqual(Array.from(product(makeCase(next, [2, 0], [0, 2], false, false)).data), [0, 0, 0, 0]);
});

test("int32 operands go to wasm's own kernel, which still refuses them", { skip }, async () => {
  await use('blas');
  assert.throws(
    () => tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]], [1, 2], 'int32'), tf.tensor2d([[3], [4]], [2, 1], 'int32'))),
    /non-float32|float32/,
  );
});

test('mismatched inner dims throw the tfjs error and leak nothing', { skip }, async () => {
  await use('blas');
  const before = tf.memory().numTensors;
  assert.throws(() => tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([4, 5]))), /inner shapes/);
  assert.equal(tf.memory().numTensors, before);
});
