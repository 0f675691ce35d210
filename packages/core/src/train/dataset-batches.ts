import * as tf from '@tensorflow/tfjs-core';
import { ShardedBatches, type ShardedBatchesOptions } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import type { BatchSource, DataCursor, TensorBatch } from './batch.js';

function toTensors(
  dataset: Dataset,
  x: Float32Array,
  y: Int32Array | Float32Array,
  size: number,
  epoch: number,
): TensorBatch {
  const inputs = tf.tensor2d(x, [size, dataset.inputDim], 'float32');
  const targets =
    dataset.task === 'classification'
      ? tf.tensor1d(y as Int32Array, 'int32')
      : tf.tensor2d(y as Float32Array, [size, dataset.outputDim], 'float32');
  return { inputs, targets, size, epoch };
}

/** A rank's training stream over an in-memory data set, as tensors. */
export class DatasetBatchSource implements BatchSource {
  readonly batches: ShardedBatches;

  constructor(
    readonly dataset: Dataset,
    options: ShardedBatchesOptions,
  ) {
    this.batches = new ShardedBatches(dataset, options);
  }

  next(): TensorBatch {
    const b = this.batches.next();
    return toTensors(this.dataset, b.x, b.y, b.size, b.epoch);
  }

  cursor(): DataCursor {
    const { epoch, offset } = this.batches.cursor();
    return { epoch, offset };
  }

  restore(cursor: DataCursor): void {
    this.batches.restore({ epoch: cursor.epoch, offset: cursor.offset });
  }
}

/** The whole data set once, in order, in chunks of `batchSize` (for evaluation). */
export function* datasetChunks(dataset: Dataset, batchSize = 1024): Generator<TensorBatch> {
  const outDim = dataset.task === 'classification' ? 1 : dataset.outputDim;
  for (let start = 0; start < dataset.n; start += batchSize) {
    const size = Math.min(batchSize, dataset.n - start);
    const x = dataset.x.subarray(start * dataset.inputDim, (start + size) * dataset.inputDim);
    const y = dataset.y.subarray(start * outDim, (start + size) * outDim);
    yield toTensors(dataset, x, y, size, 0);
  }
}
