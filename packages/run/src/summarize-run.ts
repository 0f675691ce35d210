import { truncationCurve, type AdaptiveModel, type Experiment, type Scores, type TruncationPoint } from '@awn/core';

/** Fractions of neurons kept for the truncation curve of every run. */
export const TRUNCATION_FRACTIONS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

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
  const test = exp.score(model, 'test');
  const validation = exp.splits.validation ? named(exp.score(model, 'validation')) : null;
  // On text the whole curve scores as many bytes as the test score (each point its share), so it
  // costs one evaluation, not one per point: at Transformer scale each is a large forward pass.
  const share = { share: 1 / TRUNCATION_FRACTIONS.length };
  const points = truncationCurve(model, (m) => exp.score(m, 'test', share)[metric] ?? Number.NaN, TRUNCATION_FRACTIONS);
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
