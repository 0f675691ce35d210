import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { buildExperiment, parseRunConfig, type RunConfigInput } from '../../experiment/index.js';
import { computeGradients } from '../../train/gradients.js';
import { disposeBatch } from '../../train/batch.js';
import { disposeParameters, uploadParameters } from '../../params/param-tensors.js';
import { TEST_BACKENDS, useBackend } from '../../testing/backends.js';

const RUN: RunConfigInput = {
  seed: 4,
  data: { dataset: 'moby-dick', sequenceLength: 16 },
  model: { type: 'transformer', blocks: 3, dModel: 24, heads: 3, context: 16, initialRate: 0.04 },
  training: { steps: 5, batchSize: 3 },
};
const withRecompute = (on: boolean): RunConfigInput => ({
  ...RUN,
  model: { ...RUN.model, recompute: on } as RunConfigInput['model'],
});

function gradientsOf(input: RunConfigInput) {
  const exp = buildExperiment(parseRunConfig(input));
  const batch = exp.train.next();
  try {
    return computeGradients(exp.model, batch, exp.loss);
  } finally {
    disposeBatch(batch);
  }
}

for (const backend of TEST_BACKENDS) {
  describe(`activation recomputation (model.recompute) on ${backend}`, () => {
    before(() => useBackend(backend));

    it('gives the same loss and gradient as keeping the activations, and leaks nothing', () => {
      const baseline = tf.memory().numTensors;
      const kept = gradientsOf(withRecompute(false));
      const recomputed = gradientsOf(withRecompute(true));
      assert.equal(tf.memory().numTensors, baseline);
      assert.ok(
        Math.abs(kept.loss.total - recomputed.loss.total) < 1e-6,
        `${kept.loss.total} vs ${recomputed.loss.total}`,
      );
      let worst = 0;
      let largest = 0;
      for (let i = 0; i < kept.gradient.length; i++) {
        worst = Math.max(worst, Math.abs(kept.gradient[i] - recomputed.gradient[i]));
        largest = Math.max(largest, Math.abs(kept.gradient[i]));
      }
      assert.ok(largest > 1e-3, 'the gradient is not trivially zero');
      assert.ok(worst <= 1e-5 * Math.max(1, largest), `gradients differ by up to ${worst}`);
    });

    it("works under tfjs's own tf.grads too (the recomputation nests inside its backward pass)", () => {
      const exp = buildExperiment(parseRunConfig(withRecompute(true)));
      const plain = buildExperiment(parseRunConfig(withRecompute(false)));
      const ids = tf.tensor2d(
        Int32Array.from({ length: 32 }, (_, i) => (i * 37) % 256),
        [2, 16],
        'int32',
      );
      const grad = (model: typeof exp.model) => {
        const tensors = uploadParameters(model.parameters);
        try {
          const table = tensors.get('embed.token')!;
          return tf.tidy(() =>
            tf
              .grad((t: tf.Tensor) =>
                tf.sum(tf.square(model.forward(new Map([...tensors, ['embed.token', t]]), ids, true))),
              )(table)
              .dataSync(),
          );
        } finally {
          disposeParameters(tensors);
        }
      };
      const a = grad(exp.model);
      const b = grad(plain.model);
      for (let i = 0; i < a.length; i++)
        assert.ok(Math.abs(a[i] - b[i]) <= 1e-4 * (1 + Math.abs(b[i])), `entry ${i}: ${a[i]} vs ${b[i]}`);
      ids.dispose();
    });
  });
}

describe('model.recompute config', () => {
  it('is refused with dropout, naming the field', () => {
    assert.throws(
      () =>
        parseRunConfig({ ...RUN, model: { ...RUN.model, recompute: true, dropout: 0.1 } as RunConfigInput['model'] }),
      /recompute/,
    );
  });
});
