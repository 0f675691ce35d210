import * as tf from '@tensorflow/tfjs-core';
import { FUSED, hasFused, runFused } from './fused.js';

/** Default ε added to the variance; the usual Transformer value. */
export const LAYER_NORM_EPSILON = 1e-5;

/**
 * Layer normalisation over the last axis: (x − μ) / √(σ² + ε) · γ + β, with the closed-form
 * backward (as training frameworks fuse it): dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)) with
 * g = dy · γ, dγ = Σ dy · x̂, dβ = Σ dy. Only x̂ and rstd are kept for the backward pass, and it runs
 * about 10 kernels where tfjs's gradients of `moments` and the arithmetic run about 30 and keep every
 * intermediate. With the fused kernels of @awn/kernels-blas (ops/fused.ts) forward and backward are
 * one kernel each.
 */
export function layerNorm(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon = LAYER_NORM_EPSILON,
): tf.Tensor {
  const d = x.shape[x.rank - 1];
  if (hasFused(FUSED.layerNorm, FUSED.layerNormGrad)) return fusedLayerNorm(x, gamma, beta, epsilon);
  const op = tf.customGrad(((xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const mean = tf.mean(xs, -1, true);
    const centred = tf.sub(xs, mean);
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), epsilon));
    const xhat = tf.mul(centred, rstd);
    save([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gs] = saved;
        const gy = tf.mul(dy, gs);
        const dx = tf.mul(rs, tf.sub(tf.sub(gy, tf.mean(gy, -1, true)), tf.mul(xh, tf.mean(tf.mul(gy, xh), -1, true))));
        const rows = (t: tf.Tensor) => tf.reshape(t, [-1, d]);
        return [dx, tf.sum(rows(tf.mul(dy, xh)), 0), tf.sum(rows(dy), 0)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (
    x: tf.Tensor,
    gamma: tf.Tensor,
    beta: tf.Tensor,
  ) => tf.Tensor;
  return op(x, gamma, beta);
}

/** {@link layerNorm} as the two fused kernels. */
function fusedLayerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor {
  const op = tf.customGrad(((xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, xhat, rstd] = runFused(FUSED.layerNorm, { x: xs, gamma: g, beta: b }, { epsilon });
    save([xhat, rstd, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gs] = saved;
        return runFused(FUSED.layerNormGrad, { dy, xhat: xh, rstd: rs, gamma: gs });
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (
    x: tf.Tensor,
    gamma: tf.Tensor,
    beta: tf.Tensor,
  ) => tf.Tensor;
  return op(x, gamma, beta);
}
