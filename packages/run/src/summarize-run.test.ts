// The end of a run reads data.evalBytes in all (summarize-run.ts): test, validation and the
// truncation curve share them, on a real tiny Transformer and Moby-Dick.
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildExperiment, createExperiment, parseRunConfig, selectBackend } from '@awn/core';
import { describeScoring, endOfRunShares, summarizeRun, TRUNCATION_FRACTIONS } from './summarize-run.js';

const config = (data: Record<string, unknown>) =>
  parseRunConfig({
    name: 'end-of-run',
    seed: 4,
    data: { dataset: 'moby-dick', sequenceLength: 16, ...data },
    model: { type: 'transformer', blocks: 1, dModel: 16, heads: 2, context: 16, initialRate: 0.05 },
    training: { steps: 1, batchSize: 2 },
  });

function summary(exp: ReturnType<typeof buildExperiment>) {
  const nan = Number.NaN;
  return summarizeRun({
    exp,
    model: exp.model,
    status: 'completed',
    steps: 0,
    worldSize: 1,
    backend: 'cpu',
    wallSeconds: 1,
    samples: 0,
    lastLoss: { loss: nan, nll: nan, weightPrior: nan, ratePrior: nan },
    checkpoint: null,
  });
}

describe('end-of-run scoring', () => {
  before(() => selectBackend('cpu'));

  it('shares data.evalBytes: a quarter to validation and to the curve, the rest to test', () => {
    const exp = buildExperiment(config({ evalBytes: 1600 }));
    assert.deepEqual(endOfRunShares(exp), { test: 0.5, validation: 0.25, truncation: 0.25 });
    const s = summary(exp);
    assert.equal(s.test.examples, 799, 'the first 800 test bytes: every byte after the first is a target');
    assert.equal(s.validation?.examples, 399);
    assert.equal(s.truncation.points.length, TRUNCATION_FRACTIONS.length);
    assert.match(
      describeScoring(exp),
      /data\.evalBytes = 1600 bytes: 800 bytes of the test split, 400 of the validation split, 400 over the truncation curve's 10 widths/,
    );
    // Each point scores 40 bytes, which a 16-byte window rounds to 2 windows' worth: the curve's
    // point at 1 keeps every neuron, so it matches the test score of those bytes.
    const whole = s.truncation.points.at(-1)!;
    const direct = exp.score(exp.model, 'test', { share: 0.025 }).bitsPerByte!;
    assert.ok(Math.abs(whole.score - direct) < 1e-5, `${whole.score} vs ${direct}`);
  });

  it('without a validation split the test score takes three quarters; without evalBytes splits are whole', async () => {
    // Moby-Dick always holds chapters out for validation; a text file need not.
    const method = fileURLToPath(new URL('../../../docs/method.md', import.meta.url));
    const noValidation = await createExperiment(
      config({ dataset: 'text', path: method, evalBytes: 1600, validationFraction: 0, testFraction: 0.2 }),
    );
    assert.deepEqual(endOfRunShares(noValidation), { test: 0.75, validation: 0, truncation: 0.25 });
    assert.equal(summary(noValidation).test.examples, 1199);
    // 10 points of at least one 17-byte window: 170 bytes, more than a quarter of 400.
    const small = await createExperiment(
      config({ dataset: 'text', path: method, evalBytes: 400, validationFraction: 0, testFraction: 0.2 }),
    );
    assert.deepEqual(endOfRunShares(small), { test: 0.575, validation: 0, truncation: 0.425 });
    assert.match(describeScoring(small), /= 400 bytes: 230 bytes of the test split, 170 over the truncation curve/);
    assert.equal(summary(noValidation).validation, null);
    const whole = buildExperiment(config({}));
    assert.deepEqual(endOfRunShares(whole), { test: 1, validation: 1, truncation: 1 });
    assert.match(describeScoring(whole), /test and validation splits, then the truncation curve/);
  });
});
