import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { buildExperiment, parseRunConfig, type Experiment, type RunConfigInput } from '../experiment/index.js';
import { fit } from './fit.js';
import { truncationCurve } from './truncate.js';
import { TEST_BACKENDS, useBackend } from '../testing/backends.js';

/** The configs of examples/doublemoon.json and examples/spiral.json (the runs the README quotes). */
const DOUBLE_MOON: RunConfigInput = {
  seed: 1,
  data: { dataset: 'doublemoon' },
  model: { hiddenLayers: 2, adaptive: true, initialRate: 0.01 },
  loss: { weightPriorStd: 1, nObservations: 2000 },
  training: { steps: 2000, batchSize: 32, optimizer: { type: 'adam', learningRate: 0.1 } },
};
const SPIRAL: RunConfigInput = {
  seed: 1,
  data: { dataset: 'spiral' },
  model: { hiddenLayers: 2, adaptive: true, initialRate: 0.01 },
  loss: { weightPriorStd: 10, nObservations: 2000 },
  training: { steps: 1500, batchSize: 128, optimizer: { type: 'adam', learningRate: 0.01 } },
};

async function train(
  input: RunConfigInput,
): Promise<{ exp: Experiment; accuracy: number; total: number; widthHistory: number[] }> {
  const exp = buildExperiment(parseRunConfig(input));
  const widthHistory: number[] = [];
  await fit({
    model: exp.model,
    optimizer: exp.optimizer,
    loss: exp.loss,
    train: exp.train,
    steps: exp.config.training.steps,
    onStep: (m) => void widthHistory.push(m.widths.reduce((a, b) => a + b, 0)),
  });
  const accuracy = exp.score(exp.model, 'test').accuracy!;
  // The width a run settles at: the median over its last 200 steps. Adam on the rate makes the
  // width jitter by a few neurons around it (growth draws, then the prior pulls back).
  const tail = widthHistory.slice(-200).sort((a, b) => a - b);
  return { exp, accuracy, total: tail[tail.length >> 1], widthHistory };
}

for (const backend of TEST_BACKENDS)
  describe(`width adapts to task difficulty (${backend})`, () => {
    before(() => useBackend(backend));
    let moonTotal = 0;
    let moon: Experiment | undefined;

    it('DoubleMoon: ≥ 99 % test accuracy, settling at a total width ≤ 30 from 464', async () => {
      const r = await train(DOUBLE_MOON);
      assert.equal(r.widthHistory.length, 2000);
      assert.ok(r.accuracy >= 0.99, `accuracy ${r.accuracy}`);
      assert.ok(r.total <= 30, `total width ${r.total}`);
      assert.ok(Math.max(...r.widthHistory) > 400, 'widths started large and moved');
      moonTotal = r.total;
      moon = r.exp;
    });

    it('truncation curve on the trained DoubleMoon model is near-monotone; keeping 70 % loses ≤ 1 point', () => {
      assert.ok(moon, 'needs the DoubleMoon run');
      const full = moon.score(moon.model, 'test').accuracy!;
      const fractions = [0.1, 0.3, 0.5, 0.7, 0.9, 1];
      const curve = truncationCurve(moon.model, (m) => moon!.score(m, 'test').accuracy!, fractions);
      assert.equal(curve[curve.length - 1].score, full, 'keeping everything changes nothing');
      const at70 = curve.find((p) => p.fraction === 0.7)!;
      assert.ok(full - at70.score <= 0.01, `70 %: ${at70.score} vs ${full}`);
      for (let i = 1; i < curve.length; i++)
        assert.ok(
          curve[i].score >= curve[i - 1].score - 0.02,
          `non-monotone at ${curve[i].fraction}: ${JSON.stringify(curve)}`,
        );
    });

    it('Spiral with the same code: ≥ 95 % test accuracy and a clearly larger width than DoubleMoon', async () => {
      const r = await train(SPIRAL);
      assert.ok(r.accuracy >= 0.95, `accuracy ${r.accuracy}`);
      assert.ok(r.total >= 3 * moonTotal, `spiral ${r.total} vs doublemoon ${moonTotal}`);
    });

    it('leaves no tensors behind', () => {
      assert.equal(tf.memory().numTensors, 0);
    });
  });
