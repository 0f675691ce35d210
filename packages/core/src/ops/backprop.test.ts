import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { valueAndGradsLean } from './backprop.js';
import { Prng } from '../random/prng.js';
import { TEST_BACKENDS, useBackend } from '../testing/backends.js';
import '../ops/register-gradients.js';

const prng = Prng.fromKey(3);
const data = (n: number) => Float32Array.from({ length: n }, () => prng.normal());
const x0 = data(8 * 64);
const w0 = data(64 * 64);
const b0 = data(64);

/**
 * 12 layers of relu(x W + b) then a softmax loss; the first op is an identity whose gradient records
 * the bytes alive when the backward pass reaches it (the end: every later node is done by then).
 */
function lossWithProbe(probe: number[]) {
  const marker = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return {
      value: tf.clone(x),
      gradFunc: (dy: tf.Tensor) => {
        probe.push(tf.memory().numBytes);
        return [tf.clone(dy)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
  return (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Scalar => {
    let h = marker(x);
    for (let i = 0; i < 12; i++) h = tf.relu(tf.add(tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D), b));
    return tf.mean(tf.logSoftmax(h)) as tf.Scalar;
  };
}

for (const backend of TEST_BACKENDS) {
  describe(`valueAndGradsLean on ${backend}`, () => {
    before(() => useBackend(backend));

    it("gives tfjs's value and gradients, and holds far less memory at the end of the backward pass", () => {
      const x = tf.tensor2d(x0, [8, 64]);
      const w = tf.mul(tf.tensor2d(w0, [64, 64]), 0.2);
      const b = tf.tensor1d(b0);
      const baseline = tf.memory().numTensors;
      const tfjsProbe: number[] = [];
      const leanProbe: number[] = [];
      const ref = tf.valueAndGrads(lossWithProbe(tfjsProbe))([x, w, b]);
      const ours = valueAndGradsLean(lossWithProbe(leanProbe), [x, w, b]);
      assert.ok(Math.abs(ours.value.dataSync()[0] - ref.value.dataSync()[0]) < 1e-6);
      ours.grads.forEach((g, i) => {
        const a = g.dataSync();
        const e = ref.grads[i].dataSync();
        for (let k = 0; k < e.length; k++)
          assert.ok(Math.abs(a[k] - e[k]) <= 1e-5 * (1 + Math.abs(e[k])), `grad ${i}[${k}]: ${a[k]} vs ${e[k]}`);
      });
      tf.dispose([ours.value, ref.value, ...ours.grads, ...ref.grads]);
      assert.equal(tf.memory().numTensors, baseline, 'nothing leaks');
      // 12 layers × [8,64] activations, saved inputs and gradients: tfjs still holds them all.
      assert.ok(leanProbe[0] * 3 < tfjsProbe[0], `lean ${leanProbe[0]} bytes vs tfjs ${tfjsProbe[0]} bytes alive`);
      tf.dispose([x, w, b]);
    });

    it('a variable that does not reach the loss gets a zero gradient', () => {
      const a = tf.scalar(2);
      const unused = tf.tensor1d([1, 2, 3]);
      const { value, grads } = valueAndGradsLean((p: tf.Tensor) => tf.square(p) as tf.Scalar, [a, unused]);
      assert.equal(value.dataSync()[0], 4);
      assert.equal(grads[0].dataSync()[0], 4);
      assert.deepEqual(Array.from(grads[1].dataSync()), [0, 0, 0]);
      tf.dispose([a, unused, value, ...grads]);
    });
  });
}
