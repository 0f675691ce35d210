import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertClose, evaluate, randInt, randomArray, rng } from './test-util.js';
import { makeCase, shapes, skip, tag, TRANSPOSES, use, useMatMulHooks, type Case } from './test-matmul-harness.js';

// _FusedMatMul through OpenBLAS (bias, activations, what goes to wasm's own kernel) and memory
// over many calls (matmul.test.ts has the plain products).
useMatMulHooks();

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
