/**
 * @awn/core: adaptive-width neural networks (arXiv 2501.15889) on TensorFlow.js.
 *
 * Layers whose width is learned, models built from them, the negative-ELBO loss, width-aware
 * optimizers, truncation, checkpoints, data sets and a training loop. Nothing distributed: the
 * workers of the cluster plug an all-reduce into {@link fit} through `reduceGradient`.
 */

// Tensor backend
export {
  selectBackend,
  BACKEND_NAMES,
  type BackendName,
  type BackendInfo,
  type BackendLogger,
  type BackendOptions,
} from './backend/select-backend.js';
export {
  estimateTrainingMemory,
  formatBytes,
  parseMemorySize,
  WASM_HEAP_BYTES,
  type MemoryEstimate,
} from './backend/memory-estimate.js';

// Importance distributions
export {
  createDistribution,
  ExponentialDistribution,
  PowerLawDistribution,
  softplus,
  inverseSoftplus,
  MASS_FLOOR,
  type DistributionConfig,
  type DistributionFamily,
  type ImportanceDistribution,
  type ExponentialOptions,
  type PowerLawOptions,
} from './distributions/index.js';

// Parameters, layers and models
export { Parameter, CAPACITY_GROWTH, type ParameterRole, type Initializer } from './params/parameter.js';
export { uploadParameters, disposeParameters, type ParamTensors } from './params/param-tensors.js';
export { AdaptiveDense, type AdaptiveDenseConfig, type WidthChange } from './layers/adaptive-dense.js';
export { ACTIVATIONS, activate, type Activation } from './ops/activation.js';
export { matMulFast, batchMatMulFast, setTransposeStrategy } from './ops/matmul.js';
export { AdaptiveMlp, resolveMlpConfig, type MlpConfig } from './models/mlp.js';
export { widthsOf, ratesOf, parameterCount, updateLayerWidths, type AdaptiveModel, type Task } from './models/model.js';
export { createModel, registerModelKind, type ModelFactory } from './models/registry.js';

// Loss and optimizers
export {
  elbo,
  negativeLogLikelihood,
  weightPrior,
  ratePrior,
  checkLossConfig,
  type LossConfig,
  type LossTerms,
  type LossValues,
} from './loss/elbo.js';
export { Adam, Sgd, createOptimizer, flatLayout, type Optimizer, type OptimizerConfig } from './optim/index.js';

// Training
export {
  fit,
  trainStep,
  NonFiniteGradientError,
  type FitOptions,
  type FitResult,
  type StepMetrics,
  type StepTimings,
  type GradientReducer,
} from './train/fit.js';
export { WidthCapWatch, widthCapWarning } from './train/width-cap.js';
export { computeGradients, type GradientResult } from './train/gradients.js';
export { evaluate, type Scores } from './train/evaluate.js';
export { disposeBatch, type TensorBatch, type BatchSource, type DataCursor } from './train/batch.js';
export { DatasetBatchSource, datasetChunks } from './train/dataset-batches.js';
export { lossConfigAt, checkCompressionSchedule, type CompressionSchedule } from './train/compression.js';
export {
  truncate,
  truncationCurve,
  truncationWidths,
  type TruncationTarget,
  type TruncationPoint,
} from './train/truncate.js';
export {
  encodeTrainingState,
  decodeTrainingState,
  saveTrainingState,
  loadTrainingState,
  type TrainingState,
} from './train/training-state.js';

// Checkpoints, data, randomness
export * from './checkpoint/index.js';
export * from './data/index.js';
export { Prng, deriveState, type PrngState } from './random/prng.js';

// Run configuration shared by the CLI, coordinator and workers
export * from './experiment/index.js';

// ---------------------------------------------------------------------------------------------
// Transformer: adaptive-FFN decoder-only language model over bytes (importing this section
// registers model kind 'transformer' for checkpoints and workers)
export {
  TransformerLm,
  TransformerBlock,
  resolveTransformerConfig,
  generate,
  sampleToken,
  BYTE_VOCABULARY,
  type TransformerConfig,
  type ResolvedTransformerConfig,
  type GenerateOptions,
} from './models/transformer/index.js';
export { embeddingLookup } from './ops/embedding.js';
export { layerNorm, LAYER_NORM_EPSILON } from './ops/layer-norm.js';
export { causalSelfAttention, causalMask, type AttentionWeights } from './ops/attention.js';
export * from './data/text/index.js';
export * from './data/files/index.js';
export { sequenceLengthOf, type DataSplit, type MetricName } from './experiment/build-experiment.js';
export { TEXT_DATASET_NAMES, type MlpModelConfig, type TransformerModelConfig } from './experiment/config-schema.js';
