import * as tf from '@tensorflow/tfjs-core';
import type { BatchSource, DataCursor, TensorBatch } from '../../train/batch.js';
import { TextWindows, type TextWindowsOptions } from './text-windows.js';

/** A rank's stream of training windows as int32 [size, T] tensors (no padding, so no mask). */
export class TextBatchSource implements BatchSource {
  readonly windows: TextWindows;

  constructor(text: Uint8Array, options: TextWindowsOptions) {
    this.windows = new TextWindows(text, options);
  }

  next(): TensorBatch {
    const b = this.windows.next();
    const T = this.windows.sequenceLength;
    return {
      inputs: tf.tensor2d(b.inputs, [b.size, T], 'int32'),
      targets: tf.tensor2d(b.targets, [b.size, T], 'int32'),
      size: b.size,
      epoch: b.epoch,
    };
  }

  cursor(): DataCursor {
    const { epoch, offset } = this.windows.cursor();
    return { epoch, offset };
  }

  restore(cursor: DataCursor): void {
    this.windows.restore({ epoch: cursor.epoch, offset: cursor.offset });
  }
}

/**
 * A whole text once, in order, for evaluation: consecutive windows of `sequenceLength` whose
 * targets cover every byte after the first exactly once. The last window is padded and its
 * padding masked out, so the mean loss is exactly per predicted byte. `maxBytes` scores only a
 * prefix (quick checks).
 */
export function* textChunks(
  text: Uint8Array,
  sequenceLength: number,
  batchSize = 64,
  maxBytes = text.length,
): Generator<TensorBatch> {
  if (!Number.isInteger(sequenceLength) || sequenceLength < 1)
    throw new RangeError(`textChunks: sequenceLength must be a positive integer, got ${sequenceLength}`);
  const bytes = text.subarray(0, Math.min(maxBytes, text.length));
  const predicted = bytes.length - 1;
  if (predicted < 1) throw new RangeError('textChunks: need at least 2 bytes of text');
  const T = sequenceLength;
  const windows = Math.ceil(predicted / T);
  for (let first = 0; first < windows; first += batchSize) {
    const size = Math.min(batchSize, windows - first);
    const inputs = new Int32Array(size * T);
    const targets = new Int32Array(size * T);
    const mask = new Float32Array(size * T);
    for (let k = 0; k < size; k++) {
      const s = (first + k) * T;
      const length = Math.min(T, predicted - s);
      inputs.set(bytes.subarray(s, s + length), k * T);
      targets.set(bytes.subarray(s + 1, s + 1 + length), k * T);
      mask.fill(1, k * T, k * T + length);
    }
    yield {
      inputs: tf.tensor2d(inputs, [size, T], 'int32'),
      targets: tf.tensor2d(targets, [size, T], 'int32'),
      mask: tf.tensor2d(mask, [size, T], 'float32'),
      size,
      epoch: 0,
    };
  }
}
