import * as tf from '@tensorflow/tfjs-core';

/**
 * a · f with f = f(r) precomputed on the host together with df/dr: one multiply forward, and
 * backward da = dy · f and dr = Σ (dy · a) · df/dr. Equivalent to building f from tensor ops
 * (the distributions' `importance`) but with a handful of kernels instead of about 30, which
 * matters for narrow layers where per-kernel overhead dominates the step.
 */
export function scaleByImportance(a: tf.Tensor, raw: tf.Tensor, f: Float64Array, dfdr: Float64Array): tf.Tensor {
  const width = f.length;
  const op = tf.customGrad(((x: tf.Tensor, r: tf.Tensor, save: tf.GradSaveFunc) => {
    // Created inside the forward function and saved, so they live exactly as long as the tape.
    const fT = tf.tensor1d(Float32Array.from(f), 'float32');
    const dT = tf.tensor1d(Float32Array.from(dfdr), 'float32');
    save([x, fT, dT]);
    return {
      value: tf.mul(x, fT),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, fs, ds] = saved;
        const perNeuron = tf.sum(tf.reshape(tf.mul(dy, xs), [-1, width]), 0);
        return [tf.mul(dy, fs), tf.reshape(tf.sum(tf.mul(perNeuron, ds)), r.shape)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor, r: tf.Tensor) => tf.Tensor;
  return op(a, raw);
}
