import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadAddon } from './addon.js';
import { check, floats, ints, randomShape, size, skip, use, useOpsHooks, type Input } from './test-ops-harness.js';
import { assertClose, randInt, rng } from './test-util.js';

// Gathers, buffer-sharing copies, non-float32 inputs, gradients, memory over many passes and the
// native entry points' bounds checks (ops.test.ts has the element-wise and layout kernels).
useOpsHooks();

test('GatherV2: embedding lookups and other axes; a bad index throws', { skip }, async () => {
  const next = rng(111);
  const idx = (n: number, count: number[]): Input => ({
    data: Int32Array.from({ length: size(count) }, () => randInt(next, 0, n - 1)),
    shape: count,
    dtype: 'int32',
  });
  await check((x, i) => tf.gather(x, i), [floats(next, [37, 16]), idx(37, [5, 9])], 'embedding');
  await check((x, i) => tf.gather(x, i, 1), [floats(next, [3, 11, 5]), idx(11, [7])], 'axis 1');
  await check((x, i) => tf.gather(x, i, 2), [floats(next, [3, 4, 6]), idx(6, [2, 2])], 'last axis');
  await check((x, i) => tf.gather(x, i), [floats(next, [8]), idx(8, [0])], 'no indices');
  for (let k = 0; k < 10; k++) {
    const shape = randomShape(next, 4, 7);
    const axis = randInt(next, 0, shape.length - 1);
    const count = randomShape(next, 2, 5);
    await check(
      (x, i) => tf.gather(x, i, axis),
      [floats(next, shape), idx(shape[axis], count)],
      `[${shape}] axis ${axis}`,
    );
  }
  await use('native');
  assert.throws(
    () =>
      tf.gather(
        tf.tensor2d([
          [1, 2],
          [3, 4],
        ]),
        tf.tensor1d([0, 2], 'int32'),
      ),
    /index value 2 is not in \[0, 1\]/,
  );
});

test('Identity and Cast share the buffer safely: the copy outlives its source', { skip }, async () => {
  const next = rng(106);
  await check((x) => tf.clone(x), [floats(next, [5, 7])], 'clone');
  await check((x) => tf.cast(x, 'float32'), [floats(next, [5, 7])], 'cast to float32');
  await check((x) => tf.cast(x, 'int32'), [floats(next, [5, 7])], 'cast to int32 (original kernel)');
  await use('native');
  const src = tf.tensor1d([1, 2, 3]);
  const copy = tf.clone(src);
  const same = tf.cast(src, 'float32');
  src.dispose();
  assert.deepEqual(Array.from(copy.dataSync()), [1, 2, 3]);
  assert.deepEqual(Array.from(same.dataSync()), [1, 2, 3]);
  tf.dispose([copy, same]);
  // A variable's clone keeps the old values after the variable is reassigned, and vice versa.
  const v = tf.variable(tf.tensor1d([4, 5]));
  const snapshot = tf.clone(v);
  v.assign(tf.tensor1d([7, 8]));
  assert.deepEqual(Array.from(snapshot.dataSync()), [4, 5]);
  snapshot.dispose();
  assert.deepEqual(Array.from(v.dataSync()), [7, 8]);
  v.dispose();
});

test("non-float32 inputs go to wasm's own kernels and still agree with cpu", { skip }, async () => {
  const next = rng(107);
  await check((x) => tf.transpose(x, [1, 0, 2]), [ints(next, [3, 4, 5])], 'int32 transpose');
  await check((a, b) => tf.add(a, b), [ints(next, [3, 4]), ints(next, [4])], 'int32 add');
  await check((a, b) => tf.mul(a, b), [ints(next, [3, 4]), ints(next, [3, 1])], 'int32 mul');
  await check((x) => tf.sum(x, -1), [ints(next, [3, 4])], 'int32 sum');
  await check((x) => tf.slice(x, [1, 1], [2, 2]), [ints(next, [3, 4])], 'int32 slice');
  await check((x) => tf.split(x, 2, 1), [ints(next, [3, 4])], 'int32 split');
  await check((a, b) => tf.concat([a, b], 1), [ints(next, [3, 4]), ints(next, [3, 2])], 'int32 concat');
  await check((x) => tf.clone(x), [ints(next, [3, 4])], 'int32 clone');
  await check((x) => tf.cast(x, 'float32'), [ints(next, [3, 4])], 'int32 → float32 cast');
  await check((a, b) => tf.add(a, b), [floats(next, [3, 4]), ints(next, [4])], 'float32 + int32');
});

/** A Transformer-like scalar loss touching every replaced kernel on the way forward and back. */
function attentionLoss(x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor, gamma: tf.Tensor): tf.Scalar {
  const [b, t, d] = x.shape as [number, number, number];
  const heads = 2;
  const { mean, variance } = tf.moments(x, -1, true);
  const ln = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), bias);
  const qkv = tf.reshape(tf.matMul(tf.reshape(ln, [b * t, d]), w), [b, t, 3 * d]);
  const [q, k, v] = tf
    .split(qkv, 3, 2)
    .map((z) =>
      tf.reshape(tf.transpose(tf.reshape(z, [b, t, heads, d / heads]), [0, 2, 1, 3]), [b * heads, t, d / heads]),
    );
  const p = tf.softmax(tf.mul(tf.matMul(q, tf.transpose(k, [0, 2, 1])), 0.3), -1);
  const ctx = tf.transpose(tf.reshape(tf.matMul(p, v), [b, heads, t, d / heads]), [0, 2, 1, 3]);
  const y = tf.concat([tf.reshape(ctx, [b, t, d]), tf.slice(x, [0, 0, 0], [b, t, d])], 2);
  return tf.sum(tf.mul(tf.clone(y), tf.cast(y, 'float32')));
}

test('gradients through tf.grads are unchanged (native vs wasm own vs cpu), shapes changing per call', {
  skip,
}, async () => {
  const next = rng(108);
  for (const [b, t, d] of [
    [2, 5, 8],
    [3, 7, 6],
    [1, 16, 12],
    [2, 9, 4],
  ]) {
    const inputs = [floats(next, [b, t, d]), floats(next, [d, 3 * d]), floats(next, [d]), floats(next, [d])];
    const grads = () => {
      const xs = inputs.map((x) => tf.tensor(x.data, x.shape));
      const gs = tf.grads((x, w, bias, gamma) => attentionLoss(x, w, bias, gamma))(xs);
      const out = gs.map((g) => new Float32Array(g.dataSync()));
      tf.dispose([...xs, ...gs]);
      return out;
    };
    await use('native');
    const native = grads();
    await use('wasm');
    const wasm = grads();
    await use('cpu');
    const cpu = grads();
    await use('native');
    native.forEach((g, i) => {
      assertClose(g, wasm[i], b * t * d, `[${b},${t},${d}] grad ${i} vs wasm`);
      assertClose(g, cpu[i], b * t * d, `[${b},${t},${d}] grad ${i} vs cpu`);
    });
  }
});

test('memory stays flat over 300 forward/backward passes (tensors, bytes, wasm heap)', { skip }, async () => {
  const next = rng(109);
  await use('native');
  const inputs = [floats(next, [2, 6, 8]), floats(next, [8, 24]), floats(next, [8]), floats(next, [8])];
  const xs = inputs.map((x) => tf.tensor(x.data, x.shape));
  const step = () =>
    tf.tidy(() =>
      tf
        .grads((x, w, b, g) => attentionLoss(x, w, b, g))(xs)
        .map((gr) => tf.sum(gr)),
    );
  tf.dispose(step()); // warm-up
  const before = tf.memory();
  const heap = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
  for (let i = 0; i < 300; i++) tf.dispose(step());
  const afterMem = tf.memory();
  assert.equal(afterMem.numTensors, before.numTensors);
  assert.equal(afterMem.numBytes, before.numBytes);
  assert.equal(
    (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length,
    heap,
    'wasm heap did not grow',
  );
  tf.dispose(xs);
});

test('the native entry points refuse descriptors and ranges outside their arrays', { skip }, () => {
  const load = loadAddon();
  assert.ok(load.addon);
  const addon = load.addon;
  const heap = new Uint8Array(1024);
  const desc = new Float64Array([4, 4, 1, 4, 4, 1]);
  assert.throws(() => addon.copyStrided(heap, 0, heap, 1000, desc, 2), /outside its array/);
  assert.throws(() => addon.copyStrided(heap, 2, heap, 0, desc, 2), /outside its array/); // misaligned
  assert.throws(() => addon.transpose(heap, 0, heap, 0, new Float64Array([2, 2, 0, 0]), 2), /permutation/);
  assert.throws(() => addon.binary(9, heap, 0, heap, 0, heap, 0, new Float64Array(0), 0), /bad op/);
  assert.throws(() => addon.sum(heap, 0, heap, 0, 1, 300, 1), /outside its array/);
  assert.throws(() => addon.rowwise(0, heap, 0, heap, 0, 16, 17), /outside its array/);
  assert.throws(() => addon.unary(99, heap, 0, heap, 0, 4), /bad op/);
  assert.throws(() => addon.copyStrided(heap, 0, heap, 0, new Float64Array([-1, 1, 1]), 1), /descriptor/);
  assert.throws(() => addon.copyStrided(new Float64Array(4), 0, heap, 0, desc, 2), /must be a Uint8Array/);
  addon.copyStrided(heap, 0, heap, 512, desc, 2); // in range: fine
  // Separate arrays per operand (the cpu backend's layout): each range is checked against its own array.
  const x = new Float32Array(16);
  const y = new Float32Array(8);
  assert.throws(() => addon.copyStrided(x, 0, y, 0, desc, 2), /copyStrided y: operand outside/);
  addon.unary(5, Float32Array.from([1, 2, 3]), 0, y, 4, 3);
  assert.deepEqual(Array.from(y.subarray(1, 4)), [1, 4, 9]);
});
