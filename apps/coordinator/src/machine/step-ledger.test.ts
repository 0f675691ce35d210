import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STALL_WARMUP_FLOORS, withEnvelope, type StepDoneMessage } from '@awn/protocol';
import { StepLedger } from './step-ledger.js';

function report(step: number, sender: number, generation = 0, widthHash = 7, samples = 8): StepDoneMessage {
  return withEnvelope({ runId: 'r', generation, step, sender }, 'step-done', {
    widthHash,
    samples,
    loss: 1.5,
    timings: { computeMs: 1, allreduceMs: 2, updateMs: 3, totalMs: 6 },
    epoch: 0,
    widths: [4],
    rates: [0.1],
    lossTerms: { nll: 1, weightPrior: 0.25, ratePrior: 0.25 },
    widthChanges: 0,
  });
}

describe('StepLedger', () => {
  it("a step completes when every rank of its ring reported it; its samples are the ring's", () => {
    const ledger = new StepLedger(0, 60_000, 0);
    ledger.ringFormed(0, 2, 0);
    assert.equal(ledger.report(report(1, 0), 10).kind, 'pending');
    const done = ledger.report(report(1, 1), 20);
    assert.equal(done.kind, 'step');
    assert.equal(done.kind === 'step' && done.progress.samples, 16);
    assert.equal(ledger.lastCompleted, 1);
    assert.equal(ledger.report(report(1, 0), 30).kind, 'pending', 'a late duplicate is ignored');
  });

  it('ranks that disagree on the widths are named', () => {
    const ledger = new StepLedger(0, 60_000, 0);
    ledger.ringFormed(0, 2, 0);
    ledger.report(report(1, 0, 0, 7), 1);
    const outcome = ledger.report(report(1, 1, 0, 8), 2);
    assert.deepEqual(outcome.kind === 'disagree' && outcome.ranks, [0, 1]);
  });

  it("a ring that broke: reports up to the new ring's start are completed and scaled to the whole ring; later ones wait for the redo", () => {
    const ledger = new StepLedger(0, 60_000, 0);
    ledger.ringFormed(0, 3, 0);
    ledger.report(report(1, 0), 1);
    ledger.report(report(1, 1), 1);
    ledger.report(report(2, 0), 2);
    ledger.ringFormed(1, 2, 3);
    const flushed = ledger.flush(1, 3);
    assert.deepEqual(
      flushed.map((p) => [p.step, p.samples]),
      [[1, 24]],
    );
    assert.equal(ledger.report(report(2, 0, 1), 4).kind, 'pending');
    assert.equal(ledger.report(report(2, 1, 1), 5).kind, 'step', 'the new ring redid step 2');
  });

  it('stalls only past max(floor, 10 × median step), or the warm-up allowance before any step', () => {
    const ledger = new StepLedger(0, 1000, 0);
    ledger.ringFormed(0, 1, 0);
    assert.equal(ledger.stalled(1000 * STALL_WARMUP_FLOORS - 1), undefined, 'first step: the warm-up floors');
    assert.ok(ledger.stalled(1000 * STALL_WARMUP_FLOORS + 1));
    for (let step = 1; step <= 5; step++) ledger.report(report(step, 0), step * 500);
    assert.equal(ledger.clock.medianMs, 500);
    assert.equal(ledger.stalled(2500 + 5000), undefined, '10 × 500 ms since the last step is not a stall yet');
    const stall = ledger.stalled(2500 + 5001);
    assert.match(stall!.rule, /10 × median step 0\.50 s/);
  });
});
