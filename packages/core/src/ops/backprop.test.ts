import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { valueAndGradsLean, valueAndGradsStreamed } from './backprop.js';
import { Prng } from '../random/prng.js';
import { TEST_BACKENDS, useBackend } from '../testing/backends.js';
import '../ops/register-gradients.js';

const prng = Prng.fromKey(3);
const data = (n: number) => Float32Array.from({ length: n }, () => prng.normal());
const x0 = data(8 * 64);
const w0 = data(64 * 64);
const b0 = data(64);

/** An identity op whose gradient calls `onBackward` when the backward pass reaches it. */
function probe(onBackward: () => void): (x: tf.Tensor) => tf.Tensor {
  return tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return {
      value: tf.clone(x),
      gradFunc: (dy: tf.Tensor) => {
        onBackward();
        return [tf.clone(dy)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
}

/**
 * 12 layers of relu(x W + b) then a softmax loss; the first op is an identity whose gradient records
 * the bytes alive when the backward pass reaches it (the end: every later node is done by then).
 */
function lossWithProbe(bytes: number[]) {
  const marker = probe(() => bytes.push(tf.memory().numBytes));
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
      const before = [tf.memory().numBytes];
      const ref = tf.valueAndGrads(lossWithProbe(tfjsProbe))([x, w, b]);
      before.push(tf.memory().numBytes);
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
      const [tfjsHeld, leanHeld] = [tfjsProbe[0] - before[0], leanProbe[0] - before[1]];
      assert.ok(leanHeld * 3 < tfjsHeld, `lean ${leanHeld} bytes vs tfjs ${tfjsHeld} bytes alive`);
      tf.dispose([x, w, b]);
    });

    it('hands each gradient to the sink once, as soon as it is final, with the values lean returns', () => {
      const x = tf.tensor2d(x0, [8, 64]);
      const w1 = tf.mul(tf.tensor2d(w0, [64, 64]), 0.2);
      const w2 = tf.mul(tf.tensor2d(w0, [64, 64]), -0.1);
      const b = tf.tensor1d(b0);
      const events: string[] = [];
      const marker = probe(() => events.push('first layer differentiated'));
      // w1 and b feed the first layer (behind the marker), w2 only the second.
      const f = (xs: tf.Tensor, a: tf.Tensor, c: tf.Tensor, bias: tf.Tensor): tf.Scalar => {
        const h = marker(tf.relu(tf.add(tf.matMul(xs as tf.Tensor2D, a as tf.Tensor2D), bias)));
        return tf.mean(tf.square(tf.add(tf.matMul(h as tf.Tensor2D, c as tf.Tensor2D), bias)));
      };
      const baseline = tf.memory().numTensors;
      const received = new Map<number, Float32Array>();
      const value = valueAndGradsStreamed(f, [x, w1, w2, b], (i, g) => {
        assert.ok(!received.has(i), `gradient ${i} handed out twice`);
        events.push(`gradient ${i}`);
        received.set(i, g.dataSync().slice() as Float32Array);
        g.dispose();
      });
      assert.deepEqual([...received.keys()].sort(), [0, 1, 2, 3]);
      assert.ok(
        events.indexOf('gradient 2') < events.indexOf('first layer differentiated'),
        `w2's gradient is final before the first layer is differentiated: ${events.join(', ')}`,
      );
      const ref = valueAndGradsLean(f, [x, w1, w2, b]);
      assert.equal(value.dataSync()[0], ref.value.dataSync()[0]);
      ref.grads.forEach((g, i) => assert.deepEqual(received.get(i), g.dataSync()));
      tf.dispose([value, ref.value, ...ref.grads]);
      assert.equal(tf.memory().numTensors, baseline, 'the sink owns what it gets: nothing leaks');
      tf.dispose([x, w1, w2, b]);
    });

    it('releases while recording the forward pass what no gradient will read', () => {
      // z = x·w is read again only by a Reshape, whose gradient needs z's shape alone; the mask
      // path (no x flows into it) is read by no gradient at all. tfjs keeps both until the end.
      const x = tf.tensor2d(x0, [8, 64]);
      const w = tf.mul(tf.tensor2d(data(64 * 4096), [64, 4096]), 0.01);
      const mask = tf.tensor1d(data(8 * 4096));
      const atStart: number[] = [];
      const top = probe(() => atStart.push(tf.memory().numBytes));
      const f = (a: tf.Tensor): tf.Scalar => {
        const z = tf.reshape(tf.matMul(x, a as tf.Tensor2D), [8 * 4096]);
        const m = tf.mul(tf.exp(mask), 2);
        return top(tf.sum(tf.mul(tf.exp(z), m))) as tf.Scalar;
      };
      const baseline = tf.memory().numTensors;
      const before = [tf.memory().numBytes];
      const ref = tf.valueAndGrads(f)([w]);
      before.push(tf.memory().numBytes);
      const ours = valueAndGradsLean(f, [w]);
      assert.deepEqual(ours.grads[0].dataSync(), ref.grads[0].dataSync());
      const zBytes = 8 * 4096 * 4;
      // Held by tfjs, not by us: z (the Reshape's saved input), exp(mask) (Multiply's saved input).
      const [tfjsHeld, leanHeld] = atStart.map((b, i) => b - before[i]);
      assert.ok(
        leanHeld <= tfjsHeld - 2 * zBytes,
        `bytes made by the forward pass alive as the backward pass starts: ${leanHeld} (lean) vs ${tfjsHeld} (tfjs)`,
      );
      tf.dispose([ref.value, ours.value, ...ref.grads, ...ours.grads]);
      assert.equal(tf.memory().numTensors, baseline, 'nothing leaks');
      tf.dispose([x, w, mask]);
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
