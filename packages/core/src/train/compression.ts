import type { LossConfig } from '../loss/elbo.js';

/**
 * Dynamic compression (docs/method.md §8): from `startStep` a Gaussian prior on every rate with
 * mean `rateMean` (a rate that means a small width) is switched on, its std shrinking linearly
 * from `startStd` to `endStd` by `endStep`, which pulls widths down without retraining.
 */
export interface CompressionSchedule {
  startStep: number;
  endStep: number;
  rateMean: number;
  startStd: number;
  endStd: number;
}

/** Checks a schedule, naming the bad field. */
export function checkCompressionSchedule(s: CompressionSchedule): void {
  if (!(Number.isInteger(s.startStep) && s.startStep >= 0))
    throw new RangeError(`compression.startStep must be an integer ≥ 0, got ${s.startStep}`);
  if (!(Number.isInteger(s.endStep) && s.endStep >= s.startStep))
    throw new RangeError(`compression.endStep must be an integer ≥ startStep, got ${s.endStep}`);
  if (!(s.rateMean > 0)) throw new RangeError(`compression.rateMean must be > 0, got ${s.rateMean}`);
  if (!(s.startStd > 0)) throw new RangeError(`compression.startStd must be > 0, got ${s.startStd}`);
  if (!(s.endStd > 0)) throw new RangeError(`compression.endStd must be > 0, got ${s.endStd}`);
}

/** The loss config in force at `step` under a compression schedule. */
export function lossConfigAt(base: LossConfig, schedule: CompressionSchedule | undefined, step: number): LossConfig {
  if (!schedule || step < schedule.startStep) return base;
  const span = schedule.endStep - schedule.startStep;
  const t = span === 0 ? 1 : Math.min(1, (step - schedule.startStep) / span);
  return {
    ...base,
    rateMean: schedule.rateMean,
    rateStd: schedule.startStd + t * (schedule.endStd - schedule.startStd),
  };
}
