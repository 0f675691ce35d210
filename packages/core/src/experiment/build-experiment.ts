import type { Dataset } from '../data/dataset.js';
import { doubleMoon, spiral, spiralHard } from '../data/synthetic.js';
import { stratifiedSplit } from '../data/split.js';
import { standardizeSplit } from '../data/standardize.js';
import { loadMnist } from '../data/mnist.js';
import type { LossConfig } from '../loss/elbo.js';
import { AdaptiveMlp } from '../models/mlp.js';
import type { AdaptiveModel } from '../models/model.js';
import { createOptimizer, type Optimizer } from '../optim/index.js';
import { DatasetBatchSource, datasetChunks } from '../train/dataset-batches.js';
import { evaluate, type Scores } from '../train/evaluate.js';
import type { BatchSource } from '../train/batch.js';
import type { RunConfig } from './config-schema.js';

/** Train, validation and test splits of a run. */
export interface Splits {
  train: Dataset;
  validation: Dataset | undefined;
  test: Dataset;
}

/** Everything a process needs to train one run's model on its shard. */
export interface Experiment {
  config: RunConfig;
  splits: Splits;
  model: AdaptiveModel;
  optimizer: Optimizer;
  loss: LossConfig;
  /** This rank's stream of training batches. */
  train: BatchSource;
  /** Scores any model of this run (e.g. a truncated one) on a split. */
  score(model: AdaptiveModel, split: 'validation' | 'test' | 'train'): Scores;
  /** Name of the headline metric ('accuracy' or 'mse') and whether higher is better. */
  metric: { name: 'accuracy' | 'mse'; higherIsBetter: boolean };
}

/** Loads or generates the run's data and splits it; deterministic in the config's seed. */
export function loadSplits(config: RunConfig): Splits {
  const { data, seed } = config;
  let splits: Splits;
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
    const s = stratifiedSplit(generate(seed), { testFraction: data.testFraction, validationFraction: data.validationFraction, seed });
    splits = { train: s.train, validation: s.validation.n > 0 ? s.validation : undefined, test: s.test };
  }
  if (data.standardize) {
    const std = standardizeSplit({ train: splits.train, validation: splits.validation ?? splits.test, test: splits.test });
    splits = { train: std.train, validation: splits.validation ? std.validation : undefined, test: std.test };
  }
  return splits;
}

/** Builds the model a config describes for data of the given shape. */
export function buildModel(config: RunConfig, dataset: Dataset): AdaptiveModel {
  const m = config.model;
  return new AdaptiveMlp({
    inputDim: dataset.inputDim,
    outputDim: dataset.outputDim,
    task: dataset.task,
    hiddenLayers: m.hiddenLayers,
    adaptive: m.adaptive,
    initialRate: m.initialRate,
    widths: m.widths,
    maxWidth: m.maxWidth,
    activation: m.activation,
    distribution: m.distribution,
    capacityFactor: m.capacityFactor,
    seed: config.seed,
  });
}

/**
 * Builds a run: data, model, optimizer, loss and this rank's batches. Every rank of a run calls
 * it with the same config and gets the same initial model (the seed keys every draw).
 */
export function buildExperiment(config: RunConfig, shard: { rank?: number; worldSize?: number } = {}): Experiment {
  const splits = loadSplits(config);
  const model = buildModel(config, splits.train);
  const loss: LossConfig = {
    nObservations: config.loss.nObservations ?? splits.train.n,
    weightPriorStd: config.loss.weightPriorStd,
    rateMean: config.loss.rateMean,
    rateStd: config.loss.rateStd,
  };
  const train = new DatasetBatchSource(splits.train, {
    batchSize: config.training.batchSize,
    seed: config.seed,
    rank: shard.rank ?? 0,
    worldSize: shard.worldSize ?? 1,
  });
  const classification = splits.train.task === 'classification';
  return {
    config,
    splits,
    model,
    optimizer: createOptimizer(config.training.optimizer),
    loss,
    train,
    metric: classification ? { name: 'accuracy', higherIsBetter: true } : { name: 'mse', higherIsBetter: false },
    score(m, split) {
      const ds = split === 'validation' ? splits.validation : splits[split];
      if (!ds) throw new RangeError(`this run has no ${split} split (data.validationFraction is 0)`);
      return evaluate(m, datasetChunks(ds));
    },
  };
}
