import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { AdaptiveMlp } from '../models/mlp.js';
import { disposeParameters, uploadParameters } from '../params/param-tensors.js';
import { truncate } from '../train/truncate.js';
import { Prng } from '../random/prng.js';
import { TEST_BACKENDS, useBackend } from '../testing/backends.js';

function mlp(seed = 5, initialRate = 0.05): AdaptiveMlp {
  return new AdaptiveMlp({
    inputDim: 3,
    outputDim: 2,
    task: 'classification',
    hiddenLayers: 2,
    adaptive: true,
    initialRate,
    seed,
  });
}

function moments(values: ArrayLike<number>): { mean: number; std: number } {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= values.length;
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / values.length) };
}

function inputs(n = 16): tf.Tensor2D {
  const prng = Prng.fromKey(99);
  return tf.tensor2d(
    Float32Array.from({ length: n * 3 }, () => prng.normal()),
    [n, 3],
  );
}

/** Pre-activation of the layer after hidden layer 0 (z = h0 · W1 + b1) and h0's importance sum. */
function nextPreActivation(model: AdaptiveMlp, x: tf.Tensor2D): { z: Float32Array; h: Float32Array } {
  const tensors = uploadParameters(model.parameters);
  try {
    return tf.tidy(() => {
      const h = model.layers[0].apply(x, tensors);
      const z = tf.add(tf.matMul(h, tensors.get('hidden1.weight')!), tensors.get('hidden1.bias')!);
      return { z: z.dataSync() as Float32Array, h: h.dataSync() as Float32Array };
    });
  } finally {
    disposeParameters(tensors);
  }
}

for (const backend of TEST_BACKENDS) {
  describe(`AdaptiveDense resizing on ${backend}`, () => {
    before(() => useBackend(backend));

    it('growing changes the next layer only through the tail and the renormalisation', () => {
      const model = mlp();
      const x = inputs();
      const layer = model.layers[0];
      const D = layer.width;
      const u = layer.distribution.massesHost(layer.rawRate!.scalar, D + 7);
      const zOld = u.slice(0, D).reduce((a, b) => a + b, 0);
      const zNew = u.reduce((a, b) => a + b, 0);
      const before = nextPreActivation(model, x);
      layer.resize(D + 7, model.seed, 10);
      const after = nextPreActivation(model, x);
      const W1 = model.layers[1].weight.read();
      const b1 = model.layers[1].bias.read();
      const out = model.layers[1].width;
      const n = 16;
      for (let r = 0; r < n; r++) {
        for (let c = 0; c < out; c++) {
          let tail = 0;
          for (let j = D; j < D + 7; j++) tail += after.h[r * (D + 7) + j] * W1[j * out + c];
          // Old neurons' f is rescaled by Z_old / Z_new; everything else equals the old output.
          const expected = (before.z[r * out + c] - b1[c]) * (zOld / zNew) + b1[c] + tail;
          const got = after.z[r * out + c];
          assert.ok(
            Math.abs(got - expected) < 1e-3 * Math.max(1, Math.abs(expected)),
            `row ${r} col ${c}: ${got} vs ${expected}`,
          );
        }
      }
      x.dispose();
    });

    it('growth draws are identical for two replicas with the same state and differ across steps', () => {
      const a = mlp(7);
      const b = mlp(7);
      a.layers[0].resize(a.layers[0].width + 5, 7, 3);
      b.layers[0].resize(b.layers[0].width + 5, 7, 3);
      assert.deepEqual(a.layers[0].weight.read(), b.layers[0].weight.read());
      assert.deepEqual(a.layers[1].weight.read(), b.layers[1].weight.read());
      const c = mlp(7);
      c.layers[0].resize(c.layers[0].width + 5, 7, 4);
      assert.notDeepEqual(a.layers[0].weight.read(), c.layers[0].weight.read());
    });

    it('new neurons are drawn from N(0, 1) at any width; Kaiming+ sets only the initial weights', () => {
      // λ = 0.001: 2304 neurons, where the Kaiming+ std 1/√(Σf²/2) of the next layer is ≈ 34.
      const model = mlp(17, 0.001);
      const [h0, h1] = model.layers;
      const D = h0.width;
      const kaimingStd = Math.sqrt(h0.outgoingVariance());
      assert.ok(kaimingStd > 20, `Kaiming+ std at width ${D} is ${kaimingStd}`);
      const initial = moments(h1.weight.read());
      assert.ok(Math.abs(initial.std / kaimingStd - 1) < 0.05, `initial std ${initial.std} vs Kaiming+ ${kaimingStd}`);
      const grow = 600;
      h0.resize(D + grow, model.seed, 42);
      const W0 = h0.weight.read();
      const fanIn = h0.weight.shape[0];
      const newIn: number[] = [];
      for (let r = 0; r < fanIn; r++) for (let c = D; c < D + grow; c++) newIn.push(W0[r * (D + grow) + c]);
      const newBias = Array.from(h0.bias.read().subarray(D));
      const out = h1.width;
      const newOut = Array.from(h1.weight.read().subarray(D * out));
      for (const [what, values] of [
        ['incoming weights', newIn],
        ['biases', newBias],
        ['outgoing weights', newOut],
      ] as const) {
        const m = moments(values);
        assert.ok(
          Math.abs(m.mean) < 0.15 && Math.abs(m.std - 1) < 0.1,
          `new ${what}: mean ${m.mean}, std ${m.std} over ${values.length}`,
        );
      }
    });

    it('a layer whose rate asks for at least maxWidth reports it sits at the cap', () => {
      const capped = new AdaptiveMlp({
        inputDim: 3,
        outputDim: 2,
        task: 'classification',
        hiddenLayers: 2,
        adaptive: true,
        initialRate: 0.01,
        maxWidth: 100,
        seed: 1,
      });
      assert.deepEqual(
        capped.layers.map((l) => [l.width, l.atMaxWidth]),
        [
          [100, true],
          [100, true],
        ],
      );
      const free = new AdaptiveMlp({
        inputDim: 3,
        outputDim: 2,
        task: 'classification',
        hiddenLayers: 1,
        adaptive: true,
        initialRate: 0.01,
        maxWidth: 232,
        seed: 1,
      });
      assert.equal(free.layers[0].width, 232);
      assert.equal(free.layers[0].atMaxWidth, true, 'asking exactly maxWidth is at the cap');
      free.layers[0].rawRate!.scalar = free.layers[0].distribution.raw(0.02);
      assert.equal(free.layers[0].atMaxWidth, false);
      const fixed = new AdaptiveMlp({
        inputDim: 3,
        outputDim: 2,
        task: 'classification',
        hiddenLayers: 1,
        adaptive: false,
        widths: [8],
        maxWidth: 8,
        seed: 1,
      });
      assert.equal(fixed.layers[0].atMaxWidth, false, 'a fixed layer has no rate to run away');
    });

    it('shrinking keeps exactly the parameters truncation keeps', () => {
      const model = mlp(11);
      const widths = model.layers.map((l) => Math.max(1, l.width - 9));
      const small = truncate(model, widths);
      model.layers.forEach((l, i) => l.resize(widths[i], model.seed, 1));
      const byName = new Map(small.parameters.map((p) => [p.name, p]));
      for (const p of model.parameters) {
        if (p.role === 'rate') continue;
        assert.deepEqual(p.shape, byName.get(p.name)!.shape, p.name);
        assert.deepEqual(p.read(), byName.get(p.name)!.read(), p.name);
      }
    });

    it("truncation keeps the survivors' un-renormalised importance, so survivors compute the same activations", () => {
      const model = mlp(13);
      const x = inputs(8);
      const full = nextPreActivation(model, x);
      const keep = model.layers[0].width - 4;
      const small = truncate(model, [keep, model.layers[1].width]) as AdaptiveMlp;
      const cut = nextPreActivation(small, x);
      const D = model.layers[0].width;
      for (let r = 0; r < 8; r++)
        for (let j = 0; j < keep; j++) assert.ok(Math.abs(cut.h[r * keep + j] - full.h[r * D + j]) < 1e-6);
      x.dispose();
    });

    it('a fixed-width MLP runs through the same layers without importance', () => {
      const fixed = new AdaptiveMlp({
        inputDim: 3,
        outputDim: 2,
        task: 'classification',
        hiddenLayers: 2,
        adaptive: false,
        widths: [8, 4],
        seed: 1,
      });
      assert.deepEqual(
        fixed.layers.map((l) => l.width),
        [8, 4],
      );
      assert.equal(
        fixed.parameters.some((p) => p.role === 'rate'),
        false,
      );
      assert.deepEqual(fixed.updateWidths(0), []);
      const x = inputs(4);
      const tensors = uploadParameters(fixed.parameters);
      const y = fixed.forward(tensors, x);
      assert.deepEqual(y.shape, [4, 2]);
      tf.dispose([x, y]);
      disposeParameters(tensors);
    });
  });
}
