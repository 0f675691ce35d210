import { Option } from 'commander';
import type { AdaptiveModel, Experiment, MetricName, Scores } from '@awn/core';
import { endOfRunShares } from '@awn/run';
import { UsageError } from '../errors.js';

export type SplitName = 'test' | 'validation';

/** `--split`, shared by eval and truncate; commander rejects other values with exit code 2. */
export function splitOption(): Option {
  return new Option('--split <name>', 'data split to score on').choices(['test', 'validation']).default('test');
}

/**
 * Scores a model on a split as the end of its run did (a text run's share of data.evalBytes, see
 * endOfRunShares), so `awn eval` of a final checkpoint prints its summary's score; "this run has
 * no validation split" is a usage error.
 */
export function scoreOn(exp: Experiment, model: AdaptiveModel, split: SplitName): Scores {
  if (split === 'validation' && !exp.splits.validation)
    throw new UsageError(
      `--split validation: run ${exp.config.name} has no validation split (its data.validationFraction is 0)`,
    );
  return exp.score(model, split, { share: endOfRunShares(exp)[split] });
}

/** Human label of a metric for table headers. */
export function metricLabel(metric: MetricName): string {
  return { accuracy: 'accuracy', mse: 'mse', bitsPerByte: 'bits/byte' }[metric];
}

/** The headline metric of a score as a table cell: accuracy in percent, the others as numbers. */
export function formatMetric(metric: MetricName, scores: Scores): string {
  const value = scores[metric];
  if (value === undefined) return '-';
  return metric === 'accuracy' ? `${(value * 100).toFixed(2)} %` : value.toPrecision(4);
}

/** Scores as JSON output carries them: every metric the evaluation produced, plus the count. */
export function scoresJson(scores: Scores): Record<string, number> {
  const out: Record<string, number> = { nll: scores.nll, examples: scores.count };
  if (scores.accuracy !== undefined) out.accuracy = scores.accuracy;
  if (scores.mse !== undefined) out.mse = scores.mse;
  if (scores.bitsPerByte !== undefined) out.bitsPerByte = scores.bitsPerByte;
  return out;
}

/** Left-aligned two-column table, one `label  value` row per entry. */
export function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}
