import { basename, extname } from 'node:path';
import { loadTabularSplits, type Preprocessing } from '../data/files/tabular-source.js';
import { loadTextSplits } from '../data/files/text-source.js';
import { buildExperiment, loadSplits, sequenceLengthOf, type Experiment, type Splits } from './build-experiment.js';
import type { RunConfig } from './config-schema.js';

/** A run's data, loaded: the splits and what was fitted on the training split. */
export interface RunData {
  splits: Splits;
  /** Feature order, class names and standardisation of a CSV / JSONL run. */
  preprocessing?: Preprocessing;
}

/** `data/iris.csv` → `iris`; a glob or directory → its last plain part. */
function nameOf(path: string): string {
  const plain = path.split(/[\\/]/).filter((p) => p && !/[*?[\]{}]/.test(p));
  const last = plain.at(-1) ?? 'data';
  return basename(last, extname(last)) || 'data';
}

/**
 * Loads a run's splits. Built-in data sets are generated or read from their packages; `csv`,
 * `jsonl` and `text` stream the user's files, validated with errors naming file, line and
 * column. `preprocessing` (as saved by the training run) is reused rather than refitted, so
 * evaluation scales features exactly as training did.
 */
export async function loadRunData(
  config: RunConfig,
  options: { preprocessing?: Preprocessing } = {},
): Promise<RunData> {
  const d = config.data;
  if (d.dataset === 'csv' || d.dataset === 'jsonl') {
    const { preprocessing, ...splits } = await loadTabularSplits({
      format: d.dataset,
      name: nameOf(d.path!),
      path: d.path!,
      validationPath: d.validationPath,
      testPath: d.testPath,
      label: d.label!,
      features: d.features,
      task: d.task ?? 'classification',
      delimiter: d.delimiter,
      testFraction: d.testFraction,
      validationFraction: d.validationFraction,
      seed: config.seed,
      standardize: d.standardize,
      preprocessing: options.preprocessing,
    });
    return { splits, preprocessing };
  }
  if (d.dataset === 'text') {
    const splits = await loadTextSplits({
      name: nameOf(d.path!),
      path: d.path!,
      validationPath: d.validationPath,
      testPath: d.testPath,
      testFraction: d.testFraction,
      validationFraction: d.validationFraction,
      sequenceLength: sequenceLengthOf(config),
    });
    return { splits };
  }
  return { splits: loadSplits(config) };
}

/** {@link loadRunData} then {@link buildExperiment}: a run's experiment from any data set. */
export async function createExperiment(
  config: RunConfig,
  shard: { rank?: number; worldSize?: number } = {},
  options: { preprocessing?: Preprocessing } = {},
): Promise<Experiment> {
  return buildExperiment(config, shard, await loadRunData(config, options));
}
