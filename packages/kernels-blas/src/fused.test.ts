// The fused kernels (src/fused-kernels.ts, C in src/native/fused.c) on the cpu and wasm backends
// against the same computation in tfjs's own ops and kernels (the addon unregistered): values and
// gradients (tfjs's tf.grads of the composite with a random upstream gradient), several shapes.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { FUSED_KERNELS } from './fused-kernels.js';
import { blasAvailable, blasStatus, registerBlasKernels, unregisterBlasKernels } from './index.js';
import { assertClose, randInt, randomArray, rng } from './test-util.js';

const avail = blasAvailable();
const skip = avail.available ? false : `OpenBLAS addon unavailable: ${avail.reason}`;
const BACKENDS = ['cpu', 'wasm'] as const;
after(() => unregisterBlasKernels());

const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
const values = (ts: tf.Tensor[]) => ts.map((t) => Float32Array.from(t.dataSync()));

/** Runs `f` with tfjs's own kernels (reference), then with the addon's (fused); returns both results. */
async function both(
  backend: (typeof BACKENDS)[number],
  f: (fused: boolean) => Float32Array[],
): Promise<[Float32Array[], Float32Array[]]> {
  await tf.setBackend(backend);
  unregisterBlasKernels(backend);
  const reference = tf.tidy(() => f(false));
  assert.equal(registerBlasKernels({ backend }).enabled, true);
  const fused = tf.tidy(() => f(true));
  return [reference, fused];
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) => {
  const out = tf.engine().runKernel(name, inputs, attrs) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
};

function layerNormRef(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), g), b);
}

for (const backend of BACKENDS) {
  test(`${backend}: AwnLayerNorm and its gradient match tfjs's moments/arithmetic and tf.grads`, { skip }, async () => {
    const next = rng(11);
    for (const shape of [
      [1, 1],
      [3, 7],
      [2, 5, 128],
      [4, 33, 17],
      [64, 768],
    ]) {
      const d = shape[shape.length - 1];
      const x = randomArray(size(shape), next).map((v, i) => v * 3 + (i % 5));
      const g = randomArray(d, next);
      const b = randomArray(d, next);
      const dy = randomArray(size(shape), next);
      const [ref, got] = await both(backend, (fused) => {
        const [xt, gt, bt, dyt] = [tf.tensor(x, shape), tf.tensor1d(g), tf.tensor1d(b), tf.tensor(dy, shape)];
        if (!fused) {
          const y = layerNormRef(xt, gt, bt, 1e-5);
          const grads = tf.grads((a, c, e) => tf.sum(tf.mul(layerNormRef(a, c, e, 1e-5), dyt)))([xt, gt, bt]);
          return values([y, ...grads]);
        }
        const [y, xhat, rstd] = run(FUSED_KERNELS.layerNorm, { x: xt, gamma: gt, beta: bt }, { epsilon: 1e-5 });
        assert.deepEqual(rstd.shape, [...shape.slice(0, -1), 1]);
        const grads = run(FUSED_KERNELS.layerNormGrad, { dy: dyt, xhat, rstd, gamma: gt });
        assert.deepEqual(grads[0].shape, shape);
        return values([y, ...grads]);
      });
      ['y', 'dx', 'dgamma', 'dbeta'].forEach((name, i) =>
        assertClose(got[i], ref[i], name === 'dx' ? d : size(shape) / d, `${backend} ${name} [${shape}]`),
      );
    }
  });

  test(`${backend}: AwnCausalSoftmax/AwnSoftmaxGrad match a −1e9 mask, tf.softmax and tf.grads`, { skip }, async () => {
    const next = rng(12);
    for (const [batch, t] of [
      [1, 1],
      [3, 5],
      [8, 17],
      [2, 128],
    ]) {
      const shape = [batch, t, t];
      const x = randomArray(size(shape), next).map((v) => v * 8);
      const dy = randomArray(size(shape), next);
      const [ref, got] = await both(backend, (fused) => {
        const [xt, dyt] = [tf.tensor(x, shape), tf.tensor(dy, shape)];
        if (!fused) {
          const mask = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([t, t]), -1, 0)), -1e9);
          const f = (s: tf.Tensor) => tf.softmax(tf.add(s, mask));
          return values([f(xt), tf.grad((s: tf.Tensor) => tf.sum(tf.mul(f(s), dyt)))(xt)]);
        }
        const [y] = run(FUSED_KERNELS.causalSoftmax, { x: xt });
        return values([y, ...run(FUSED_KERNELS.softmaxGrad, { y, dy: dyt }, { causal: true })]);
      });
      assertClose(got[0], ref[0], t, `${backend} softmax [${shape}]`);
      assertClose(got[1], ref[1], t, `${backend} softmax grad [${shape}]`);
      // Above the diagonal: exactly 0, in the probabilities and their gradient.
      for (let i = 0; i < t; i++)
        for (let j = i + 1; j < t; j++) {
          assert.equal(got[0][i * t + j], 0);
          assert.equal(got[1][i * t + j], 0);
        }
    }
  });

  test(`${backend}: AwnSoftmaxGrad over full rows matches tf.softmax's gradient`, { skip }, async () => {
    const next = rng(13);
    for (const shape of [
      [1, 1],
      [7, 3],
      [4, 6, 257],
    ]) {
      const x = randomArray(size(shape), next).map((v) => v * 4);
      const dy = randomArray(size(shape), next);
      const [ref, got] = await both(backend, (fused) => {
        const [xt, dyt] = [tf.tensor(x, shape), tf.tensor(dy, shape)];
        if (!fused) return values([tf.grad((s: tf.Tensor) => tf.sum(tf.mul(tf.softmax(s), dyt)))(xt)]);
        return values(run(FUSED_KERNELS.softmaxGrad, { y: tf.softmax(xt), dy: dyt }));
      });
      assertClose(got[0], ref[0], shape[shape.length - 1], `${backend} softmax grad [${shape}]`);
    }
  });

  test(`${backend}: AwnSoftmaxCrossEntropy and its gradient match logSoftmax/oneHot and tf.grads`, {
    skip,
  }, async () => {
    const next = rng(14);
    for (const [lead, v] of [
      [[1], 2],
      [[5], 3],
      [[4, 9], 256],
      [[2, 3], 1000],
    ] as [number[], number][]) {
      const shape = [...lead, v];
      const x = randomArray(size(shape), next).map((u) => u * 10);
      // Some labels outside [0, v): tfjs's oneHot gives an empty row, so loss and gradient are 0.
      const labels = Int32Array.from({ length: size(lead) }, (_, i) => (i % 7 === 6 ? v + 1 : randInt(next, 0, v - 1)));
      const dl = randomArray(size(lead), next);
      const [ref, got] = await both(backend, (fused) => {
        const [xt, lt, dlt] = [tf.tensor(x, shape), tf.tensor(labels, lead, 'int32'), tf.tensor(dl, lead)];
        if (!fused) {
          const f = (s: tf.Tensor) => tf.neg(tf.sum(tf.mul(tf.logSoftmax(s), tf.oneHot(lt, v)), -1));
          return values([f(xt), tf.grad((s: tf.Tensor) => tf.sum(tf.mul(f(s), dlt)))(xt)]);
        }
        const [loss, p] = run(FUSED_KERNELS.softmaxCrossEntropy, { logits: xt, labels: lt });
        assert.deepEqual(loss.shape, lead);
        return values([loss, ...run(FUSED_KERNELS.softmaxCrossEntropyGrad, { p, labels: lt, dloss: dlt })]);
      });
      assertClose(got[0], ref[0], v, `${backend} loss [${shape}]`);
      assertClose(got[1], ref[1], v, `${backend} dlogits [${shape}]`);
    }
  });

  test(`${backend}: AwnBiasReluScale and its gradient match relu(z + b) · f and tf.grads`, { skip }, async () => {
    const next = rng(16);
    for (const shape of [
      [1, 1],
      [5, 3],
      [32, 16, 513],
      [2, 7, 64],
    ]) {
      const w = shape[shape.length - 1];
      const z = randomArray(size(shape), next);
      const [b, f] = [randomArray(w, next), randomArray(w, next).map((v) => v + 1.5)];
      const dy = randomArray(size(shape), next);
      const [ref, got] = await both(backend, (fused) => {
        const [zt, bt, ft, dyt] = [tf.tensor(z, shape), tf.tensor1d(b), tf.tensor1d(f), tf.tensor(dy, shape)];
        if (!fused) {
          const act = (u: tf.Tensor, c: tf.Tensor) => tf.relu(tf.add(u, c));
          const [dz, db] = tf.grads((u, c) => tf.sum(tf.mul(tf.mul(act(u, c), ft), dyt)))([zt, bt]);
          const perNeuron = tf.sum(tf.reshape(tf.mul(dyt, act(zt, bt)), [-1, w]), 0);
          return values([tf.mul(act(zt, bt), ft), act(zt, bt), dz, db, perNeuron]);
        }
        const [y, a] = run(FUSED_KERNELS.biasReluScale, { z: zt, bias: bt, f: ft });
        return values([y, a, ...run(FUSED_KERNELS.biasReluScaleGrad, { dy: dyt, a, f: ft })]);
      });
      const rows = size(shape) / w;
      ['y', 'a', 'dz', 'dbias', 'df'].forEach((name, i) =>
        assertClose(got[i], ref[i], i > 2 ? rows : 1, `${backend} ${name} [${shape}]`),
      );
    }
  });

  test(`${backend}: AwnEmbeddingGrad matches one-hot(ids)ᵀ · dy and refuses a bad id`, { skip }, async () => {
    const next = rng(15);
    for (const [n, d, vocab] of [
      [1, 1, 1],
      [7, 3, 5],
      [4096, 128, 256],
      [33, 17, 1000],
    ]) {
      const ids = Int32Array.from({ length: n }, () => randInt(next, 0, vocab - 1));
      const dy = randomArray(n * d, next);
      const [ref, got] = await both(backend, (fused) => {
        const [it, dyt] = [tf.tensor1d(ids, 'int32'), tf.tensor2d(dy, [n, d])];
        if (!fused) return values([tf.matMul(tf.oneHot(it, Math.max(vocab, 2)).slice([0, 0], [n, vocab]), dyt, true)]);
        return values(run(FUSED_KERNELS.embeddingGrad, { dy: dyt, ids: it }, { vocab }));
      });
      assertClose(got[0], ref[0], n, `${backend} embedding grad [${n}, ${d}] vocab ${vocab}`);
    }
    const bad = tf.tensor1d([0, 3], 'int32');
    assert.throws(
      () => run(FUSED_KERNELS.embeddingGrad, { dy: tf.ones([2, 2]), ids: bad }, { vocab: 3 }),
      /id 3 is not in \[0, 2\]/,
    );
  });

  test(`${backend}: the fused kernels are registered with the op kernels and removed with them`, { skip }, async () => {
    await tf.setBackend(backend);
    registerBlasKernels({ backend });
    for (const name of Object.values(FUSED_KERNELS)) {
      assert.ok(tf.getKernel(name, backend), `${name} registered`);
      assert.ok(blasStatus(backend).fused.includes(name));
    }
    registerBlasKernels({ backend, ops: false });
    for (const name of Object.values(FUSED_KERNELS)) assert.equal(tf.getKernel(name, backend), undefined);
    registerBlasKernels({ backend });
    unregisterBlasKernels(backend);
    for (const name of Object.values(FUSED_KERNELS)) assert.equal(tf.getKernel(name, backend), undefined);
  });

  test(`${backend}: a fused kernel refuses inputs of the wrong dtype or shape with a clear error`, {
    skip,
  }, async () => {
    await tf.setBackend(backend);
    registerBlasKernels({ backend });
    const x = tf.zeros([2, 3]);
    assert.throws(
      () => run(FUSED_KERNELS.softmaxCrossEntropy, { logits: x, labels: tf.zeros([2]) }),
      /input 'labels' must be a int32 tensor/,
    );
    assert.throws(() => run(FUSED_KERNELS.causalSoftmax, { x }), /must be \[\.\.\., t, t\]/);
    assert.throws(
      () => run(FUSED_KERNELS.layerNorm, { x, gamma: tf.ones([2]), beta: tf.zeros([3]) }, { epsilon: 1e-5 }),
      /gamma\/beta must have 3 values/,
    );
    tf.dispose(x);
  });
}
