import * as tf from '@tensorflow/tfjs-core';

/** Activations a hidden layer may use. Bounded ones (relu6, tanh, sigmoid) keep widths finite. */
export const ACTIVATIONS = ['relu6', 'relu', 'tanh', 'sigmoid', 'gelu', 'linear'] as const;
/** Name of a hidden-layer activation. */
export type Activation = (typeof ACTIVATIONS)[number];

/** Applies an activation by name. */
export function activate(x: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'relu6':
      return tf.relu6(x);
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'gelu':
      // tanh approximation; tfjs-core has no erf-based gelu kernel on every backend.
      return tf.tidy(() => {
        const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
        return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
      });
    case 'linear':
      return x;
    default:
      throw new RangeError(`unknown activation '${activation as string}' (expected one of ${ACTIVATIONS.join(', ')})`);
  }
}
