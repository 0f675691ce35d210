import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blasStatus, registerBlasKernels, unregisterBlasKernels } from './index.js';
import { check, floats, randomPerm, randomShape, size, skip, use, useOpsHooks, type Op } from './test-ops-harness.js';
import { assertClose, randInt, rng } from './test-util.js';

// Element-wise, layout and reduction kernels against wasm's own and cpu (ops-safety.test.ts has
// gathers, copies, other dtypes, gradients, memory and the entry points' bounds).
useOpsHooks();

test("registration adds the op kernels; ops: false and unregister put wasm's own back", { skip }, async () => {
  await use('wasm');
  const own = tf.getKernel('Transpose', 'wasm');
  registerBlasKernels();
  assert.notEqual(tf.getKernel('Transpose', 'wasm'), own);
  registerBlasKernels({ ops: false });
  assert.equal(tf.getKernel('Transpose', 'wasm'), own);
  assert.ok(blasStatus().kernels.includes('BatchMatMul'));
  registerBlasKernels();
  unregisterBlasKernels();
  assert.equal(tf.getKernel('Transpose', 'wasm'), own);
});

test('Transpose: Transformer shapes and random shapes/permutations up to rank 6', { skip }, async () => {
  const next = rng(101);
  await check((x) => tf.transpose(x, [0, 2, 1, 3]), [floats(next, [2, 13, 4, 8])], 'split heads');
  await check((x) => tf.transpose(x, [0, 2, 1]), [floats(next, [3, 37, 9])], 'kᵀ');
  await check((x) => tf.transpose(x), [floats(next, [129, 67])], '2-D odd');
  await check((x) => tf.transpose(x), [floats(next, [1, 33])], '1×N');
  await check((x) => tf.transpose(x), [floats(next, [33, 1])], 'N×1');
  await check((x) => tf.transpose(x, [0]), [floats(next, [5])], 'rank 1');
  await check((x) => tf.transpose(x), [floats(next, [0, 4])], 'empty');
  for (let i = 0; i < 40; i++) {
    const shape = randomShape(next, 6, 7);
    const perm = randomPerm(next, shape.length);
    await check((x) => tf.transpose(x, perm), [floats(next, shape)], `[${shape}] perm ${perm}`);
  }
});

test('Add/Sub/Multiply/RealDiv: broadcasting in every direction, random shapes', { skip }, async () => {
  const next = rng(102);
  const ops: [string, Op][] = [
    ['add', tf.add],
    ['sub', tf.sub],
    ['mul', tf.mul],
    ['div', tf.div],
  ];
  const pairs: [number[], number[]][] = [
    [[4, 7, 9], [9]],
    [
      [4, 7, 9],
      [4, 7, 1],
    ],
    [
      [5, 9, 9],
      [9, 9],
    ],
    [
      [3, 1, 5],
      [4, 1],
    ],
    [[7], []],
    [[], [3, 2]],
    [
      [1, 6],
      [5, 1],
    ],
    [
      [2, 3, 4, 5],
      [2, 3, 4, 5],
    ],
    [[0, 3], [3]],
    [
      [2, 1, 3, 1, 2],
      [1, 4, 1, 5, 1],
    ],
  ];
  for (let i = 0; i < 20; i++) {
    const out = randomShape(next, 5, 6);
    const a = out.map((d) => (next() < 0.3 ? 1 : d)).slice(randInt(next, 0, out.length - 1));
    const b = out.map((d) => (next() < 0.3 ? 1 : d)).slice(randInt(next, 0, out.length - 1));
    pairs.push([a, b]);
  }
  for (const [name, op] of ops) {
    for (const [sa, sb] of pairs) {
      const b = floats(next, sb);
      if (name === 'div') b.data = b.data.map((v) => (Math.abs(v) < 0.1 ? 0.5 : v));
      await check(op, [floats(next, sa), b], `${name} [${sa}] [${sb}]`);
    }
  }
});

test('Sum: contiguous axis blocks (native) and others (fallback), keepDims, odd sizes', { skip }, async () => {
  const next = rng(103);
  await check((x) => tf.sum(x, [0, 1]), [floats(next, [7, 33, 19])], 'bias grad', 7 * 33);
  await check((x) => tf.sum(x, 0), [floats(next, [301, 11])], 'axis 0', 301);
  await check((x) => tf.sum(x, -1, true), [floats(next, [5, 3, 77])], 'last, keepDims', 77);
  await check((x) => tf.sum(x), [floats(next, [6, 7, 8])], 'all', 336);
  await check((x) => tf.sum(x, [0, 2]), [floats(next, [6, 7, 8])], 'non-contiguous', 48);
  await check((x) => tf.sum(x, 1), [floats(next, [3, 0, 4])], 'over nothing');
  for (let i = 0; i < 25; i++) {
    const shape = randomShape(next, 5, 9);
    const first = randInt(next, 0, shape.length - 1);
    const last = randInt(next, first, shape.length - 1);
    const axes = Array.from({ length: last - first + 1 }, (_, j) => first + j);
    const keep = next() < 0.5;
    await check((x) => tf.sum(x, axes, keep), [floats(next, shape)], `[${shape}] axes ${axes}`, size(shape));
  }
});

test('Softmax over the last axis, including masked (−1e9) entries that must be exactly 0', { skip }, async () => {
  const next = rng(104);
  for (const shape of [
    [1, 1],
    [3, 17],
    [4, 128],
    [2, 5, 33],
    [7, 1000],
  ]) {
    await check((x) => tf.softmax(x), [floats(next, shape)], `[${shape}]`);
    await check((x) => tf.softmax(tf.mul(x, 40)), [floats(next, shape)], `[${shape}] large logits`);
  }
  await use('native');
  const p = tf.tidy(() =>
    tf.softmax(
      tf.add(
        tf.zeros([4, 4]),
        tf.tensor2d([
          [0, -1e9, -1e9, -1e9],
          [0, 0, -1e9, -1e9],
          [1, 2, 3, -1e9],
          [0, 0, 0, 0],
        ]),
      ),
    ),
  );
  const v = p.dataSync();
  p.dispose();
  for (const i of [1, 2, 3, 6, 7, 11]) assert.equal(v[i], 0, `masked entry ${i} is exactly 0`);
  assertClose([v[0], v[4], v[15]], [1, 0.5, 0.25], 1, 'unmasked rows');
});

test('Slice, SplitV and Concat: random boxes and axes, changing every call', { skip }, async () => {
  const next = rng(105);
  await check((x) => tf.split(x, 3, 2), [floats(next, [3, 11, 3 * 7])], 'qkv split');
  await check(
    (a, b, c) => tf.concat([a, b, c], 2),
    [
      [3, 11, 7],
      [3, 11, 7],
      [3, 11, 7],
    ].map((s) => floats(next, s)),
    'qkv concat',
  );
  await check(
    (a, b) => tf.concat([a, b], 0),
    [floats(next, [0, 4]), floats(next, [3, 4])],
    'concat with an empty piece',
  );
  for (let i = 0; i < 30; i++) {
    const shape = randomShape(next, 5, 8);
    const begin = shape.map((d) => randInt(next, 0, d - 1));
    const sz = shape.map((d, j) => randInt(next, 1, d - begin[j]));
    await check((x) => tf.slice(x, begin, sz), [floats(next, shape)], `slice [${shape}] @${begin} +${sz}`);
    const axis = randInt(next, 0, shape.length - 1);
    const cut = randInt(next, 0, shape[axis]);
    await check(
      (x) => tf.split(x, [cut, shape[axis] - cut], axis),
      [floats(next, shape)],
      `split [${shape}] axis ${axis} at ${cut}`,
    );
    const other = shape.slice();
    other[axis] = randInt(next, 1, 6);
    await check(
      (a, b, c) => tf.concat([a, b, c], axis),
      [floats(next, shape), floats(next, other), floats(next, shape)],
      `concat [${shape}]+[${other}] axis ${axis}`,
    );
  }
});

test('Exp over the whole float32 range, including overflow, underflow and NaN', { skip }, async () => {
  const next = rng(110);
  for (const shape of [[1], [7], [33, 17], [2, 3, 129]]) {
    const x = floats(next, shape);
    x.data = x.data.map((v) => v * 20);
    await check((t) => tf.exp(t), [x], `[${shape}]`);
  }
  const edge = new Float32Array([
    0,
    1,
    -1,
    88,
    88.5,
    88.72,
    89,
    1000,
    -87,
    -87.5,
    -104,
    -1e9,
    1e-8,
    Infinity,
    -Infinity,
  ]);
  await check((t) => tf.exp(t), [{ data: edge, shape: [edge.length] }], 'edges');
  await use('native');
  const y = tf.tidy(() => tf.exp(tf.tensor1d([NaN, 3]))).dataSync();
  assert.ok(Number.isNaN(y[0]));
});
