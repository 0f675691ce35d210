import * as tf from '@tensorflow/tfjs-core';
import { FUSED, hasFused, runFused } from './fused.js';

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

/** Whether {@link biasReluScale} runs as fused kernels on the active backend. */
export function hasFusedBiasReluScale(): boolean {
  return hasFused(FUSED.biasReluScale, FUSED.biasReluScaleGrad);
}

/**
 * relu(z + bias) · f with f = f(r) from the host (as {@link scaleByImportance}), as the two fused
 * kernels of @awn/kernels-blas: one pass forward (saving a = relu(z + bias)), one backward giving
 * dz, dbias and Σ dy · a, from which dr = Σ (Σ dy · a) · df/dr. Replaces the bias add, relu,
 * scale and their gradients' seven passes over the [tokens, width] activations. Call only when
 * {@link hasFusedBiasReluScale}.
 */
export function biasReluScale(
  z: tf.Tensor,
  bias: tf.Tensor,
  raw: tf.Tensor,
  f: Float64Array,
  dfdr: Float64Array,
): tf.Tensor {
  const op = tf.customGrad(((zs: tf.Tensor, b: tf.Tensor, r: tf.Tensor, save: tf.GradSaveFunc) => {
    const fT = tf.tensor1d(Float32Array.from(f), 'float32');
    const dT = tf.tensor1d(Float32Array.from(dfdr), 'float32');
    const [y, a] = runFused(FUSED.biasReluScale, { z: zs, bias: b, f: fT });
    save([a, fT, dT]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [as, fs, ds] = saved;
        const [dz, db, perNeuron] = runFused(FUSED.biasReluScaleGrad, { dy, a: as, f: fs });
        return [dz, db, tf.reshape(tf.sum(tf.mul(perNeuron, ds)), r.shape)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (z: tf.Tensor, b: tf.Tensor, r: tf.Tensor) => tf.Tensor;
  return op(z, bias, raw);
}
