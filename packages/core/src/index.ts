/**
 * @awn/core: adaptive-width neural networks (arXiv 2501.15889) on TensorFlow.js.
 *
 * Layers whose width is learned, models built from them, the negative-ELBO loss, width-aware
 * optimizers, truncation, checkpoints, data sets and a training loop. Nothing distributed: the
 * workers of the cluster plug an all-reduce into {@link fit} through `reduceGradient`.
 *
 * This is the public API (docs/architecture.md, "The core's public API"). The runtime's own
 * processes also use `@awn/core/internal` (./internal.ts): wire encodings, checkpoint file naming,
 * kernels and helpers whose shape may change between releases.
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
  type MemoryEstimate,
} from './backend/memory-estimate.js';

// Importance distributions
export {
  createDistribution,
  ExponentialDistribution,
  PowerLawDistribution,
  softplus,
  inverseSoftplus,
  type DistributionConfig,
  type DistributionFamily,
  type ImportanceDistribution,
  type ExponentialOptions,
  type PowerLawOptions,
} from './distributions/index.js';

// Parameters, layers and models
export { Parameter, withoutInitialValues, type ParameterRole, type Initializer } from './params/parameter.js';
export { AdaptiveDense, type AdaptiveDenseConfig, type WidthChange } from './layers/adaptive-dense.js';
export { ACTIVATIONS, type Activation } from './ops/activation.js';
export { AdaptiveMlp, resolveMlpConfig, type MlpConfig } from './models/mlp.js';
export { widthsOf, ratesOf, parameterCount, updateLayerWidths, type AdaptiveModel, type Task } from './models/model.js';
export { createModel, registerModelKind, type ModelFactory } from './models/registry.js';

// Loss and optimizers
export {
  elbo,
  negativeLogLikelihood,
  weightPrior,
  ratePrior,
  type LossConfig,
  type LossTerms,
  type LossValues,
} from './loss/elbo.js';
export { Adam, Sgd, createOptimizer, type Optimizer, type OptimizerConfig } from './optim/index.js';

// Training, evaluation, truncation
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
export { evaluate, type Scores } from './train/evaluate.js';
export type { TensorBatch, BatchSource, DataCursor } from './train/batch.js';
export { DatasetBatchSource, datasetChunks } from './train/dataset-batches.js';
export type { CompressionSchedule } from './train/compression.js';
export {
  truncate,
  truncationCurve,
  truncationWidths,
  type TruncationTarget,
  type TruncationPoint,
} from './train/truncate.js';
export { saveTrainingState, loadTrainingState, type TrainingState } from './train/training-state.js';

// Checkpoints (format: packages/core/src/checkpoint/FORMAT.md)
export {
  CheckpointError,
  saveCheckpoint,
  loadCheckpoint,
  listCheckpoints,
  latestValidCheckpoint,
  type CheckpointProblem,
  type CheckpointContents,
  type CheckpointTensor,
  type CheckpointFile,
  type SkippedCheckpoint,
  type LatestCheckpointResult,
} from './checkpoint/index.js';

// Data sets
export {
  DatasetError,
  validateDataset,
  doubleMoon,
  spiral,
  spiralHard,
  stratifiedSplit,
  fitStandardizer,
  applyStandardizer,
  standardizeSplit,
  loadMnist,
  MNIST_INPUT_DIM,
  ShardedBatches,
  type Dataset,
  type ClassificationDataset,
  type RegressionDataset,
  type SyntheticOptions,
  type DoubleMoonOptions,
  type SplitOptions,
  type SplitResult,
  type Standardizer,
  type MnistOptions,
  type MnistDigit,
  type Batch,
  type BatchCursor,
  type ShardedBatchesOptions,
} from './data/index.js';
export {
  BYTE_VOCABULARY_SIZE,
  encodeBytes,
  decodeBytes,
  loadMobyDick,
  TextWindows,
  TextBatchSource,
  unigramEntropyBits,
  textSplit,
  isTextSplit,
  type MobyDickCorpus,
  type MobyDickOptions,
  type TextWindowsOptions,
  type TextBatch,
  type TextSplit,
} from './data/text/index.js';
export {
  DataFileError,
  readTable,
  loadTabularSplits,
  loadTextSplits,
  readTextBytes,
  type Table,
  type TableOptions,
  type Preprocessing,
  type TabularSourceOptions,
  type TextSourceOptions,
} from './data/files/index.js';
export { Prng, type PrngState } from './random/prng.js';

// Run configuration shared by the CLI, coordinator and workers
export {
  runConfigSchema,
  DATASET_NAMES,
  FILE_DATASET_NAMES,
  parseRunConfig,
  ConfigError,
  buildExperiment,
  loadRunData,
  createExperiment,
  type RunConfig,
  type RunConfigInput,
  type Experiment,
  type Splits,
  type RunData,
} from './experiment/index.js';
export type { DataSplit, MetricName } from './experiment/build-experiment.js';
export { TEXT_DATASET_NAMES, type MlpModelConfig, type TransformerModelConfig } from './experiment/config-schema.js';

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
