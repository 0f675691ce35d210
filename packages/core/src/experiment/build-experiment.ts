import type { Dataset } from '../data/dataset.js';
import { doubleMoon, spiral, spiralHard } from '../data/synthetic.js';
import { stratifiedSplit } from '../data/split.js';
import { standardizeSplit } from '../data/standardize.js';
import { loadMnist } from '../data/mnist.js';
import { loadMobyDick } from '../data/text/moby-dick.js';
import { TextBatchSource, textChunks } from '../data/text/text-batches.js';
import { isTextSplit, textSplit, type TextSplit } from '../data/text/text-split.js';
import type { DistributionConfig } from '../distributions/index.js';
import type { LossConfig } from '../loss/elbo.js';
import { AdaptiveMlp } from '../models/mlp.js';
import type { AdaptiveModel } from '../models/model.js';
import { TransformerLm } from '../models/transformer/index.js';
import { createOptimizer, type Optimizer } from '../optim/index.js';
import { DatasetBatchSource, datasetChunks } from '../train/dataset-batches.js';
import { evaluate, type Scores } from '../train/evaluate.js';
import type { BatchSource } from '../train/batch.js';
import type { RunConfig } from './config-schema.js';
import type { Preprocessing } from '../data/files/tabular-source.js';

/** One split of a run: a tabular data set, or byte text for sequence models. */
export type DataSplit = Dataset | TextSplit;

/** Train, validation and test splits of a run. */
export interface Splits {
  train: DataSplit;
  validation: DataSplit | undefined;
  test: DataSplit;
}

/** Name of a run's headline metric. */
export type MetricName = 'accuracy' | 'mse' | 'bitsPerByte';

/** Everything a process needs to train one run's model on its shard. */
export interface Experiment {
  config: RunConfig;
  splits: Splits;
  model: AdaptiveModel;
  optimizer: Optimizer;
  loss: LossConfig;
  /** This rank's stream of training batches. */
  train: BatchSource;
  /**
   * A fresh stream for another (rank, world size), for elastic training. With the run's global
   * batch every step draws the same examples whatever the world size; another `batchSize` (keeping
   * the per-worker batch) resumes a restored cursor at the same example.
   */
  trainSource(rank: number, worldSize: number, batchSize?: number): BatchSource;
  /**
   * Scores any model of this run (e.g. a truncated one) on a split. Text splits are scored on their
   * first data.evalBytes bytes (else all of it), times `share` (rounded) when given (at least one window).
   */
  score(model: AdaptiveModel, split: 'validation' | 'test' | 'train', options?: { share?: number }): Scores;
  /** What a CSV / JSONL run fitted on its training split (saved as preprocessing.json). */
  preprocessing?: Preprocessing;
  /** Name of the headline metric ('accuracy', 'mse', or 'bitsPerByte' for text) and whether higher is better. */
  metric: { name: MetricName; higherIsBetter: boolean };
}

/** Window length of a text run: `data.sequenceLength`, else the model's context. */
export function sequenceLengthOf(config: RunConfig): number {
  if (config.model.type !== 'transformer') throw new RangeError(`data set '${config.data.dataset}' is not text`);
  return config.data.sequenceLength ?? config.model.context;
}

/** Loads or generates the run's data and splits it; deterministic in the config's seed. */
export function loadSplits(config: RunConfig): Splits {
  const { data, seed } = config;
  if (data.dataset === 'csv' || data.dataset === 'jsonl' || data.dataset === 'text') {
    throw new RangeError(
      `data set '${data.dataset}' is read from files: load it with loadRunData(config) or createExperiment(config)`,
    );
  }
  if (data.dataset === 'moby-dick') {
    const corpus = loadMobyDick({ validationChapters: data.validationChapters, testChapters: data.testChapters });
    const length = sequenceLengthOf(config);
    return {
      train: textSplit('moby-dick/train', corpus.train, length),
      validation: textSplit('moby-dick/validation', corpus.validation, length),
      test: textSplit('moby-dick/test', corpus.test, length),
    };
  }
  let splits: { train: Dataset; validation: Dataset | undefined; test: Dataset };
  if (data.dataset === 'mnist') {
    const { train, test } = loadMnist({ trainCount: data.trainCount, testCount: data.testCount, seed });
    if (data.validationFraction > 0) {
      const s = stratifiedSplit(train, { testFraction: data.validationFraction, validationFraction: 0, seed });
      splits = { train: s.train, validation: s.test, test };
    } else {
      splits = { train, validation: undefined, test };
    }
  } else {
    const generate = { doublemoon: doubleMoon, spiral, spiralhard: spiralHard }[data.dataset];
    const s = stratifiedSplit(generate(seed), {
      testFraction: data.testFraction,
      validationFraction: data.validationFraction,
      seed,
    });
    splits = { train: s.train, validation: s.validation.n > 0 ? s.validation : undefined, test: s.test };
  }
  if (data.standardize) {
    const std = standardizeSplit({
      train: splits.train,
      validation: splits.validation ?? splits.test,
      test: splits.test,
    });
    splits = { train: std.train, validation: splits.validation ? std.validation : undefined, test: std.test };
  }
  return splits;
}

/** The model's distribution with `model.minRate` folded in as its lower bound. */
function distributionOf(m: RunConfig['model']): DistributionConfig {
  return m.minRate === undefined ? m.distribution : { ...m.distribution, lowerBound: m.minRate };
}

/** Builds the model a config describes for data of the given shape. */
export function buildModel(config: RunConfig, dataset: DataSplit): AdaptiveModel {
  // The schema's model fields are the constructors' options (models/defaults.ts holds the
  // defaults of both): only the tag differs, and the λ bound is folded into the distribution.
  const m = config.model;
  if (m.type === 'transformer') {
    const { type: _tag, minRate: _bound, ...options } = m;
    return new TransformerLm({ ...options, distribution: distributionOf(m), seed: config.seed });
  }
  if (isTextSplit(dataset)) throw new RangeError(`model.type 'mlp' cannot read text data ('${dataset.name}')`);
  const { type: _tag, minRate: _bound, ...options } = m;
  return new AdaptiveMlp({
    ...options,
    inputDim: dataset.inputDim,
    outputDim: dataset.outputDim,
    task: dataset.task,
    distribution: distributionOf(m),
    seed: config.seed,
  });
}

/** Evaluation batch size for text: windows per forward pass. */
const TEXT_EVAL_BATCH = 64;

/**
 * Builds a run: data, model, optimizer, loss and this rank's batches. Every rank of a run calls
 * it with the same config and gets the same initial model (the seed keys every draw). Data sets
 * read from files come loaded in `data` (see loadRunData / createExperiment).
 */
export function buildExperiment(
  config: RunConfig,
  shard: { rank?: number; worldSize?: number } = {},
  data?: { splits: Splits; preprocessing?: Preprocessing },
): Experiment {
  const splits = data?.splits ?? loadSplits(config);
  const model = buildModel(config, splits.train);
  const rank = shard.rank ?? 0;
  const worldSize = shard.worldSize ?? 1;
  const { batchSize } = config.training;
  const text = isTextSplit(splits.train);
  const loss: LossConfig = {
    // N of the ELBO counts likelihood terms: bytes for text, examples otherwise.
    nObservations: config.loss.nObservations ?? (isTextSplit(splits.train) ? splits.train.tokens : splits.train.n),
    weightPriorStd: config.loss.weightPriorStd,
    rateMean: config.loss.rateMean,
    rateStd: config.loss.rateStd,
  };
  const trainSource = (r: number, w: number, b = batchSize): BatchSource =>
    isTextSplit(splits.train)
      ? new TextBatchSource(splits.train.bytes, {
          sequenceLength: splits.train.sequenceLength,
          batchSize: b,
          seed: config.seed,
          rank: r,
          worldSize: w,
        })
      : new DatasetBatchSource(splits.train, { batchSize: b, seed: config.seed, rank: r, worldSize: w });
  const train = trainSource(rank, worldSize);
  const classification = text || (splits.train as Dataset).task === 'classification';
  let metric: Experiment['metric'] = classification
    ? { name: 'accuracy', higherIsBetter: true }
    : { name: 'mse', higherIsBetter: false };
  if (text) metric = { name: 'bitsPerByte', higherIsBetter: false };
  return {
    config,
    splits,
    model,
    optimizer: createOptimizer(config.training.optimizer),
    loss,
    train,
    trainSource,
    metric,
    ...(data?.preprocessing ? { preprocessing: data.preprocessing } : {}),
    score(m, split, options = {}) {
      const ds = split === 'validation' ? splits.validation : splits[split];
      if (!ds) throw new RangeError(`this run has no ${split} split (data.validationFraction is 0)`);
      if (isTextSplit(ds)) {
        const bytes = Math.max(
          ds.sequenceLength + 1,
          Math.round((options.share ?? 1) * (config.data.evalBytes ?? ds.bytes.length)),
        );
        return evaluate(m, textChunks(ds.bytes, ds.sequenceLength, TEXT_EVAL_BATCH, bytes), { sequence: true });
      }
      return evaluate(m, datasetChunks(ds));
    },
  };
}
