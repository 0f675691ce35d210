import { truncationCurve, type AdaptiveModel, type Experiment, type Scores, type TruncationPoint } from '@awn/core';

/** Fractions of neurons kept for the truncation curve of every run. */
export const TRUNCATION_FRACTIONS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/**
 * How the end of a text run shares `data.evalBytes` (each split's first bytes): half to the test
 * score, a quarter to the validation score and a quarter to the truncation curve (each of its
 * points a tenth of that); without a validation split the test score takes three quarters. So the
 * scoring reads evalBytes in all, whatever the model: at 102.6M parameters the three of them at
 * evalBytes each took longer than a short run's training (bench/README.md, "The end of a run").
 * Without evalBytes a text run scores whole splits (and the curve as much as the test score);
 * other data sets always score their whole test and validation splits.
 */
export function endOfRunShares(exp: Experiment): { test: number; validation: number; truncation: number } {
  if (exp.config.data.evalBytes === undefined) return { test: 1, validation: 1, truncation: 1 };
  return exp.splits.validation
    ? { test: 0.5, validation: 0.25, truncation: 0.25 }
    : { test: 0.75, validation: 0, truncation: 0.25 };
}

/** The progress line that says what the end-of-run scoring reads. */
export function describeScoring(exp: Experiment): string {
  const evalBytes = exp.config.data.evalBytes;
  const text = exp.metric.name === 'bitsPerByte';
  if (!text || evalBytes === undefined)
    return `scoring the model: test${exp.splits.validation ? ' and validation' : ''} split${exp.splits.validation ? 's' : ''}, then the truncation curve (${TRUNCATION_FRACTIONS.length} widths)`;
  const shares = endOfRunShares(exp);
  const parts = [`${Math.round(shares.test * evalBytes)} bytes of the test split`];
  if (shares.validation > 0) parts.push(`${Math.round(shares.validation * evalBytes)} of the validation split`);
  parts.push(
    `${Math.round(shares.truncation * evalBytes)} over the truncation curve's ${TRUNCATION_FRACTIONS.length} widths`,
  );
  return `scoring the model on data.evalBytes = ${evalBytes} bytes: ${parts.join(', ')}`;
}

/** Scores named by metric, as summary.json carries them. */
function named(scores: Scores): Record<string, number> {
  const out: Record<string, number> = { nll: scores.nll, examples: scores.count };
  if (scores.accuracy !== undefined) out.accuracy = scores.accuracy;
  if (scores.mse !== undefined) out.mse = scores.mse;
  if (scores.bitsPerByte !== undefined) out.bitsPerByte = scores.bitsPerByte;
  return out;
}

/** What a finished (or interrupted) run reports in summary.json (docs/cli.md describes the run directory). */
export interface RunSummary {
  name: string;
  /** 'failed': the run ended with an error (`reason`); the model is the newest state saved. */
  status: 'completed' | 'interrupted' | 'failed';
  /** Why the run failed (status 'failed' only). */
  reason?: string;
  steps: number;
  epochs: number;
  worldSize: number;
  backend: string;
  wallSeconds: number;
  samplesPerSecond: number;
  widths: number[];
  totalWidth: number;
  rates: number[];
  parameters: number;
  train: { loss: number; nll: number; weightPrior: number; ratePrior: number };
  validation: Record<string, number> | null;
  test: Record<string, number>;
  truncation: { metric: string; points: TruncationPoint[] };
  checkpoint: string | null;
}

/** Scores the final model on validation and test and computes the truncation curve. */
export function summarizeRun(args: {
  exp: Experiment;
  model: AdaptiveModel;
  status: RunSummary['status'];
  reason?: string;
  steps: number;
  worldSize: number;
  backend: string;
  wallSeconds: number;
  samples: number;
  lastLoss: RunSummary['train'];
  checkpoint: string | null;
}): RunSummary {
  const { exp, model } = args;
  const metric = exp.metric.name;
  const shares = endOfRunShares(exp);
  const test = exp.score(model, 'test', { share: shares.test });
  const validation = exp.splits.validation ? named(exp.score(model, 'validation', { share: shares.validation })) : null;
  // Each point of the curve scores its share: the whole curve costs one evaluation, not one per point.
  const point = { share: shares.truncation / TRUNCATION_FRACTIONS.length };
  const points = truncationCurve(model, (m) => exp.score(m, 'test', point)[metric] ?? Number.NaN, TRUNCATION_FRACTIONS);
  const widths = model.adaptiveLayers.map((l) => l.width);
  return {
    name: exp.config.name,
    status: args.status,
    ...(args.reason === undefined ? {} : { reason: args.reason }),
    steps: args.steps,
    epochs: (args.steps * exp.config.training.batchSize) / exp.splits.train.n,
    worldSize: args.worldSize,
    backend: args.backend,
    wallSeconds: args.wallSeconds,
    samplesPerSecond: args.samples / Math.max(args.wallSeconds, 1e-9),
    widths,
    totalWidth: widths.reduce((a, b) => a + b, 0),
    rates: model.adaptiveLayers.map((l) => l.rate ?? Number.NaN),
    parameters: model.parameters.reduce((n, p) => n + p.size, 0),
    train: args.lastLoss,
    validation,
    test: named(test),
    truncation: { metric, points },
    checkpoint: args.checkpoint,
  };
}
