import * as tf from '@tensorflow/tfjs-core';

/**
 * Σ x² as a scalar, with the gradient 2·x·dy written out. tfjs's own (sum then square) builds a
 * host array of ones the size of x and multiplies twice more: for a weight prior over every
 * parameter that is a JS-filled copy of the whole model per step.
 */
export const sumOfSquares = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: tf.sum(tf.square(x)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(saved[0], tf.mul(dy, 2))],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Scalar;
