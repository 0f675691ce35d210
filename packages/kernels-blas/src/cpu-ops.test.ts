// The native kernels on tfjs's cpu backend (registerBlasKernels({ backend: 'cpu' })) against the
// cpu backend's own kernels, and the safety of the buffer pool behind their outputs (src/pool.ts).
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { blasStatus, clearCpuPool, cpuPoolStats, registerBlasKernels, unregisterBlasKernels } from './index.js';
import { CPU_OP_KERNELS } from './register.js';
import { run, size, skip, type Input, type Op } from './test-ops-harness.js';
import { assertClose, randInt, randomArray, rng } from './test-util.js';

before(async () => {
  await tf.setBackend('cpu');
});
after(() => unregisterBlasKernels('cpu'));

function native(on: boolean): void {
  if (on) assert.equal(registerBlasKernels({ backend: 'cpu' }).enabled, true);
  else unregisterBlasKernels('cpu');
}

const floats = (next: () => number, shape: number[], scale = 1): Input => {
  const data = randomArray(size(shape), next);
  for (let i = 0; i < data.length; i++) data[i] *= scale;
  return { data, shape };
};

/** op with the native kernels and with the cpu backend's own: same shapes, dtypes, values within tol. */
function check(op: Op, inputs: Input[], label: string, k = 1): void {
  native(true);
  const ours = run(op, inputs);
  native(false);
  const own = run(op, inputs);
  native(true);
  assert.equal(ours.length, own.length, `${label}: output count`);
  ours.forEach((y, i) => {
    assert.deepEqual(y.shape, own[i].shape, `${label}[${i}]: shape`);
    assert.equal(y.dtype, own[i].dtype, `${label}[${i}]: dtype`);
    assertClose(y.data, own[i].data, k, `${label}[${i}]`);
  });
}

function randomShape(next: () => number, maxRank = 4, maxDim = 9): number[] {
  return Array.from({ length: randInt(next, 1, maxRank) }, () => randInt(next, 1, maxDim));
}
/** A shape b broadcasts against a: a suffix of a with some dims set to 1. */
function broadcastPartner(next: () => number, a: number[]): number[] {
  const keep = randInt(next, 0, a.length);
  return a.slice(a.length - keep).map((d) => (next() < 0.4 ? 1 : d));
}

test('registration replaces the cpu kernels and wraps no wasm kernel; unregister restores them', { skip }, () => {
  native(true);
  const status = blasStatus('cpu');
  assert.deepEqual(status.kernels.sort(), ['BatchMatMul', '_FusedMatMul', ...CPU_OP_KERNELS].sort());
  assert.equal(status.enabled, true);
  unregisterBlasKernels('cpu');
  assert.deepEqual(blasStatus('cpu').kernels, []);
  native(true);
});

test('matMul and fused matMul: transposes, batch broadcasting, bias and relu', { skip }, () => {
  const next = rng(11);
  for (const [a, b, ta, tb] of [
    [[7, 5], [5, 3], false, false],
    [[5, 7], [5, 3], true, false],
    [[7, 5], [3, 5], false, true],
    [[1, 4, 6], [3, 6, 5], false, false],
    [[4, 8, 9], [4, 2, 8], true, true],
  ] as [number[], number[], boolean, boolean][]) {
    check((x, y) => tf.matMul(x, y, ta, tb), [floats(next, a), floats(next, b)], `matMul ${a}×${b} ${ta}${tb}`, 9);
  }
  check(
    (x, w, bias) => tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias, activation: 'relu' }),
    [floats(next, [6, 4]), floats(next, [4, 5]), floats(next, [5])],
    'fused relu',
    4,
  );
});

test('binary kernels broadcast in every direction (Add/Sub/Mul/Div/Maximum/Minimum/SquaredDifference)', {
  skip,
}, () => {
  const next = rng(12);
  const ops: [string, Op][] = [
    ['add', tf.add],
    ['sub', tf.sub],
    ['mul', tf.mul],
    ['div', tf.div],
    ['maximum', tf.maximum],
    ['minimum', tf.minimum],
    ['squaredDifference', tf.squaredDifference],
  ];
  for (let i = 0; i < 40; i++) {
    const a = randomShape(next, 5);
    const b = broadcastPartner(next, a);
    const [name, op] = ops[i % ops.length];
    const swap = next() < 0.5;
    const inputs = [floats(next, a), floats(next, b)];
    check(op, swap ? inputs.reverse() : inputs, `${name} [${swap ? b : a}] [${swap ? a : b}]`);
  }
  check(tf.add, [floats(next, [3, 128, 16]), floats(next, [128, 16])], 'mask-like add');
});

test('reductions: Sum/Mean over contiguous and other axes, Max over trailing axes, keepDims', { skip }, () => {
  const next = rng(13);
  for (let i = 0; i < 30; i++) {
    const shape = randomShape(next, 4);
    const axis = Array.from(
      new Set(Array.from({ length: randInt(next, 1, shape.length) }, () => randInt(next, 0, shape.length - 1))),
    );
    const keepDims = next() < 0.5;
    check((x) => tf.sum(x, axis, keepDims), [floats(next, shape)], `sum [${shape}] axis ${axis}`, shape.length * 9);
    check((x) => tf.mean(x, axis, keepDims), [floats(next, shape)], `mean [${shape}] axis ${axis}`, shape.length * 9);
    check((x) => tf.max(x, axis, keepDims), [floats(next, shape)], `max [${shape}] axis ${axis}`);
  }
  check((x) => tf.max(x, -1), [{ data: Float32Array.from([1, NaN, 3, 4, 5, 6]), shape: [2, 3] }], 'max with NaN');
});

test('unary kernels and softmax, with NaN and the masked −1e9 scores', { skip }, () => {
  const next = rng(14);
  const shape = [3, 17, 33];
  const pos = floats(next, shape);
  for (let i = 0; i < pos.data.length; i++) pos.data[i] = Math.abs(pos.data[i]) + 1e-3;
  const signed = floats(next, shape, 5);
  signed.data[3] = NaN;
  signed.data[7] = 0;
  for (const [name, op, input] of [
    ['exp', tf.exp, signed],
    ['log', tf.log, pos],
    ['neg', tf.neg, signed],
    ['sqrt', tf.sqrt, pos],
    ['rsqrt', tf.rsqrt, pos],
    ['square', tf.square, signed],
    ['relu', tf.relu, signed],
    ['step', (x: tf.Tensor) => tf.step(x), signed],
    ['reciprocal', tf.reciprocal, pos],
    ['softmax', (x: tf.Tensor) => tf.softmax(x), floats(next, shape, 10)],
  ] as [string, Op, Input][]) {
    check(op, [input], name);
  }
  const masked = floats(next, [4, 8]);
  for (let r = 0; r < 4; r++) for (let c = r + 1; c < 8; c++) masked.data[r * 8 + c] = -1e9;
  check((x) => tf.softmax(x), [masked], 'masked softmax');
});

test('Transpose, Slice, SplitV, Concat and GatherV2 on random shapes', { skip }, () => {
  const next = rng(15);
  for (let i = 0; i < 20; i++) {
    const shape = randomShape(next, 5, 7);
    const perm = shape.map((_, j) => j).sort(() => next() - 0.5);
    check((x) => tf.transpose(x, perm), [floats(next, shape)], `transpose [${shape}] ${perm}`);
    const begin = shape.map((d) => randInt(next, 0, d - 1));
    const sz = shape.map((d, j) => randInt(next, 1, d - begin[j]));
    check((x) => tf.slice(x, begin, sz), [floats(next, shape)], `slice [${shape}]`);
    const axis = randInt(next, 0, shape.length - 1);
    check(
      (x) =>
        tf.split(
          x,
          [1, shape[axis] - 1].filter((s) => s > 0),
          axis,
        ),
      [floats(next, shape)],
      `split [${shape}] ${axis}`,
    );
    check((x, y) => tf.concat([x, y], axis), [floats(next, shape), floats(next, shape)], `concat [${shape}] ${axis}`);
  }
  const ids: Input = {
    data: Int32Array.from({ length: 12 }, () => randInt(next, 0, 9)),
    shape: [3, 4],
    dtype: 'int32',
  };
  check((t, i) => tf.gather(t, i), [floats(next, [10, 6]), ids], 'embedding gather');
});

test("gradients of a Transformer-like loss agree with the cpu backend's own kernels", { skip }, () => {
  const next = rng(16);
  const inputs = [floats(next, [2, 8, 12]), floats(next, [12, 36]), floats(next, [36]), floats(next, [8, 8])];
  const loss = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, mask: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, -1, true);
    const h = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
    const qkv = tf.add(tf.matMul(tf.reshape(h, [16, 12]), w), b);
    const [q, k, v] = tf.split(tf.reshape(qkv, [2, 8, 36]), 3, 2);
    const p = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 0.3), mask));
    const o = tf.relu(tf.matMul(p, v));
    return tf.sum(tf.square(tf.sub(tf.logSoftmax(o), tf.max(o, -1, true))));
  };
  check((x, w, b, m) => tf.grads(loss)([x, w, b, m]), inputs, 'grads', 36);
});

test('float32 tensors the cpu backend cast from int32 or bool without a copy are read as numbers', { skip }, () => {
  native(true);
  const ids = tf.tensor1d([0, 2, 1, 2], 'int32');
  const oneHot = tf.oneHot(ids, 3); // int32
  const x = tf.tensor2d(
    Float32Array.from({ length: 12 }, (_, i) => i + 0.5),
    [4, 3],
  );
  const product = tf.mul(x, oneHot); // oneHot is cast to float32 by sharing its Int32Array
  assert.deepEqual(Array.from(product.dataSync()), [0.5, 0, 0, 0, 0, 5.5, 0, 7.5, 0, 0, 0, 11.5]);
  const flags = tf.greater(x, 5); // bool, a Uint8Array
  assert.deepEqual(
    tf.tidy(() => Array.from(tf.add(flags, tf.scalar(0.5)).dataSync())),
    [0.5, 0.5, 0.5, 0.5, 0.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5],
  );
  tf.dispose([ids, oneHot, x, product, flags]);
});

test('the pool never reuses a buffer something else can still see', { skip }, () => {
  native(true);
  const next = rng(17);
  // dataSync hands out the buffer itself on cpu: it must survive the tensor.
  const a = tf.tensor(randomArray(64, next), [8, 8]);
  const y = tf.mul(a, 2);
  const seen = y.dataSync();
  const copy = Float32Array.from(seen);
  y.dispose();
  // cpu's own Unpack slices contiguous rows as views of its input: they must survive it too.
  const z = tf.add(a, 1);
  const rows = tf.unstack(z);
  const rowCopy = Float32Array.from(rows[3].dataSync());
  z.dispose();
  for (let i = 0; i < 20; i++) tf.dispose([tf.mul(a, i), tf.add(a, i), tf.sub(a, i)]);
  // A buffer made while registered, viewed by an unwrapped kernel while unregistered, is never reused.
  const w = tf.mul(a, 3);
  native(false);
  const wRows = tf.unstack(w);
  native(true);
  const wCopy = Float32Array.from(wRows[5].dataSync());
  w.dispose();
  for (let i = 0; i < 20; i++) tf.dispose([tf.mul(a, i), tf.add(a, i)]);
  assert.deepEqual(wRows[5].dataSync(), wCopy, 'a view made while unregistered was overwritten');
  tf.dispose(wRows);
  assert.deepEqual(seen, copy, 'dataSync result overwritten');
  assert.deepEqual(rows[3].dataSync(), rowCopy, 'a view made by a cpu kernel was overwritten');
  tf.dispose([a, ...rows]);
});

test('memory stays flat over 200 forward/backward passes: tensors, bytes and the pool', { skip }, () => {
  native(true);
  const next = rng(18);
  const x = tf.tensor(randomArray(4 * 16 * 32, next), [4, 16, 32]);
  const w = tf.tensor(randomArray(32 * 48, next), [32, 48]);
  const step = () =>
    tf.tidy(() =>
      tf
        .grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.softmax(tf.relu(tf.matMul(tf.reshape(p, [64, 32]), q)))))([
          x,
          w,
        ])
        .map((g) => g.dataSync()),
    );
  for (let i = 0; i < 20; i++) step();
  const before = tf.memory();
  const poolBefore = cpuPoolStats()!.bytes;
  for (let i = 0; i < 200; i++) step();
  assert.equal(tf.memory().numTensors, before.numTensors);
  assert.equal(tf.memory().numBytes, before.numBytes);
  assert.ok(
    cpuPoolStats()!.bytes <= poolBefore + 64 * 48 * 4 * 4,
    `pool grew: ${poolBefore} → ${cpuPoolStats()!.bytes}`,
  );
  assert.ok(cpuPoolStats()!.hits > 0, 'outputs were reused');
  clearCpuPool();
  assert.equal(cpuPoolStats()!.bytes, 0);
  tf.dispose([x, w]);
});
