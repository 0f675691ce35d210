// The native non-matMul kernels (src/elementwise-kernels.ts, copy-kernels.ts, shared-kernels.ts) against wasm's own kernels and the cpu backend.
// tfjs-core's Node build registers no gradients; the union package does, on the same engine.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadAddon } from './addon.js';
import { blasAvailable, blasStatus, registerBlasKernels, unregisterBlasKernels } from './index.js';
import { OP_KERNELS } from './register.js';
import { assertClose, randInt, randomArray, rng } from './test-util.js';

const avail = blasAvailable();
const skip = avail.available ? false : `OpenBLAS addon unavailable: ${avail.reason}`;

before(async () => {
  await tf.setBackend('wasm');
});
after(() => unregisterBlasKernels());

type Mode = 'native' | 'wasm' | 'cpu';
async function use(mode: Mode): Promise<void> {
  const backend = mode === 'cpu' ? 'cpu' : 'wasm';
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
  if (mode === 'native') {
    assert.equal(registerBlasKernels().enabled, true);
    assert.ok(OP_KERNELS.every((k) => blasStatus().kernels.includes(k)));
  } else {
    unregisterBlasKernels();
  }
}

interface Input {
  data: Float32Array | Int32Array;
  shape: number[];
  dtype?: 'float32' | 'int32';
}
type Op = (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
function floats(next: () => number, shape: number[]): Input {
  return { data: randomArray(size(shape), next), shape };
}
function ints(next: () => number, shape: number[]): Input {
  return { data: Int32Array.from({ length: size(shape) }, () => randInt(next, -50, 50)), shape, dtype: 'int32' };
}

/** Runs op on fresh tensors and reads every output out (dtype, shape, values). */
function run(op: Op, inputs: Input[]): { shape: number[]; dtype: string; data: Float32Array }[] {
  const xs = inputs.map((x) => tf.tensor(x.data, x.shape, x.dtype ?? 'float32'));
  try {
    const y = op(...xs);
    const ys = Array.isArray(y) ? y : [y];
    const out = ys.map((t) => ({ shape: t.shape, dtype: t.dtype, data: new Float32Array(t.dataSync()) }));
    tf.dispose(ys);
    return out;
  } finally {
    tf.dispose(xs);
  }
}

/** op through the native kernels, wasm's own and cpu: same shapes and dtypes, values within tol. */
async function check(op: Op, inputs: Input[], label: string, k = 1): Promise<void> {
  await use('native');
  const native = run(op, inputs);
  await use('wasm');
  const wasm = run(op, inputs);
  await use('cpu');
  const cpu = run(op, inputs);
  await use('native');
  for (const [name, ref] of [
    ['wasm', wasm],
    ['cpu', cpu],
  ] as const) {
    assert.equal(native.length, ref.length, `${label}: output count vs ${name}`);
    native.forEach((y, i) => {
      assert.deepEqual(y.shape, ref[i].shape, `${label}[${i}]: shape vs ${name}`);
      assert.equal(y.dtype, ref[i].dtype, `${label}[${i}]: dtype vs ${name}`);
      assertClose(y.data, ref[i].data, k, `${label}[${i}] vs ${name}`);
    });
  }
}

/** A random shape of rank 1..maxRank with dims in 1..maxDim (odd sizes included). */
function randomShape(next: () => number, maxRank = 4, maxDim = 9): number[] {
  return Array.from({ length: randInt(next, 1, maxRank) }, () => randInt(next, 1, maxDim));
}
function randomPerm(next: () => number, rank: number): number[] {
  const p = Array.from({ length: rank }, (_, i) => i);
  for (let i = rank - 1; i > 0; i--) {
    const j = randInt(next, 0, i);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

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
