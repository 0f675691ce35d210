import * as tf from '@tensorflow/tfjs-core';

/** Default ε added to the variance; the usual Transformer value. */
export const LAYER_NORM_EPSILON = 1e-5;

/**
 * Layer normalisation over the last axis: (x − μ) / √(σ² + ε) · γ + β, built from `moments` so
 * every backend (wasm and cpu included) has a gradient for each piece.
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon = LAYER_NORM_EPSILON): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    const normalized = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(normalized, gamma), beta);
  });
}
