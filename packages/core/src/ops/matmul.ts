import * as tf from '@tensorflow/tfjs-core';

/**
 * How gradients form the transposed products: 'explicit' transposes first (wasm's own kernel is
 * 10–40× slower on transposed operands), 'native' hands the transpose flags to the kernel (the
 * OpenBLAS kernels, tfjs-node and cpu take them at full speed, so the copy is pure cost).
 * `selectBackend` sets it for the backend it activates.
 */
let transposes: 'explicit' | 'native' = 'explicit';

/** Chooses how matMul gradients handle transposed operands (see {@link matMulFast}). */
export function setTransposeStrategy(strategy: 'explicit' | 'native'): void {
  transposes = strategy;
}

/** The strategy in effect ('native': the backend's matMul takes transpose flags at full speed). */
export function transposeStrategy(): 'explicit' | 'native' {
  return transposes;
}

/**
 * x · w with a gradient built from untransposed matMuls.
 *
 * On the wasm backend matMul is fast only when neither operand is transposed; the transposed
 * forms that tfjs's own gradient uses fall back to a naive loop (775 → 77 ms
 * per MLP step when this was written). An explicit transpose is cheap next to the product it unlocks.
 * Works for 2-D x [n, in] and 3-D x [b, t, in] (flattened to 2-D) against 2-D w [in, out].
 */
export function matMulFast(x: tf.Tensor, w: tf.Tensor2D): tf.Tensor {
  if (x.rank === 2) return matMul2d(x as tf.Tensor2D, w);
  const lead = x.shape.slice(0, -1);
  const inner = x.shape[x.rank - 1];
  const y = matMul2d(tf.reshape(x, [-1, inner]) as tf.Tensor2D, w);
  return tf.reshape(y, [...lead, w.shape[1]]);
}

const matMul2d = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      if (transposes === 'native')
        return [tf.matMul(dy as tf.Tensor2D, ws, false, true), tf.matMul(xs, dy as tf.Tensor2D, true, false)];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy as tf.Tensor2D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/**
 * Batched a · b for attention-style products on [batch, m, k] × [batch, k, n], with the same
 * explicit-transpose gradient as {@link matMulFast}.
 */
export const batchMatMulFast = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [as, bs] = saved as [tf.Tensor3D, tf.Tensor3D];
      if (transposes === 'native')
        return [tf.matMul(dy as tf.Tensor3D, bs, false, true), tf.matMul(as, dy as tf.Tensor3D, true, false)];
      return [
        tf.matMul(dy as tf.Tensor3D, tf.transpose(bs, [0, 2, 1])),
        tf.matMul(tf.transpose(as, [0, 2, 1]), dy as tf.Tensor3D),
      ];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;
