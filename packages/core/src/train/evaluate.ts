import * as tf from '@tensorflow/tfjs-core';
import { negativeLogLikelihood } from '../loss/elbo.js';
import type { AdaptiveModel } from '../models/model.js';
import { disposeParameters, uploadParameters } from '../params/param-tensors.js';
import type { TensorBatch } from './batch.js';

/** Scores of a model on a data split. */
export interface Scores {
  /** Mean negative log-likelihood per example (per token for sequence models), in nats. */
  nll: number;
  /** Classification: share of correct argmax predictions (masked positions excluded). */
  accuracy?: number;
  /** Regression: mean squared error per output. */
  mse?: number;
  /** Sequence models: nll in bits per byte (= per token for byte tokenizers). */
  bitsPerByte?: number;
  /** Examples (or unmasked tokens) scored. */
  count: number;
}

/**
 * Scores a model on batches without training-time behaviour. Parameters are uploaded once;
 * every batch is disposed after use.
 */
export function evaluate(
  model: AdaptiveModel,
  batches: Iterable<TensorBatch>,
  options: { sequence?: boolean } = {},
): Scores {
  const tensors = uploadParameters(model.parameters);
  let nllSum = 0;
  let correct = 0;
  let sqSum = 0;
  let count = 0;
  let outputsPerExample = 1;
  try {
    for (const batch of batches) {
      try {
        const [n, nll, hits, sq] = tf.tidy(() => {
          const outputs = model.forward(tensors, batch.inputs, false);
          const weight = batch.mask ? tf.sum(tf.cast(batch.mask, 'float32')) : tf.scalar(batch.size);
          const meanNll = negativeLogLikelihood(model.task, outputs, batch.targets, batch.mask);
          if (model.task === 'classification') {
            let right = tf.cast(tf.equal(tf.argMax(outputs, -1), tf.cast(batch.targets, 'int32')), 'float32');
            if (batch.mask) right = tf.mul(right, tf.cast(batch.mask, 'float32'));
            return [weight, meanNll, tf.sum(right), tf.scalar(0)].map((t) => t.dataSync()[0]);
          }
          outputsPerExample = outputs.shape[outputs.rank - 1];
          return [weight, meanNll, tf.scalar(0), tf.sum(tf.square(tf.sub(outputs, batch.targets)))].map(
            (t) => t.dataSync()[0],
          );
        });
        nllSum += nll * n;
        correct += hits;
        sqSum += sq;
        count += n;
      } finally {
        batch.inputs.dispose();
        batch.targets.dispose();
        batch.mask?.dispose();
      }
    }
  } finally {
    disposeParameters(tensors);
  }
  if (count === 0) throw new RangeError('evaluate: no examples to score');
  const scores: Scores = { nll: nllSum / count, count };
  if (model.task === 'classification') scores.accuracy = correct / count;
  else scores.mse = sqSum / (count * outputsPerExample);
  if (options.sequence) scores.bitsPerByte = scores.nll / Math.LN2;
  return scores;
}
