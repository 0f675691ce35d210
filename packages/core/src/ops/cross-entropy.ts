import * as tf from '@tensorflow/tfjs-core';
import { FUSED, hasFused, runFused } from './fused.js';

/**
 * −log softmax(logits)[label] per row: logits [..., classes], int32 labels [...] → [...]. A label
 * outside [0, classes) scores 0 (its one-hot row is empty). With the fused kernels of
 * @awn/kernels-blas (ops/fused.ts) forward and backward are one pass each, saving only the
 * probabilities; otherwise tfjs's logSoftmax, oneHot, multiply and sum.
 */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor {
  if (!hasFused(FUSED.softmaxCrossEntropy, FUSED.softmaxCrossEntropyGrad)) {
    return tf.tidy(() => {
      const onehot = tf.oneHot(labels as tf.Tensor1D, logits.shape[logits.rank - 1]);
      return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), onehot), -1));
    });
  }
  const op = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const [loss, p] = runFused(FUSED.softmaxCrossEntropy, { logits: x, labels });
    save([p, labels]);
    return {
      value: loss,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        runFused(FUSED.softmaxCrossEntropyGrad, { p: saved[0], labels: saved[1], dloss: dy })[0],
      ],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
  return op(logits);
}
