import * as tf from '@tensorflow/tfjs-core';
import { FUSED, hasFused, runFused } from './fused.js';
import { matMulFast } from './matmul.js';

/**
 * Rows of `table` [vocab, dim] picked by integer `ids` (any shape), giving [...ids.shape, dim].
 *
 * The forward pass is a plain `gather`; the gradient is written as one-hot(ids)ᵀ · dy because
 * `gather`'s own gradient needs `UnsortedSegmentSum`, which the wasm backend lacks. The one-hot matrix is transposed explicitly so the product stays on wasm's
 * fast untransposed matMul. With the fused kernel of @awn/kernels-blas (ops/fused.ts) the gradient
 * is a scatter-add of dy's rows instead. `ids` receive no gradient.
 */
export function embeddingLookup(ids: tf.Tensor, table: tf.Tensor2D): tf.Tensor {
  return tf.tidy(() => {
    const [vocab, dim] = table.shape;
    const flatIds = tf.reshape(tf.cast(ids, 'int32'), [-1]) as tf.Tensor1D;
    const lookup = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
      save([flatIds]);
      return {
        value: tf.gather(t, flatIds),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          if (hasFused(FUSED.embeddingGrad)) return runFused(FUSED.embeddingGrad, { dy, ids: saved[0] }, { vocab });
          // int32 one-hot then a cast: wasm's OneHot writes integer bits into a float32 output.
          const oneHotT = tf.transpose(tf.cast(tf.oneHot(saved[0] as tf.Tensor1D, vocab), 'float32'));
          return [matMulFast(oneHotT, dy as tf.Tensor2D)];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as (t: tf.Tensor2D) => tf.Tensor2D;
    return tf.reshape(lookup(table), [...ids.shape, dim]);
  });
}
