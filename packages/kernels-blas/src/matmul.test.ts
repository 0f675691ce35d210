import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { blasAvailable, blasStatus, registerBlasKernels, unregisterBlasKernels } from './index.js';
import { OP_KERNELS } from './register.js';
import { assertClose, evaluate, randInt, randomArray, referenceMatMul, rng } from './test-util.js';

const avail = blasAvailable();
const skip = avail.available ? false : `OpenBLAS addon unavailable: ${avail.reason}`;

type Mode = 'blas' | 'wasm' | 'cpu';

before(async () => {
  await tf.setBackend('wasm');
});
after(() => unregisterBlasKernels());

async function use(mode: Mode): Promise<void> {
  const backend = mode === 'cpu' ? 'cpu' : 'wasm';
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
  if (mode === 'blas') assert.equal(registerBlasKernels().enabled, true);
  else unregisterBlasKernels();
}

interface Case {
  a: Float32Array;
  aShape: number[];
  b: Float32Array;
  bShape: number[];
  ta: boolean;
  tb: boolean;
}

function makeCase(next: () => number, aShape: number[], bShape: number[], ta: boolean, tb: boolean): Case {
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  return { a: randomArray(size(aShape), next), aShape, b: randomArray(size(bShape), next), bShape, ta, tb };
}

function product(c: Case): { data: Float32Array; shape: number[] } {
  return evaluate(() => tf.matMul(tf.tensor(c.a, c.aShape), tf.tensor(c.b, c.bShape), c.ta, c.tb));
}

/** Runs a case through BLAS, wasm's own kernel and the cpu backend, and checks all agree. */
async function checkAgainstTfjs(c: Case, label: string): Promise<void> {
  const k = c.ta ? c.aShape[c.aShape.length - 2] : c.aShape[c.aShape.length - 1];
  await use('blas');
  const blas = product(c);
  await use('wasm');
  const wasm = product(c);
  await use('cpu');
  const cpu = product(c);
  await use('blas');
  assert.deepEqual(blas.shape, wasm.shape, `${label}: shape vs wasm`);
  assert.deepEqual(blas.shape, cpu.shape, `${label}: shape vs cpu`);
  assertClose(blas.data, wasm.data, k, `${label} vs wasm`);
  assertClose(blas.data, cpu.data, k, `${label} vs cpu`);
}

const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];
const tag = (ta: boolean, tb: boolean) => `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`;

/** Operand shapes for C[m, n] = op(A) op(B) with the given batch prefixes. */
function shapes(
  m: number,
  n: number,
  k: number,
  ta: boolean,
  tb: boolean,
  aBatch: number[] = [],
  bBatch: number[] = [],
) {
  return {
    aShape: [...aBatch, ...(ta ? [k, m] : [m, k])],
    bShape: [...bBatch, ...(tb ? [n, k] : [k, n])],
  };
}

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

/**
 * tf.fused.matMul against cpu, and against wasm's own fused kernel only where that kernel is right:
 * no transposes, batch 1, bias absent or exactly [n]. Elsewhere it adds bias[n-1] to every row after
 * the first (transposed or batched operands), reads a [1] bias as n values, refuses rank-2 biases.
 */
async function checkFused(
  c: Case,
  bias: { data: Float32Array; shape: number[] } | null,
  activation: tf.fused.Activation,
  label: string,
  prelu?: Float32Array,
) {
  const k = c.ta ? c.aShape.at(-2)! : c.aShape.at(-1)!;
  const run = () =>
    evaluate(() =>
      tf.fused.matMul({
        a: tf.tensor(c.a, c.aShape),
        b: tf.tensor(c.b, c.bShape),
        transposeA: c.ta,
        transposeB: c.tb,
        bias: bias ? tf.tensor(bias.data, bias.shape) : undefined,
        activation,
        preluActivationWeights: prelu ? tf.tensor(prelu) : undefined,
      }),
    );
  await use('blas');
  const blas = run();
  await use('cpu');
  const cpu = run();
  await use('blas');
  assert.deepEqual(blas.shape, cpu.shape, `${label}: shape`);
  assertClose(blas.data, cpu.data, k, `${label} vs cpu`);
  const wasmRight =
    !c.ta &&
    !c.tb &&
    (c.aShape.length === 2 || c.aShape[0] === 1) &&
    (!bias || (bias.shape.length === 1 && bias.shape[0] === blas.shape.at(-1)));
  if (wasmRight) {
    await use('wasm');
    const wasm = run();
    await use('blas');
    assertClose(blas.data, wasm.data, k, `${label} vs wasm`);
  }
}

test('fused matMul: bias per column or scalar, linear/relu/relu6, all transposes, batch 1 and 2', {
  skip,
}, async () => {
  const next = rng(8);
  for (const [ta, tb] of TRANSPOSES) {
    for (const activation of ['linear', 'relu', 'relu6'] as const) {
      for (const batch of [1, 2]) {
        const [m, n, k] = [randInt(next, 1, 50), randInt(next, 1, 50), randInt(next, 1, 50)];
        const s = shapes(m, n, k, ta, tb, [batch], [batch]);
        const c = makeCase(next, s.aShape, s.bShape, ta, tb);
        // Scale up so relu6 clips: products of [-1,1] values summed over k rarely exceed 6 otherwise.
        c.a.forEach((v, i) => (c.a[i] = v * 4));
        const label = `${tag(ta, tb)} ${activation} batch ${batch}`;
        await checkFused(c, { data: randomArray(n, next), shape: [n] }, activation, `${label} bias[n]`);
        await checkFused(c, { data: randomArray(n, next), shape: [1, n] }, activation, `${label} bias[1,n]`);
        await checkFused(c, { data: randomArray(1, next), shape: [1] }, activation, `${label} bias[1]`);
        await checkFused(c, null, activation, `${label} no bias`);
      }
    }
  }
});

test("fused matMul with elu/sigmoid/leakyrelu/prelu: BLAS product, then wasm's element-wise kernel", {
  skip,
}, async () => {
  const next = rng(9);
  for (const activation of ['elu', 'sigmoid', 'leakyrelu', 'prelu'] as const) {
    for (const batch of [1, 3]) {
      const c = makeCase(next, [batch, 6, 11], [batch, 11, 5], false, false);
      const prelu = activation === 'prelu' ? randomArray(5, next) : undefined;
      await checkFused(
        c,
        { data: randomArray(5, next), shape: [5] },
        activation,
        `${activation} batch ${batch}`,
        prelu,
      );
    }
  }
  const before = tf.memory().numTensors;
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const ids = backend.numDataIds();
  evaluate(() => tf.fused.matMul({ a: tf.ones([2, 3]), b: tf.ones([3, 4]), activation: 'elu' }));
  assert.equal(tf.memory().numTensors, before);
  assert.equal(backend.numDataIds(), ids, 'the intermediate product is freed');
});

test("fused matMul with a bias it cannot broadcast cheaply goes to wasm's kernel", { skip }, async () => {
  await use('blas');
  // wasm's own kernel accepts only rank-1 biases; a full [m, n] bias reaches it and it says so.
  assert.throws(
    () => tf.tidy(() => tf.fused.matMul({ a: tf.ones([2, 3]), b: tf.ones([3, 4]), bias: tf.ones([2, 4]) })),
    /rank-1 bias/,
  );
});

test('tf.memory().numTensors stays flat over 500 calls', { skip }, async () => {
  await use('blas');
  const next = rng(10);
  const a = tf.tensor(randomArray(64 * 48, next), [64, 48]);
  const b = tf.tensor(randomArray(48 * 32, next), [48, 32]);
  const bias = tf.tensor(randomArray(32, next), [32]);
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const warm = () => {
    for (let i = 0; i < 500; i++) {
      tf.tidy(() => {
        const t =
          i % 4 === 0
            ? tf.matMul(a, b)
            : i % 4 === 1
              ? tf.matMul(b, a, true, true)
              : i % 4 === 2
                ? tf.fused.matMul({ a, b, bias, activation: 'relu' })
                : tf.matMul(tf.reshape(a, [2, 32, 48]), b);
        t.dataSync();
      });
    }
  };
  warm();
  const tensors = tf.memory().numTensors;
  const dataIds = backend.numDataIds();
  warm();
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(backend.numDataIds(), dataIds);
  tf.dispose([a, b, bias]);
});
