/**
 * @awn/core/internal: the public API (./index.ts) plus what the runtime's own processes, tests and
 * benchmarks need and a user of the core should not build on: wire encodings of training state and
 * checkpoints, checkpoint file naming and pruning, the gradient pass on its own, kernels, and the
 * helpers behind data loading. Their shapes may change in any release (docs/architecture.md,
 * "The core's public API").
 */
export * from './index.js';

export { WASM_HEAP_BYTES } from './backend/memory-estimate.js';
export { MASS_FLOOR } from './distributions/index.js';
export { CAPACITY_GROWTH } from './params/parameter.js';
export { reusedBuffer, SCRATCH_HEADROOM } from './params/scratch.js';
export { uploadParameters, disposeParameters, type ParamTensors } from './params/param-tensors.js';
export { activate } from './ops/activation.js';
export { matMulFast, batchMatMulFast, setTransposeStrategy } from './ops/matmul.js';
export { embeddingLookup } from './ops/embedding.js';
export { layerNorm, LAYER_NORM_EPSILON } from './ops/layer-norm.js';
export { causalSelfAttention, causalMask, type AttentionWeights } from './ops/attention.js';
export { checkLossConfig } from './loss/elbo.js';
export { flatLayout } from './optim/index.js';
export { WidthCapWatch, widthCapWarning } from './train/width-cap.js';
export { computeGradients, type GradientResult } from './train/gradients.js';
export { disposeBatch } from './train/batch.js';
export { lossConfigAt, checkCompressionSchedule } from './train/compression.js';
export { encodeTrainingState, decodeTrainingState } from './train/training-state.js';
// All of the checkpoint module: its format constants, encoders and file naming.
export * from './checkpoint/index.js';
export {
  selectRows,
  classCounts,
  targetWidth,
  allocateProportionally,
  requireMnistDigits,
  shardBounds,
} from './data/index.js';
export { ShardedCursor, type ShardedCursorOptions, type ShardStep } from './data/sharded-cursor.js';
export { textChunks } from './data/text/index.js';
export { sortClassNames, resolveTextFiles, readUtf8Chunks, validUtf8Prefix } from './data/files/index.js';
export { deriveState } from './random/prng.js';
export { buildModel, loadSplits } from './experiment/index.js';
export { sequenceLengthOf } from './experiment/build-experiment.js';
