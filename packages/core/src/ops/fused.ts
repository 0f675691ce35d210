import * as tf from '@tensorflow/tfjs-core';

/**
 * Names of the fused kernels @awn/kernels-blas registers on the wasm and cpu backends
 * (packages/kernels-blas/src/fused-kernels.ts, where each one's inputs and outputs are listed). The
 * ops of this folder run them when the active backend has them and plain tfjs ops otherwise, so a
 * backend without the addon computes the same values, only with more kernels.
 */
export const FUSED = {
  layerNorm: 'AwnLayerNorm',
  layerNormGrad: 'AwnLayerNormGrad',
  causalSoftmax: 'AwnCausalSoftmax',
  softmaxGrad: 'AwnSoftmaxGrad',
  softmaxCrossEntropy: 'AwnSoftmaxCrossEntropy',
  softmaxCrossEntropyGrad: 'AwnSoftmaxCrossEntropyGrad',
  embeddingGrad: 'AwnEmbeddingGrad',
  biasReluScale: 'AwnBiasReluScale',
  biasReluScaleGrad: 'AwnBiasReluScaleGrad',
} as const;

/** Whether the active backend has the fused kernel `name` (and its gradient kernel). */
export function hasFused(name: string, grad?: string): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(name, backend) !== undefined && (grad === undefined || tf.getKernel(grad, backend) !== undefined);
}

/** Runs a fused kernel with one or more outputs (inside a custom gradient: it has no gradient of its own). */
export function runFused(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs, attrs) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}
