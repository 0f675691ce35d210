import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { buildExperiment, parseRunConfig, type RunConfigInput } from '../../experiment/index.js';
import { fit } from '../../train/fit.js';
import { loadTrainingState, saveTrainingState } from '../../train/training-state.js';
import { disposeParameters, uploadParameters } from '../../params/param-tensors.js';
import type { AdaptiveModel } from '../model.js';
import { TEST_BACKENDS, useBackend } from '../../testing/backends.js';

/** A micro Transformer run on Moby-Dick; the high learning rate makes the widths move often. */
const MICRO_RUN: RunConfigInput = {
  seed: 2,
  data: { dataset: 'moby-dick', sequenceLength: 8 },
  model: { type: 'transformer', blocks: 2, dModel: 16, heads: 2, context: 8, initialRate: 0.05 },
  training: { steps: 200, batchSize: 4, optimizer: { type: 'adam', learningRate: 0.05 } },
};

const probe = Int32Array.from({ length: 16 }, (_, i) => (i * 53 + 3) % 256);

function predict(model: AdaptiveModel): Float32Array {
  const t = uploadParameters(model.parameters);
  try {
    return tf.tidy(() => model.forward(t, tf.tensor2d(probe, [2, 8], 'int32'), false).dataSync() as Float32Array);
  } finally {
    disposeParameters(t);
  }
}

for (const backend of TEST_BACKENDS) {
  describe(`Transformer training on ${backend}`, () => {
    let dir = '';
    before(async () => {
      await useBackend(backend);
      dir = await mkdtemp(join(tmpdir(), 'awn-transformer-'));
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('200 steps with width changes keep the tensor count and bytes flat', async () => {
      const exp = buildExperiment(parseRunConfig(MICRO_RUN));
      const baseline = tf.memory();
      const counts = new Set<number>();
      const bytes = new Set<number>();
      let changes = 0;
      await fit({
        model: exp.model,
        optimizer: exp.optimizer,
        loss: exp.loss,
        train: exp.train,
        steps: 200,
        onStep: (m) => {
          changes += m.widthChanges.length;
          counts.add(tf.memory().numTensors);
          bytes.add(tf.memory().numBytes);
        },
      });
      assert.ok(changes >= 20, `widths changed only ${changes} times`);
      assert.deepEqual([...counts], [baseline.numTensors], 'tensor count drifted');
      assert.deepEqual([...bytes], [baseline.numBytes], 'tensor bytes drifted');
      exp.score(exp.model, 'validation');
      assert.equal(tf.memory().numTensors, baseline.numTensors, 'evaluation disposes its tensors');
    });

    it('checkpoint round trip restores predictions, widths and moments, and training continues identically', async () => {
      const config = parseRunConfig({ ...MICRO_RUN, training: { ...MICRO_RUN.training, steps: 40 } });
      const a = buildExperiment(config);
      await fit({ model: a.model, optimizer: a.optimizer, loss: a.loss, train: a.train, steps: 20 });
      const path = join(dir, 'mid.awnckpt');
      await saveTrainingState(path, { model: a.model, optimizer: a.optimizer, step: 20, cursor: a.train.cursor() });
      const restored = await loadTrainingState(path);
      assert.equal(restored.model.kind, 'transformer');
      assert.deepEqual(
        restored.model.adaptiveLayers.map((l) => l.width),
        a.model.adaptiveLayers.map((l) => l.width),
      );
      assert.deepEqual(predict(restored.model), predict(a.model));
      for (const p of a.model.parameters) {
        const q = restored.model.parameters.find((r) => r.name === p.name)!;
        assert.deepEqual(q.readSlot('m'), p.readSlot('m'), p.name);
      }
      const b = buildExperiment(config);
      b.train.restore(restored.cursor);
      await fit({ model: a.model, optimizer: a.optimizer, loss: a.loss, train: a.train, steps: 40, startStep: 20 });
      await fit({
        model: restored.model,
        optimizer: restored.optimizer,
        loss: b.loss,
        train: b.train,
        steps: 40,
        startStep: 20,
      });
      assert.deepEqual(predict(restored.model), predict(a.model));
      assert.deepEqual(
        restored.model.adaptiveLayers.map((l) => l.width),
        a.model.adaptiveLayers.map((l) => l.width),
      );
    });
  });
}
