import type * as tf from '@tensorflow/tfjs-core';

/** One rank's share of a global batch, as tensors (the consumer disposes them). */
export interface TensorBatch {
  inputs: tf.Tensor;
  targets: tf.Tensor;
  /** 0/1 weights removing padding from the likelihood (sequence models). */
  mask?: tf.Tensor;
  /** Number of examples this rank holds; weights its gradient in the all-reduce. */
  size: number;
  /** Epoch this batch belongs to, for progress reports. */
  epoch: number;
}

/** Where the data cursor stands, so a checkpoint resumes mid-epoch exactly. */
export type DataCursor = Record<string, number>;

/** An endless, deterministic stream of batches for one rank. */
export interface BatchSource {
  next(): TensorBatch;
  cursor(): DataCursor;
  restore(cursor: DataCursor): void;
}

/** Disposes a batch's tensors. */
export function disposeBatch(batch: TensorBatch): void {
  batch.inputs.dispose();
  batch.targets.dispose();
  batch.mask?.dispose();
}
