import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { buildExperiment, parseRunConfig } from '../../experiment/index.js';
import { truncate } from '../../train/truncate.js';
import { useBackend } from '../../testing/backends.js';

describe('end-of-run scoring of a Transformer', () => {
  before(() => useBackend('cpu'));

  it('scores data.evalBytes by default and a share of them when asked (at least one window)', () => {
    const exp = buildExperiment(
      parseRunConfig({
        seed: 3,
        data: { dataset: 'moby-dick', sequenceLength: 16, evalBytes: 500 },
        model: { type: 'transformer', blocks: 1, dModel: 16, heads: 2, context: 16, initialRate: 0.05 },
        training: { steps: 1, batchSize: 2 },
      }),
    );
    assert.equal(exp.score(exp.model, 'test').count, 499, 'every byte after the first is a target');
    assert.equal(exp.score(exp.model, 'test', { share: 0.1 }).count, 49);
    assert.equal(exp.score(exp.model, 'test', { share: 0.001 }).count, 16, 'one window at least');
    // A truncated model is scored on the same bytes; keeping every neuron changes nothing.
    const whole = truncate(exp.model, { fraction: 1 });
    assert.ok(Math.abs(exp.score(whole, 'test').nll - exp.score(exp.model, 'test').nll) < 1e-5);
  });
});
