import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { buildExperiment, parseRunConfig } from '../experiment/index.js';
import { readInto } from '../backend/read-into.js';
import { disposeBatch } from './batch.js';
import { computeGradients } from './gradients.js';
import { fit } from './fit.js';
import { TEST_BACKENDS, useBackend } from '../testing/backends.js';

const SPIRAL = {
  seed: 3,
  data: { dataset: 'spiral' },
  model: { hiddenLayers: 2, adaptive: true, initialRate: 0.05 },
  training: { steps: 40, batchSize: 64, optimizer: { type: 'adam', learningRate: 0.05 } },
} as const;

for (const backend of TEST_BACKENDS) {
  describe(`gradient read-back on ${backend}`, () => {
    before(() => useBackend(backend));

    it('readInto copies a tensor at an offset and leaves the rest of the buffer alone', () => {
      const values = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i) * 1e3);
      const t = tf.tensor2d(values, [20, 15]);
      const dest = new Float32Array(310).fill(-7);
      readInto(t, dest, 5);
      assert.deepEqual(dest.subarray(5, 305), values);
      assert.ok([...dest.subarray(0, 5), ...dest.subarray(305)].every((v) => v === -7));
      assert.throws(() => readInto(t, dest, 11), /overflow a buffer of 310/);
      assert.throws(() => readInto(tf.tensor1d([1], 'int32'), dest, 0), /float32/);
      t.dispose();
    });

    it('a reused, dirty buffer gives the same gradient as a fresh one, frozen parameters zeroed', () => {
      const exp = buildExperiment(parseRunConfig(SPIRAL));
      const frozen = exp.model.parameters[1]!;
      frozen.frozen = true;
      const batch = exp.train.next();
      const lossConfig = exp.loss;
      const fresh = computeGradients(exp.model, batch, lossConfig);
      const dirty = new Float32Array(fresh.gradient.length + 50).fill(Number.NaN);
      const reused = computeGradients(exp.model, batch, lossConfig, dirty);
      disposeBatch(batch);
      assert.equal(reused.gradient.buffer, dirty.buffer, 'written into the buffer given');
      assert.equal(reused.gradient.length, fresh.gradient.length);
      assert.deepEqual(reused.gradient, fresh.gradient);
      assert.deepEqual(reused.loss, fresh.loss);
      const offset = exp.model.parameters[0]!.size;
      assert.ok(reused.gradient.subarray(offset, offset + frozen.size).every((v) => v === 0));
      assert.ok(fresh.gradient.some((v) => v !== 0));
    });

    it('fit through its reused buffer trains exactly as steps that each allocate, width changes included', async () => {
      const viaFit = buildExperiment(parseRunConfig(SPIRAL));
      const fitWidths: string[] = [];
      await fit({
        model: viaFit.model,
        optimizer: viaFit.optimizer,
        loss: viaFit.loss,
        train: viaFit.train,
        steps: SPIRAL.training.steps,
        onStep: (m) => void fitWidths.push(m.widths.join('·')),
      });
      const byHand = buildExperiment(parseRunConfig(SPIRAL));
      const handWidths: string[] = [];
      for (let step = 0; step < SPIRAL.training.steps; step++) {
        const batch = byHand.train.next();
        const { gradient } = computeGradients(byHand.model, batch, byHand.loss);
        disposeBatch(batch);
        byHand.optimizer.apply(byHand.model.parameters, gradient);
        byHand.model.updateWidths(step);
        handWidths.push(byHand.model.adaptiveLayers.map((l) => l.width).join('·'));
      }
      assert.ok(new Set(fitWidths).size > 1, 'the widths changed during the run');
      assert.deepEqual(fitWidths, handWidths);
      const params = (e: typeof viaFit) => e.model.parameters.map((p) => Array.from(p.read()));
      assert.deepEqual(params(viaFit), params(byHand));
    });
  });
}
