/**
 * The in-memory data set every trainer, splitter and batcher in awn agrees on.
 *
 * Data sets are plain typed arrays rather than tensors so that they can be generated, split,
 * sharded and checksummed without a TensorFlow.js backend; the training code turns each batch
 * into tensors at the last moment.
 */

/** What the targets mean: class ids (cross-entropy) or real vectors (regression loss). */
export type Task = 'classification' | 'regression';

/** Fields shared by both kinds of data set. */
interface DatasetBase {
  /** Human-readable name used in logs, errors and run summaries (e.g. `spiral/train`). */
  name: string;
  /** Features per example; `x` holds `n × inputDim` values, row-major. */
  inputDim: number;
  /** Number of model outputs: the class count for classification, the target width otherwise. */
  outputDim: number;
  /** Number of examples. */
  n: number;
  /** Features, `n × inputDim`, row-major. */
  x: Float32Array;
}

/** Examples labelled with one class id each, in `[0, numClasses)`. */
export interface ClassificationDataset extends DatasetBase {
  task: 'classification';
  /** Number of classes; equal to `outputDim` because the model emits one logit per class. */
  numClasses: number;
  /** Class id per example, length `n`. */
  y: Int32Array;
}

/** Examples with a real-valued target vector of width `outputDim` each. */
export interface RegressionDataset extends DatasetBase {
  task: 'regression';
  numClasses?: undefined;
  /** Targets, `n × outputDim`, row-major. */
  y: Float32Array;
}

/** A data set of either task; `task` tells which `y` layout applies. */
export type Dataset = ClassificationDataset | RegressionDataset;

/**
 * Raised when a data set's fields disagree; the message names the data set and the field so that
 * a bad loader or a bad config is found without a debugger.
 */
export class DatasetError extends Error {
  constructor(
    message: string,
    /** The offending field (e.g. `x`, `y[17]`, `inputDim`), or `''` when not field-specific. */
    readonly field: string,
  ) {
    super(message);
    this.name = 'DatasetError';
  }
}

function fail(ds: { name?: unknown }, field: string, problem: string): never {
  const name = typeof ds.name === 'string' && ds.name !== '' ? ds.name : '(unnamed)';
  throw new DatasetError(`Dataset '${name}': field '${field}' ${problem}`, field);
}

function checkCount(ds: Dataset, field: 'inputDim' | 'outputDim' | 'n' | 'numClasses', min: number): number {
  const v: unknown = ds[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    fail(ds, field, `must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

function checkFinite(ds: Dataset, field: 'x' | 'y', data: Float32Array, width: number): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const row = Math.floor(i / width);
      fail(ds, `${field}[${row}][${i - row * width}]`, `is ${data[i]}, but every value must be finite`);
    }
  }
}

/**
 * Checks every structural invariant of a data set and returns it unchanged, so loaders can end
 * with `return validateDataset(...)`. Throws a {@link DatasetError} naming the first bad field:
 * wrong array type, length that disagrees with `n` and the dimensions, a non-finite value, or a
 * class id outside `[0, numClasses)`.
 */
export function validateDataset<T extends Dataset>(ds: T): T {
  if (typeof ds.name !== 'string' || ds.name === '') fail(ds, 'name', 'must be a non-empty string');
  if (ds.task !== 'classification' && ds.task !== 'regression') {
    fail(ds, 'task', `must be 'classification' or 'regression', got ${String((ds as { task: unknown }).task)}`);
  }
  const n = checkCount(ds, 'n', 0);
  const inputDim = checkCount(ds, 'inputDim', 1);
  const outputDim = checkCount(ds, 'outputDim', 1);
  if (!(ds.x instanceof Float32Array)) fail(ds, 'x', 'must be a Float32Array');
  if (ds.x.length !== n * inputDim) {
    fail(ds, 'x', `has length ${ds.x.length}, expected n × inputDim = ${n} × ${inputDim} = ${n * inputDim}`);
  }
  checkFinite(ds, 'x', ds.x, inputDim);
  if (ds.task === 'classification') {
    const numClasses = checkCount(ds, 'numClasses', 1);
    if (outputDim !== numClasses) fail(ds, 'outputDim', `is ${outputDim} but must equal numClasses (${numClasses})`);
    if (!(ds.y instanceof Int32Array)) fail(ds, 'y', 'must be an Int32Array of class ids for classification');
    if (ds.y.length !== n) fail(ds, 'y', `has length ${ds.y.length}, expected n = ${n}`);
    for (let i = 0; i < n; i++) {
      const c = ds.y[i];
      if (c < 0 || c >= numClasses) fail(ds, `y[${i}]`, `is class ${c}, outside [0, ${numClasses})`);
    }
  } else {
    if (ds.numClasses !== undefined) fail(ds, 'numClasses', 'must be absent for regression');
    if (!(ds.y instanceof Float32Array)) fail(ds, 'y', 'must be a Float32Array of targets for regression');
    if (ds.y.length !== n * outputDim) {
      fail(ds, 'y', `has length ${ds.y.length}, expected n × outputDim = ${n} × ${outputDim} = ${n * outputDim}`);
    }
    checkFinite(ds, 'y', ds.y, outputDim);
  }
  return ds;
}

/** Width of one example's target row in `y` (1 for class ids). */
export function targetWidth(ds: Dataset): number {
  return ds.task === 'classification' ? 1 : ds.outputDim;
}

/**
 * Copies the listed rows (in the given order) into a new data set of the same task. Splits and
 * loaders use it so that every subset owns its memory and can be handed to another thread or
 * process without aliasing the parent.
 */
export function selectRows<T extends Dataset>(ds: T, indices: ArrayLike<number>, name: string): T {
  const m = indices.length;
  const x = new Float32Array(m * ds.inputDim);
  const tw = targetWidth(ds);
  const y = ds.task === 'classification' ? new Int32Array(m) : new Float32Array(m * tw);
  for (let k = 0; k < m; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= ds.n) {
      throw new RangeError(`selectRows on '${ds.name}': index ${i} at position ${k} is outside [0, ${ds.n})`);
    }
    x.set(ds.x.subarray(i * ds.inputDim, (i + 1) * ds.inputDim), k * ds.inputDim);
    y.set(ds.y.subarray(i * tw, (i + 1) * tw), k * tw);
  }
  return { ...ds, name, n: m, x, y } as T;
}

/** Number of examples per class; the basis of stratification and of balance checks. */
export function classCounts(ds: ClassificationDataset): number[] {
  const counts = new Array<number>(ds.numClasses).fill(0);
  for (let i = 0; i < ds.n; i++) counts[ds.y[i]]++;
  return counts;
}
