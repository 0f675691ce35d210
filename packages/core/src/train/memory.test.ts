import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { buildExperiment, parseRunConfig } from '../experiment/index.js';
import { fit } from './fit.js';
import { TEST_BACKENDS, useBackend } from '../testing/backends.js';

for (const backend of TEST_BACKENDS) {
  describe(`tensor memory on ${backend}`, () => {
    before(() => useBackend(backend));

    it('300 steps with frequent width changes keep the tensor count and bytes flat', async () => {
      // A high learning rate on a small set makes the widths move nearly every step.
      const exp = buildExperiment(
        parseRunConfig({
          seed: 3,
          data: { dataset: 'doublemoon' },
          model: { hiddenLayers: 2, initialRate: 0.05 },
          training: { steps: 300, batchSize: 16, optimizer: { type: 'adam', learningRate: 0.1 } },
        }),
      );
      const baseline = tf.memory();
      const counts: number[] = [];
      const bytes: number[] = [];
      let changes = 0;
      await fit({
        model: exp.model,
        optimizer: exp.optimizer,
        loss: exp.loss,
        train: exp.train,
        steps: 300,
        onStep: (m) => {
          changes += m.widthChanges.length;
          counts.push(tf.memory().numTensors);
          bytes.push(tf.memory().numBytes);
        },
      });
      assert.ok(changes >= 100, `widths changed only ${changes} times`);
      assert.ok(
        counts.every((c) => c === baseline.numTensors),
        `tensor counts drifted: ${[...new Set(counts)].join(', ')}`,
      );
      assert.ok(
        bytes.every((b) => b === baseline.numBytes),
        'tensor bytes drifted',
      );
      exp.score(exp.model, 'test');
      assert.equal(tf.memory().numTensors, baseline.numTensors, 'evaluation disposes its tensors');
    });
  });
}
