import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendInfo } from '../../backend/select-backend.js';
import { buildExperiment, parseRunConfig, type RunConfigInput } from '../../experiment/index.js';
import { trainStep } from '../../train/fit.js';

/** Big enough that every kernel of a step runs on real shapes (heads, FFN width, vocabulary). */
const RUN: RunConfigInput = {
  seed: 5,
  data: { dataset: 'moby-dick', sequenceLength: 16 },
  model: { type: 'transformer', blocks: 2, dModel: 32, heads: 4, context: 16, initialRate: 0.03 },
  training: { steps: 10, batchSize: 4, optimizer: { type: 'sgd', learningRate: 0.5 } },
};
const STEPS = 3;

interface Outcome {
  losses: number[];
  params: Float32Array[];
  widths: number[];
  info: BackendInfo;
}

async function train(backend: 'wasm' | 'cpu', blas: boolean): Promise<Outcome> {
  const info = await selectBackend(backend, undefined, { blas });
  const exp = buildExperiment(parseRunConfig(RUN));
  const options = { model: exp.model, optimizer: exp.optimizer, loss: exp.loss, train: exp.train, steps: STEPS };
  const losses: number[] = [];
  for (let s = 0; s < STEPS; s++) losses.push((await trainStep(options, s)).loss.total);
  return {
    losses,
    params: exp.model.parameters.map((p) => p.read()),
    widths: exp.model.adaptiveLayers.map((l) => l.width),
    info,
  };
}

function assertSame(a: Outcome, b: Outcome, label: string): void {
  a.losses.forEach((l, i) =>
    assert.ok(Math.abs(l - b.losses[i]) <= 1e-4 * (1 + Math.abs(l)), `${label}: loss ${i}: ${l} vs ${b.losses[i]}`),
  );
  assert.deepEqual(a.widths, b.widths, `${label}: widths`);
  let worst = 0;
  a.params.forEach((p, i) => {
    for (let j = 0; j < p.length; j++) worst = Math.max(worst, Math.abs(p[j] - b.params[i][j]));
  });
  // SGD keeps gradient differences (float32 summation order) as small as they are; Adam would
  // blow a 1e-9 difference on a near-zero gradient up to a learning-rate-sized step.
  assert.ok(worst <= 2e-5, `${label}: parameters differ by up to ${worst}`);
}

describe('Transformer training: the same steps on every engine', () => {
  it('cpu + native kernels, cpu alone and wasm give the same losses, widths and parameters', async () => {
    const cpuOwn = await train('cpu', false);
    const cpuNative = await train('cpu', true);
    const wasm = await train('wasm', true);
    assert.equal(cpuOwn.info.blas.enabled, false);
    assertSame(cpuNative, cpuOwn, 'cpu native vs cpu own');
    assertSame(wasm, cpuOwn, 'wasm vs cpu own');
    assert.equal(tf.memory().numTensors, 0);
  });
});
