import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildExperiment, parseRunConfig, ConfigError } from './index.js';

function problems(value: unknown): string[] {
  try {
    parseRunConfig(value);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

describe("run config: the paper's N and λ bound", () => {
  it('loss.nObservations overrides N (the training-set size by default)', () => {
    const base = { seed: 1, data: { dataset: 'spiral' }, model: { hiddenLayers: 1 }, training: { steps: 1 } };
    assert.equal(buildExperiment(parseRunConfig(base)).loss.nObservations, 3600);
    assert.equal(buildExperiment(parseRunConfig({ ...base, loss: { nObservations: 2000 } })).loss.nObservations, 2000);
  });

  it('model.minRate bounds λ: a rate pushed below it is projected back to softplus⁻¹(minRate)', () => {
    const exp = buildExperiment(
      parseRunConfig({
        seed: 1,
        data: { dataset: 'spiral' },
        model: { hiddenLayers: 1, minRate: 0.0005 },
        training: { steps: 1 },
      }),
    );
    const layer = exp.model.adaptiveLayers[0];
    layer.rawRate!.scalar = layer.distribution.raw(1e-6);
    exp.model.updateWidths(0);
    // The raw rate is stored in float32: equal to softplus⁻¹(0.0005) up to its rounding.
    assert.ok(Math.abs(layer.rate! / 0.0005 - 1) < 1e-5, `rate ${layer.rate}`);
    // The bound asks for −ln(0.1)/0.0005 + 2 = 4607 neurons; the default maxWidth holds it at 4096.
    assert.equal(layer.width, 4096);
    const unbounded = buildExperiment(
      parseRunConfig({ seed: 1, data: { dataset: 'spiral' }, model: { hiddenLayers: 1 }, training: { steps: 1 } }),
    );
    const free = unbounded.model.adaptiveLayers[0];
    free.rawRate!.scalar = free.distribution.raw(1e-6);
    unbounded.model.updateWidths(0);
    assert.ok(free.rate! < 2e-6, 'without a bound the rate stays where the optimizer put it');
  });

  it('the Transformer takes model.minRate too', () => {
    const exp = buildExperiment(
      parseRunConfig({
        seed: 1,
        data: { dataset: 'moby-dick' },
        model: { type: 'transformer', blocks: 1, minRate: 0.02 },
        training: { steps: 1 },
      }),
    );
    const layer = exp.model.adaptiveLayers[0];
    layer.rawRate!.scalar = layer.distribution.raw(0.001);
    exp.model.updateWidths(0);
    assert.ok(Math.abs(layer.rate! / 0.02 - 1) < 1e-5, `rate ${layer.rate}`);
    assert.equal(layer.width, 117);
  });

  it('names model.minRate when it contradicts distribution.lowerBound or meets a power law', () => {
    const base = { data: { dataset: 'spiral' }, training: { steps: 1 } };
    assert.deepEqual(
      problems({ ...base, model: { minRate: 0.001, distribution: { family: 'exponential', lowerBound: 0.002 } } }),
      ['model.minRate: contradicts distribution.lowerBound (0.002); give one of them'],
    );
    assert.deepEqual(problems({ ...base, model: { minRate: 0.001, distribution: { family: 'power-law' } } }), [
      "model.minRate: applies to the exponential distribution only (for 'power-law' use distribution.lowerBound)",
    ]);
    assert.deepEqual(problems({ ...base, model: { minRate: 0 } }), [
      'model.minRate: Too small: expected number to be >0',
    ]);
    assert.deepEqual(
      problems({ ...base, model: { minRate: 0.001, distribution: { family: 'exponential', lowerBound: 0.001 } } }),
      [],
    );
  });
});
