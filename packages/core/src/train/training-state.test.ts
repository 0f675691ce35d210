import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { buildExperiment, parseRunConfig } from '../experiment/index.js';
import { fit } from './fit.js';
import { loadTrainingState, saveTrainingState } from './training-state.js';
import { disposeParameters, uploadParameters } from '../params/param-tensors.js';
import { CheckpointError } from '../checkpoint/index.js';
import { TEST_BACKENDS, useBackend } from '../testing/backends.js';
import type { AdaptiveModel } from '../models/model.js';
import type { Dataset } from '../data/dataset.js';

const config = parseRunConfig({
  seed: 9,
  data: { dataset: 'doublemoon' },
  model: { hiddenLayers: 2, initialRate: 0.05 },
  training: { steps: 120, batchSize: 32, optimizer: { type: 'adam', learningRate: 0.05 } },
});

function predict(model: AdaptiveModel, x: tf.Tensor2D): Float32Array {
  const t = uploadParameters(model.parameters);
  const y = tf.tidy(() => model.forward(t, x, false).dataSync() as Float32Array);
  disposeParameters(t);
  return y;
}

for (const backend of TEST_BACKENDS)
  describe(`training-state checkpoints (${backend})`, () => {
    let dir = '';
    before(async () => {
      await useBackend(backend);
      dir = await mkdtemp(join(tmpdir(), 'awn-ckpt-'));
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('round trip restores identical predictions, widths, moments, and continues training identically', async () => {
      const a = buildExperiment(config);
      await fit({ model: a.model, optimizer: a.optimizer, loss: a.loss, train: a.train, steps: 60 });
      const path = join(dir, 'mid.awnckpt');
      await saveTrainingState(path, { model: a.model, optimizer: a.optimizer, step: 60, cursor: a.train.cursor() });
      const restored = await loadTrainingState(path);
      assert.equal(restored.step, 60);
      assert.deepEqual(
        restored.model.adaptiveLayers.map((l) => l.width),
        a.model.adaptiveLayers.map((l) => l.width),
      );
      const x = tf.tensor2d((a.splits.test as Dataset).x.subarray(0, 200), [100, 2]);
      assert.deepEqual(predict(restored.model, x), predict(a.model, x));
      for (const p of a.model.parameters) {
        const q = restored.model.parameters.find((r) => r.name === p.name)!;
        assert.deepEqual(q.readSlot('m'), p.readSlot('m'), p.name);
        assert.deepEqual(q.readSlot('v'), p.readSlot('v'), p.name);
      }
      // Continue both for 60 more steps: the resumed run must match the uninterrupted one bit for bit.
      const b = buildExperiment(config);
      b.train.restore(restored.cursor);
      await fit({ model: a.model, optimizer: a.optimizer, loss: a.loss, train: a.train, steps: 120, startStep: 60 });
      await fit({
        model: restored.model,
        optimizer: restored.optimizer,
        loss: b.loss,
        train: b.train,
        steps: 120,
        startStep: 60,
      });
      assert.deepEqual(predict(restored.model, x), predict(a.model, x));
      x.dispose();
    });

    it('a flipped byte is rejected with a clear error naming the file', async () => {
      const a = buildExperiment(config);
      const path = join(dir, 'flip.awnckpt');
      await saveTrainingState(path, { model: a.model, optimizer: a.optimizer, step: 0, cursor: a.train.cursor() });
      const bytes = await readFile(path);
      bytes[Math.floor(bytes.length / 2)] ^= 0x10;
      await writeFile(path, bytes);
      await assert.rejects(
        loadTrainingState(path),
        (e: unknown) => e instanceof CheckpointError && e.message.includes(path) && /checksum|corrupt/i.test(e.message),
      );
    });
  });
