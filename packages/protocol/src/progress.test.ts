import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STALL_MEDIAN_FACTOR, STALL_WARMUP_FLOORS, StepClock } from './progress.js';

describe('StepClock', () => {
  it('before any step the deadline is the warm-up allowance; then max(floor, 10 × median)', () => {
    const clock = new StepClock(60_000);
    assert.equal(clock.deadlineMs, 60_000 * STALL_WARMUP_FLOORS);
    clock.restart(1000);
    clock.tick(1100); // 100 ms
    clock.tick(1400); // 300 ms
    clock.tick(1600); // 200 ms
    assert.equal(clock.medianMs, 200);
    assert.equal(clock.deadlineMs, 60_000, 'fast steps: the floor');
    const slow = new StepClock(60_000);
    for (const ms of [59_000, 61_000, 60_000, 900_000]) slow.record(ms);
    assert.equal(slow.medianMs, 60_500);
    assert.equal(slow.deadlineMs, STALL_MEDIAN_FACTOR * 60_500, 'a 60 s step gets ten times that');
    assert.match(slow.describe(), /max\(60 s, 10 × median step 60\.50 s\)/);
  });

  it('ignores impossible durations and refuses a non-positive floor', () => {
    const clock = new StepClock(1000);
    clock.record(Number.NaN);
    clock.record(-5);
    assert.equal(clock.medianMs, undefined);
    assert.throws(() => new StepClock(0), /floor must be positive/);
  });
});
