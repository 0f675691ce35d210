/**
 * Per-feature standardisation fitted on the training set only, so validation and test scores are
 * not flattered by statistics of data the model must not see.
 */
import type { Dataset } from './dataset.js';

/** Per-feature mean and standard deviation, JSON-serialisable for configs and checkpoints. */
export interface Standardizer {
  mean: number[];
  std: number[];
}

/**
 * Computes each feature's mean and (population) standard deviation over `train`, in float64.
 * A constant feature gets std 1 so applying the standardizer never divides by zero.
 */
export function fitStandardizer(train: Dataset): Standardizer {
  if (train.n === 0) throw new RangeError(`fitStandardizer: data set '${train.name}' is empty`);
  const d = train.inputDim;
  const sum = new Float64Array(d);
  for (let i = 0; i < train.n; i++) for (let j = 0; j < d; j++) sum[j] += train.x[i * d + j];
  const mean = Array.from(sum, (s) => s / train.n);
  const sq = new Float64Array(d);
  for (let i = 0; i < train.n; i++) {
    for (let j = 0; j < d; j++) {
      const c = train.x[i * d + j] - mean[j];
      sq[j] += c * c;
    }
  }
  const std = Array.from(sq, (s) => {
    const v = Math.sqrt(s / train.n);
    return v > 0 ? v : 1;
  });
  return { mean, std };
}

/** Returns a copy of `ds` with `(x − mean) / std` applied per feature; targets are shared, not copied. */
export function applyStandardizer<T extends Dataset>(ds: T, s: Standardizer): T {
  const d = ds.inputDim;
  if (s.mean.length !== d || s.std.length !== d) {
    throw new RangeError(
      `applyStandardizer: standardizer has ${s.mean.length} features, data set '${ds.name}' has ${d}`,
    );
  }
  const x = new Float32Array(ds.x.length);
  for (let i = 0; i < ds.n; i++) for (let j = 0; j < d; j++) x[i * d + j] = (ds.x[i * d + j] - s.mean[j]) / s.std[j];
  return { ...ds, x };
}

/**
 * Fits on `train` and applies to all three subsets of a split: the usual preprocessing of the
 * synthetic sets, whose raw coordinates reach ±4π.
 */
export function standardizeSplit<T extends Dataset>(split: {
  train: T;
  validation: T;
  test: T;
}): {
  train: T;
  validation: T;
  test: T;
  standardizer: Standardizer;
} {
  const standardizer = fitStandardizer(split.train);
  return {
    train: applyStandardizer(split.train, standardizer),
    validation: applyStandardizer(split.validation, standardizer),
    test: applyStandardizer(split.test, standardizer),
    standardizer,
  };
}
