import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { estimateTrainingMemory, formatBytes, parseMemorySize } from './memory-estimate.js';
import { buildExperiment, parseRunConfig, type RunConfigInput } from '../experiment/index.js';

const TRANSFORMER: RunConfigInput = {
  seed: 1,
  data: { dataset: 'moby-dick', sequenceLength: 32 },
  model: { type: 'transformer', blocks: 3, dModel: 48, heads: 4, context: 32, initialRate: 0.02 },
  training: { steps: 1, batchSize: 4 },
};
const activeParameters = (input: RunConfigInput) =>
  buildExperiment(parseRunConfig(input)).model.parameters.reduce((n, p) => n + p.size, 0);
const capacity = (input: RunConfigInput) =>
  buildExperiment(parseRunConfig(input)).model.parameters.reduce(
    (n, p) => n + p.capacity.reduce((a, b) => a * b, 1),
    0,
  );

describe('estimateTrainingMemory', () => {
  it('counts exactly the parameters and capacity the built Transformer has (adaptive and fixed, tied and not)', () => {
    for (const model of [
      TRANSFORMER.model,
      { ...TRANSFORMER.model, tiedEmbeddings: false },
      { ...TRANSFORMER.model, adaptive: false, ffnWidths: [10, 20, 30] },
    ] as RunConfigInput['model'][]) {
      const input = { ...TRANSFORMER, model };
      const e = estimateTrainingMemory(parseRunConfig(input));
      assert.equal(e.parameters, activeParameters(input));
      assert.equal(e.parameterBytes, 4 * capacity(input));
      assert.equal(e.optimizerBytes, 2 * e.parameterBytes, 'Adam keeps two moments');
    }
  });

  it("counts the MLP's parameters too", () => {
    const input: RunConfigInput = {
      seed: 1,
      data: { dataset: 'spiral' },
      model: { type: 'mlp', hiddenLayers: 2, initialRate: 0.02 },
      training: { steps: 1 },
    };
    assert.equal(estimateTrainingMemory(parseRunConfig(input)).parameters, activeParameters(input));
  });

  it('activations grow with the batch and the context, the rest does not', () => {
    const base = estimateTrainingMemory(parseRunConfig(TRANSFORMER));
    const twice = estimateTrainingMemory(parseRunConfig({ ...TRANSFORMER, training: { steps: 1, batchSize: 8 } }));
    assert.ok(Math.abs(twice.activationBytes / base.activationBytes - 2) < 1e-9);
    assert.equal(twice.parameterBytes, base.parameterBytes);
    assert.equal(twice.peakBytes - base.peakBytes, twice.activationBytes - base.activationBytes);
  });

  it("recomputation keeps one block's activations instead of all of them", () => {
    const kept = estimateTrainingMemory(parseRunConfig(TRANSFORMER));
    const recomputed = estimateTrainingMemory(
      parseRunConfig({ ...TRANSFORMER, model: { ...TRANSFORMER.model, recompute: true } as RunConfigInput['model'] }),
    );
    assert.ok(
      recomputed.activationBytes < kept.activationBytes / 2,
      `${recomputed.activationBytes} vs ${kept.activationBytes}`,
    );
    assert.equal(recomputed.parameterBytes, kept.parameterBytes);
  });

  it('memory sizes parse and print in binary units', () => {
    assert.equal(parseMemorySize('16G'), 16 * 2 ** 30);
    assert.equal(parseMemorySize('512MiB'), 512 * 2 ** 20);
    assert.equal(parseMemorySize('1000'), 1000);
    assert.throws(() => parseMemorySize('lots'), /not a memory size: 'lots'/);
    assert.equal(formatBytes(1.5 * 2 ** 30), '1.50 GiB');
  });
});
