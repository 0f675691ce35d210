import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { AdaptiveMlp } from '../models/mlp.js';
import { computeGradients } from '../train/gradients.js';
import { flatLayout } from '../optim/optimizer.js';
import { Prng } from '../random/prng.js';
import { TEST_BACKENDS, useBackend } from '../testing/backends.js';
import type { LossConfig } from './elbo.js';
import type { TensorBatch } from '../train/batch.js';

function batch(task: 'classification' | 'regression'): TensorBatch {
  const prng = Prng.fromKey(21);
  const n = 12;
  const inputs = tf.tensor2d(
    Float32Array.from({ length: n * 2 }, () => prng.normal()),
    [n, 2],
  );
  const targets =
    task === 'classification'
      ? tf.tensor1d(
          Int32Array.from({ length: n }, (_, i) => i % 2),
          'int32',
        )
      : tf.tensor2d(
          Float32Array.from({ length: n }, () => prng.normal()),
          [n, 1],
        );
  return { inputs, targets, size: n, epoch: 0 };
}

for (const backend of TEST_BACKENDS) {
  describe(`negative ELBO on ${backend}`, () => {
    before(() => useBackend(backend));
    const config: LossConfig = { nObservations: 50, weightPriorStd: 3, rateMean: 0.05, rateStd: 0.05 };

    for (const task of ['classification', 'regression'] as const) {
      it(`${task}: gradient w.r.t. every raw rate matches finite differences of the loss`, () => {
        const model = new AdaptiveMlp({
          inputDim: 2,
          outputDim: task === 'classification' ? 2 : 1,
          task,
          hiddenLayers: 2,
          adaptive: true,
          initialRate: 0.15,
          seed: 4,
        });
        const b = batch(task);
        const { gradient, loss } = computeGradients(model, b, config);
        assert.ok(loss.ratePrior !== 0 && loss.weightPrior > 0 && loss.nll > 0);
        assert.ok(Math.abs(loss.total - (loss.nll + loss.weightPrior + loss.ratePrior)) < 1e-4 * Math.abs(loss.total));
        const { offsets } = flatLayout(model.parameters);
        model.parameters.forEach((p, i) => {
          if (p.role !== 'rate') return;
          const r0 = p.scalar;
          const h = 1e-2;
          p.scalar = r0 + h;
          const up = computeGradients(model, b, config).loss.total;
          p.scalar = r0 - h;
          const down = computeGradients(model, b, config).loss.total;
          p.scalar = r0;
          const fd = (up - down) / (2 * h);
          const g = gradient[offsets[i]];
          assert.ok(
            Math.abs(g - fd) < 0.02 * Math.abs(fd) + 1e-4,
            `${p.name}: autodiff ${g} vs finite difference ${fd}`,
          );
        });
        tf.dispose([b.inputs, b.targets]);
      });
    }

    it('weight prior equals Σw² / (2σ²N) over weights and biases', () => {
      const model = new AdaptiveMlp({
        inputDim: 2,
        outputDim: 2,
        task: 'classification',
        hiddenLayers: 1,
        adaptive: true,
        initialRate: 0.3,
        seed: 4,
      });
      const b = batch('classification');
      const { loss } = computeGradients(model, b, { nObservations: 50, weightPriorStd: 3 });
      let sq = 0;
      for (const p of model.parameters) if (p.role !== 'rate') for (const v of p.read()) sq += v * v;
      assert.ok(Math.abs(loss.weightPrior - sq / (2 * 9 * 50)) < 1e-4 * loss.weightPrior);
      assert.equal(loss.ratePrior, 0);
      tf.dispose([b.inputs, b.targets]);
    });
  });
}
