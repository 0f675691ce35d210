import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SeedResult } from './repeat-seed.js';
import { formatSummary, meanStd, summarize } from './repeat-summary.js';

function run(seed: number, test: number, widths: number[], cappedSteps = 0): SeedResult {
  const total = widths.reduce((a, b) => a + b, 0);
  return {
    seed,
    steps: 1000,
    evalEvery: 29,
    metric: 'accuracy',
    higherIsBetter: true,
    selected: { step: 500, validation: 1, test, widths, totalWidth: total },
    final: { step: 1000, test, widths, totalWidth: total },
    cappedSteps,
    firstCappedStep: cappedSteps ? 1000 - cappedSteps + 1 : null,
    wallSeconds: 10,
  };
}

describe('awn repeat summary', () => {
  it('mean and sample standard deviation', () => {
    assert.deepEqual(meanStd([2, 4, 4, 4, 5, 5, 7, 9]), { mean: 5, std: Math.sqrt(32 / 7) });
    assert.deepEqual(meanStd([3]), { mean: 3, std: 0 });
  });

  it("aggregates the selected models, lists blow-ups and puts the paper's Table 1 beside them", () => {
    const s = summarize({ name: 'spiral', dataset: 'spiral', config: 'c.json', parallel: 2, wallSeconds: 30 }, [
      run(2, 0.99, [70]),
      run(1, 1, [60]),
      run(3, 0.98, [4096], 12),
    ]);
    assert.deepEqual(s.seeds, [1, 2, 3]);
    assert.ok(Math.abs(s.test.mean - 0.99) < 1e-12);
    assert.ok(Math.abs(s.totalWidth.mean - (60 + 70 + 4096) / 3) < 1e-9);
    assert.deepEqual(s.blowUps, [3]);
    assert.deepEqual(s.paper, { accuracy: 0.998, totalWidth: 65.9 });
    const text = formatSummary(s);
    assert.match(text, /test accuracy\s+99\.0 % ± 1\.0 %\s+99\.8 %/);
    assert.match(text, /total width\s+1408\.7 ± 2327\.3\s+65\.9/);
    assert.match(text, /blow-ups \(a layer at model\.maxWidth\): 1 of 3 \(seeds 3\)/);
    assert.match(text, /^3\s+step 500\s+100\.0 %\s+98\.0 %\s+4096\s+from 989$/m);
  });

  it('has no paper column for data sets outside Table 1', () => {
    const s = summarize({ name: 'digits', dataset: 'mnist', config: 'c.json', parallel: 1, wallSeconds: 5 }, [
      run(1, 0.93, [300, 100]),
    ]);
    assert.equal(s.paper, null);
    assert.match(formatSummary(s), /total width\s+400\.0 ± 0\.0\n/);
  });
});
