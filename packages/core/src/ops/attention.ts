import * as tf from '@tensorflow/tfjs-core';
import { FUSED, hasFused, runFused } from './fused.js';
import { batchMatMulFast, matMulFast, transposeStrategy } from './matmul.js';

/** Added to the scores of future positions: exp() of it is exactly 0 in float32. */
const MASKED_SCORE = -1e9;

/** The weights of one multi-head self-attention layer. */
export interface AttentionWeights {
  /** Fused query/key/value projection [d, 3d] (columns: q, then k, then v). */
  qkv: tf.Tensor2D;
  qkvBias: tf.Tensor1D;
  /** Output projection [d, d]. */
  out: tf.Tensor2D;
  outBias: tf.Tensor1D;
}

/**
 * Additive causal mask [T, T]: 0 where a query may see a key (key ≤ query), a large negative
 * number elsewhere. Because softmax subtracts the row maximum, the masked entries become exactly
 * 0, so no information flows backwards from later tokens (not even rounding noise).
 */
export function causalMask(length: number): tf.Tensor2D {
  const values = new Float32Array(length * length);
  for (let i = 0; i < length; i++) for (let j = i + 1; j < length; j++) values[i * length + j] = MASKED_SCORE;
  return tf.tensor2d(values, [length, length]);
}

/** [B, T, H·dh] → [B·H, T, dh]. */
function splitHeads(x: tf.Tensor, batch: number, length: number, heads: number): tf.Tensor3D {
  const dh = x.shape[2]! / heads;
  return tf.reshape(tf.transpose(tf.reshape(x, [batch, length, heads, dh]), [0, 2, 1, 3]), [batch * heads, length, dh]);
}

/** [B·H, T, dh] → [B, T, H·dh]. */
function mergeHeads(x: tf.Tensor, batch: number, length: number, heads: number): tf.Tensor {
  const dh = x.shape[2]!;
  return tf.reshape(tf.transpose(tf.reshape(x, [batch, heads, length, dh]), [0, 2, 1, 3]), [batch, length, heads * dh]);
}

/**
 * Causal multi-head self-attention of x [B, T, d]. Every product goes through the
 * explicit-transpose matMuls (wasm's transposed matMul is 10–40× slower). `dropout`, when given,
 * is applied to the attention probabilities (training only; the caller seeds it).
 */
export function causalSelfAttention(
  x: tf.Tensor,
  weights: AttentionWeights,
  heads: number,
  dropout?: (probabilities: tf.Tensor) => tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const [batch, length, d] = x.shape as [number, number, number];
    if (d % heads !== 0) throw new RangeError(`attention: d_model ${d} is not divisible by ${heads} heads`);
    const qkv = tf.add(matMulFast(x, weights.qkv), weights.qkvBias);
    const [q, k, v] = tf.split(qkv, 3, 2).map((t) => splitHeads(t, batch, length, heads));
    // 1/√dh applied to q [B·H, T, dh] rather than to the scores [B·H, T, T]: T/dh times less work.
    const scaled = tf.mul(q, 1 / Math.sqrt(d / heads)) as tf.Tensor3D;
    // q·kᵀ: with transpose flags at full speed (OpenBLAS, cpu) the transposed product needs no copy of k.
    const raw =
      transposeStrategy() === 'native'
        ? tf.matMul(scaled, k, false, true)
        : batchMatMulFast(scaled, tf.transpose(k, [0, 2, 1]) as tf.Tensor3D);
    let probabilities: tf.Tensor = hasFused(FUSED.causalSoftmax, FUSED.softmaxGrad)
      ? causalSoftmax(raw)
      : tf.softmax(tf.add(raw, causalMask(length)), -1);
    if (dropout) probabilities = dropout(probabilities);
    const context = mergeHeads(batchMatMulFast(probabilities as tf.Tensor3D, v), batch, length, heads);
    return tf.add(matMulFast(context, weights.out), weights.outBias);
  });
}

/**
 * Softmax of scores [..., T, T] over keys ≤ query (the mask and the softmax of
 * {@link causalSelfAttention}) as the fused kernels: one pass forward, one backward, no mask tensor.
 */
function causalSoftmax(scores: tf.Tensor): tf.Tensor {
  const op = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y] = runFused(FUSED.causalSoftmax, { x });
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        runFused(FUSED.softmaxGrad, { y: saved[0], dy }, { causal: true }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
  return op(scores);
}
