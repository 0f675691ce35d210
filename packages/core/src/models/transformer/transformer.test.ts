import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { TransformerLm } from './transformer-lm.js';
import { generate } from './generate.js';
import type { TransformerConfig } from './config.js';
import { createModel } from '../registry.js';
import { fit } from '../../train/fit.js';
import { truncate } from '../../train/truncate.js';
import { createOptimizer } from '../../optim/index.js';
import { loadMobyDick } from '../../data/text/moby-dick.js';
import { TextBatchSource } from '../../data/text/text-batches.js';
import { disposeParameters, uploadParameters } from '../../params/param-tensors.js';
import type { AdaptiveModel } from '../model.js';
import { TEST_BACKENDS, useBackend } from '../../testing/backends.js';
import './index.js';

const MICRO: TransformerConfig = {
  blocks: 2,
  dModel: 16,
  heads: 2,
  context: 12,
  adaptive: true,
  initialRate: 0.1,
  seed: 4,
};
const ids = Int32Array.from({ length: 2 * 12 }, (_, i) => (i * 37 + 11) % 256);

function logits(model: AdaptiveModel, tokens: Int32Array, shape: [number, number], training = false): Float32Array {
  const t = uploadParameters(model.parameters);
  try {
    return tf.tidy(() => model.forward(t, tf.tensor2d(tokens, shape, 'int32'), training).dataSync() as Float32Array);
  } finally {
    disposeParameters(t);
  }
}

async function train(model: AdaptiveModel, steps: number, seed = 1): Promise<number[]> {
  const losses: number[] = [];
  await fit({
    model,
    optimizer: createOptimizer({ type: 'adam', learningRate: 0.01 }),
    loss: { nObservations: 1e5, weightPriorStd: 1 },
    train: new TextBatchSource(loadMobyDick().train, { sequenceLength: 12, batchSize: 4, seed }),
    steps,
    onStep: (m) => void losses.push(m.loss.total),
  });
  return losses;
}

for (const backend of TEST_BACKENDS) {
  describe(`TransformerLm on ${backend}`, () => {
    before(() => useBackend(backend));

    it('maps [B, T] ids to [B, T, 256] logits; only FFN widths are adaptive', () => {
      const model = new TransformerLm(MICRO);
      const t = uploadParameters(model.parameters);
      const out = tf.tidy(() => model.forward(t, tf.tensor2d(ids, [2, 12], 'int32'), false));
      assert.deepEqual(out.shape, [2, 12, 256]);
      tf.dispose([out]);
      disposeParameters(t);
      assert.deepEqual(
        model.adaptiveLayers.map((l) => l.width),
        [25, 25],
      );
      assert.deepEqual(
        model.adaptiveLayers[1].consumers.map((p) => p.name),
        ['block1.ffn.down.weight'],
      );
      assert.equal(model.parameters.filter((p) => p.role === 'rate').length, 2);
      assert.ok(!model.parameters.some((p) => p.name === 'output.weight'), 'tied by default');
      assert.ok(
        new TransformerLm({ ...MICRO, tiedEmbeddings: false }).parameters.some((p) => p.name === 'output.weight'),
      );
      assert.equal(tf.memory().numTensors, 0);
    });

    it('is causal: changing token t + 1 never changes the logits at positions ≤ t', () => {
      const model = new TransformerLm({ ...MICRO, tiedEmbeddings: false });
      const base = logits(model, ids, [2, 12]);
      const V = 256;
      for (let t = 0; t < 11; t++) {
        const changed = ids.slice();
        changed[t + 1] = (changed[t + 1] + 101) % 256;
        changed[12 + t + 1] = (changed[12 + t + 1] + 7) % 256;
        const y = logits(model, changed, [2, 12]);
        for (let b = 0; b < 2; b++) {
          const from = b * 12 * V;
          assert.deepEqual(
            y.subarray(from, from + (t + 1) * V),
            base.subarray(from, from + (t + 1) * V),
            `change at ${t + 1}, sequence ${b}`,
          );
          assert.notDeepEqual(
            y.subarray(from + (t + 1) * V, from + (t + 2) * V),
            base.subarray(from + (t + 1) * V, from + (t + 2) * V),
          );
        }
      }
    });

    it('adaptive with a frozen rate and no importance is bit-identical to a fixed-width model', async () => {
      const adaptive = new TransformerLm({ ...MICRO, importance: false, trainRate: false });
      const width = adaptive.adaptiveLayers[0].width;
      const fixed = new TransformerLm({ ...MICRO, adaptive: false, ffnWidths: [width, width] });
      assert.deepEqual(logits(adaptive, ids, [2, 12]), logits(fixed, ids, [2, 12]), 'same initial function');
      const [la, lf] = [await train(adaptive, 8), await train(fixed, 8)];
      assert.deepEqual(la, lf, 'same losses at every step');
      assert.deepEqual(
        adaptive.adaptiveLayers.map((l) => l.width),
        [width, width],
      );
      const byName = new Map(fixed.parameters.map((p) => [p.name, p]));
      for (const p of adaptive.parameters) {
        if (p.role === 'rate') continue;
        assert.deepEqual(p.read(), byName.get(p.name)!.read(), p.name);
      }
      // With importance on (the default), the two models differ: the test above can fail.
      const scaled = new TransformerLm({ ...MICRO, trainRate: false });
      assert.notDeepEqual(logits(scaled, ids, [2, 12]), logits(fixed, ids, [2, 12]));
    });

    it('dropout is seeded by the batch: repeatable in training, absent in evaluation', () => {
      const model = new TransformerLm({ ...MICRO, dropout: 0.3 });
      const plain = new TransformerLm(MICRO);
      const a = logits(model, ids, [2, 12], true);
      assert.deepEqual(logits(model, ids, [2, 12], true), a);
      assert.notDeepEqual(a, logits(model, ids, [2, 12], false));
      assert.deepEqual(logits(model, ids, [2, 12], false), logits(plain, ids, [2, 12], false));
    });

    it('rebuilds from toConfig through the registry; truncation per block and by fraction keeps the leading neurons', async () => {
      const model = new TransformerLm(MICRO);
      await train(model, 3);
      const copy = createModel('transformer', JSON.parse(JSON.stringify(model.toConfig())));
      assert.deepEqual(
        copy.parameters.map((p) => p.name),
        model.parameters.map((p) => p.name),
      );
      const widths = model.adaptiveLayers.map((l) => l.width);
      const full = truncate(model, { fraction: 1 });
      const a = logits(model, ids, [2, 12]);
      const b = logits(full, ids, [2, 12]);
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-4 * (1 + Math.abs(a[i])), `logit ${i}`);
      const perBlock = truncate(model, [Math.max(1, widths[0] - 5), widths[1]]);
      assert.deepEqual(
        perBlock.adaptiveLayers.map((l) => l.width),
        [Math.max(1, widths[0] - 5), widths[1]],
      );
      assert.deepEqual(
        perBlock.parameters.find((p) => p.name === 'block1.ffn.down.weight')!.read(),
        model.parameters.find((p) => p.name === 'block1.ffn.down.weight')!.read(),
      );
      assert.notDeepEqual(logits(perBlock, ids, [2, 12]), a, 'cutting neurons changes the function');
    });

    it('generate: seeded, n bytes long, greedy = top-1', () => {
      const model = new TransformerLm(MICRO);
      const a = model.generate('Call me', 20, 1, 0, 3);
      assert.equal(a, model.generate('Call me', 20, 1, 0, 3));
      assert.notEqual(a, model.generate('Call me', 20, 1, 0, 4));
      assert.equal(generate(model, 'x', { n: 20, temperature: 0, topK: 0, seed: 1 }).length, 20);
      assert.equal(model.generate('Call me', 15, 0, 0), model.generate('Call me', 15, 0.7, 1, 9));
      assert.throws(() => model.generate('x', 2, -1), /temperature/);
      assert.equal(tf.memory().numTensors, 0);
    });
  });
}
