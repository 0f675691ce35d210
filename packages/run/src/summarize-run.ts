import {
  isTextSplit,
  truncationCurve,
  type AdaptiveModel,
  type Experiment,
  type Scores,
  type TruncationPoint,
} from '@awn/core';

/** Fractions of neurons kept for the truncation curve of every run. */
export const TRUNCATION_FRACTIONS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/**
 * How the end of a text run shares `data.evalBytes` (each split's first bytes): a quarter to the
 * validation score, a quarter to the truncation curve (a tenth of that per point, but at least one
 * window each), the rest to the test score (about half); without a validation split the test score
 * also takes the validation's quarter. So the scoring reads evalBytes in all, whatever the model:
 * at 102.6M parameters the three of them at evalBytes each took longer than a short run's training
 * (bench/README.md, "The end of a run"). Without evalBytes a text run scores whole splits (and the
 * curve as much as the test score); other data sets always score their whole test and validation
 * splits. Shares are of evalBytes, as `Experiment.score` takes them.
 */
export function endOfRunShares(exp: Experiment): { test: number; validation: number; truncation: number } {
  const evalBytes = exp.config.data.evalBytes;
  const test = exp.splits.test;
  if (evalBytes === undefined || !isTextSplit(test)) return { test: 1, validation: 1, truncation: 1 };
  const window = test.sequenceLength + 1;
  const points = TRUNCATION_FRACTIONS.length;
  const truncation = (points * Math.max(window, Math.floor(evalBytes / 4 / points))) / evalBytes;
  const validation = exp.splits.validation ? 0.25 : 0;
  return { test: Math.max(window / evalBytes, 1 - validation - truncation), validation, truncation };
}

/** The progress line that says what the end-of-run scoring reads. */
export function describeScoring(exp: Experiment): string {
  const evalBytes = exp.config.data.evalBytes;
  const text = exp.metric.name === 'bitsPerByte';
  if (!text || evalBytes === undefined)
    return `scoring the model: test${exp.splits.validation ? ' and validation' : ''} split${exp.splits.validation ? 's' : ''}, then the truncation curve (${TRUNCATION_FRACTIONS.length} widths)`;
  const shares = endOfRunShares(exp);
  const bytes = (share: number) => Math.round(share * evalBytes);
  const parts = [`${bytes(shares.test)} bytes of the test split`];
  if (shares.validation > 0) parts.push(`${bytes(shares.validation)} of the validation split`);
  parts.push(`${bytes(shares.truncation)} over the truncation curve's ${TRUNCATION_FRACTIONS.length} widths`);
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
