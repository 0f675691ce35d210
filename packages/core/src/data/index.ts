/** Data sets as plain typed arrays: validation, synthetic benchmarks, MNIST, splits, scaling, sharded batches. */
export { DatasetError, validateDataset, selectRows, classCounts, targetWidth } from './dataset.js';
export type { Dataset, ClassificationDataset, RegressionDataset, Task } from './dataset.js';
export { doubleMoon, spiral, spiralHard } from './synthetic.js';
export type { SyntheticOptions, DoubleMoonOptions } from './synthetic.js';
export { stratifiedSplit, allocateProportionally } from './split.js';
export type { SplitOptions, SplitResult } from './split.js';
export { fitStandardizer, applyStandardizer, standardizeSplit } from './standardize.js';
export type { Standardizer } from './standardize.js';
export { loadMnist, requireMnistDigits, MNIST_INPUT_DIM } from './mnist.js';
export type { MnistOptions, MnistDigit } from './mnist.js';
export { ShardedBatches, shardBounds } from './batches.js';
export type { Batch, BatchCursor, ShardedBatchesOptions } from './batches.js';
