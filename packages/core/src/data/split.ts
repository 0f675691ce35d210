/**
 * Train / validation / test splits as the paper makes them (docs/method.md §10): 20 % test, 10 % of
 * the remainder for validation, stratified by class, with a fixed seed, so that every rank and
 * every rerun sees the same three sets.
 */
import { Prng } from '../random/prng.js';
import { selectRows, type Dataset } from './dataset.js';

/** How to split; the fractions default to the paper's. */
export interface SplitOptions {
  /** Share of each class that goes to the test set (default 0.2). */
  testFraction?: number;
  /** Share of what remains after the test set that goes to validation (default 0.1). */
  validationFraction?: number;
  /** Seed of the shuffle; the same seed always gives the same split. */
  seed: number;
}

/** The three subsets, plus the row indices into the source so callers can audit or reproduce them. */
export interface SplitResult<T extends Dataset> {
  train: T;
  validation: T;
  test: T;
  indices: { train: Int32Array; validation: Int32Array; test: Int32Array };
}

const TAG_SPLIT = 0x73706c74;

function checkFraction(name: string, f: number): void {
  if (!Number.isFinite(f) || f < 0 || f >= 1)
    throw new RangeError(`stratifiedSplit: ${name} must be in [0, 1), got ${f}`);
}

/**
 * Splits a data set into train, validation and test. Classification data is stratified: each
 * class is shuffled and cut separately (`round(n_c · testFraction)` to test, then
 * `round(rest · validationFraction)` to validation), so class proportions survive in every subset
 * even for small classes. Regression data gets the same cut on one seeded permutation. Each subset
 * is shuffled again so its rows are not grouped by class. The subsets are disjoint and together
 * hold every row exactly once.
 */
export function stratifiedSplit<T extends Dataset>(ds: T, options: SplitOptions): SplitResult<T> {
  const testFraction = options.testFraction ?? 0.2;
  const validationFraction = options.validationFraction ?? 0.1;
  checkFraction('testFraction', testFraction);
  checkFraction('validationFraction', validationFraction);
  if (!Number.isSafeInteger(options.seed))
    throw new RangeError(`stratifiedSplit: seed must be a safe integer, got ${options.seed}`);
  const rng = Prng.fromKey(options.seed, TAG_SPLIT);

  const groups: number[][] = [];
  if (ds.task === 'classification') {
    for (let c = 0; c < ds.numClasses; c++) groups.push([]);
    for (let i = 0; i < ds.n; i++) groups[ds.y[i]].push(i);
  } else {
    groups.push(Array.from({ length: ds.n }, (_, i) => i));
  }

  const train: number[] = [];
  const validation: number[] = [];
  const test: number[] = [];
  for (const group of groups) {
    rng.shuffle(group);
    const nTest = Math.round(group.length * testFraction);
    const nVal = Math.round((group.length - nTest) * validationFraction);
    // Plain loops: spreading a large class into push() would overflow the argument stack.
    for (let k = 0; k < group.length; k++) (k < nTest ? test : k < nTest + nVal ? validation : train).push(group[k]);
  }
  const indices = {
    train: rng.shuffle(Int32Array.from(train)),
    validation: rng.shuffle(Int32Array.from(validation)),
    test: rng.shuffle(Int32Array.from(test)),
  };
  return {
    train: selectRows(ds, indices.train, `${ds.name}/train`),
    validation: selectRows(ds, indices.validation, `${ds.name}/validation`),
    test: selectRows(ds, indices.test, `${ds.name}/test`),
    indices,
  };
}

/**
 * Divides `total` among groups in proportion to their sizes (largest-remainder rounding, ties to
 * the lower index), never giving a group more than it has. Used to draw class-balanced subsets of
 * a requested size.
 */
export function allocateProportionally(total: number, sizes: readonly number[]): number[] {
  const available = sizes.reduce((a, b) => a + b, 0);
  if (!Number.isSafeInteger(total) || total < 0 || total > available) {
    throw new RangeError(`allocateProportionally: total must be an integer in [0, ${available}], got ${total}`);
  }
  if (available === 0) return sizes.map(() => 0);
  const exact = sizes.map((s) => (total * s) / available);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, rem: e - out[i] })).sort((a, b) => b.rem - a.rem || a.i - b.i);
  for (const { i } of order) {
    if (left === 0) break;
    if (out[i] < sizes[i]) {
      out[i]++;
      left--;
    }
  }
  return out;
}
