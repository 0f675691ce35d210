import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  BACKEND_NAMES,
  CheckpointError,
  ConfigError,
  createExperiment,
  DataFileError,
  decodeTrainingState,
  latestValidCheckpoint,
  loadCheckpoint,
  parseRunConfig,
  selectBackend,
  type BackendInfo,
  type BackendName,
  type CheckpointContents,
  type Experiment,
  type Preprocessing,
  type RunConfig,
  type TrainingState,
} from '@awn/core/internal';
import { UsageError } from '../errors.js';

/** A checkpoint read from disk and turned back into a model, with the run config it was trained with. */
export interface LoadedCheckpoint {
  /** The checkpoint file actually read. */
  path: string;
  state: TrainingState;
  config: RunConfig;
  backend: BackendInfo;
}

/** The `--backend` flag, checked before anything is loaded so a typo fails fast. */
export function checkBackendFlag(name: string | undefined): BackendName | undefined {
  if (name === undefined) return undefined;
  if (!(BACKEND_NAMES as readonly string[]).includes(name))
    throw new UsageError(`--backend must be one of ${BACKEND_NAMES.join(', ')}, got '${name}'`);
  return name as BackendName;
}

/**
 * Reads the checkpoint a user named: a file as is, or for a run directory (or its checkpoints/
 * folder) the newest step checkpoint that verifies. Newer damaged files are skipped with a
 * warning on stderr, as resuming does; a directory with no usable checkpoint is a UsageError.
 */
async function readTarget(target: string): Promise<{ path: string; contents: CheckpointContents }> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(target)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UsageError(`${target} does not exist (expected a run directory or a .awnckpt checkpoint file)`);
    throw new UsageError(`cannot read ${target}: ${(error as Error).message}`);
  }
  if (!isDirectory) {
    try {
      return { path: target, contents: await loadCheckpoint(target) };
    } catch (error) {
      if (error instanceof CheckpointError) throw new UsageError(error.message);
      throw error;
    }
  }
  const folder = basename(target) === 'checkpoints' ? target : join(target, 'checkpoints');
  let found;
  try {
    found = await latestValidCheckpoint(folder);
  } catch (error) {
    if (error instanceof CheckpointError) throw new UsageError(error.message);
    throw error;
  }
  for (const s of found.skipped) process.stderr.write(`awn: warning: skipping ${s.reason}\n`);
  if (!found.latest) {
    const why =
      found.skipped.length > 0
        ? `every checkpoint in ${folder} is damaged`
        : `no step-*.awnckpt checkpoint in ${folder}`;
    throw new UsageError(`${target}: ${why} (is it a run directory written by awn train?)`);
  }
  return { path: found.latest.path, contents: found.latest.contents };
}

/**
 * The run config a checkpoint was trained with: `extra.runConfig`, which `awn train` and the
 * workers store in every checkpoint, else config.json of the run directory around the file.
 */
async function runConfigOf(path: string, contents: CheckpointContents): Promise<RunConfig> {
  const extra = (contents.meta as { extra?: { runConfig?: unknown } }).extra;
  let value = extra?.runConfig;
  let source = `the run config stored in ${path}`;
  if (value === undefined) {
    const configFile = join(dirname(dirname(path)), 'config.json');
    try {
      value = JSON.parse(await readFile(configFile, 'utf8'));
      source = configFile;
    } catch {
      throw new UsageError(
        `${path} carries no run config and ${configFile} could not be read, so its data set is unknown`,
      );
    }
  }
  try {
    return parseRunConfig(value, source);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * Loads a checkpoint for scoring or sampling. The tensor backend is chosen (the flag, else the
 * run's own setting) before the model is rebuilt, so no tensor is created on a default backend.
 */
export async function loadCheckpointTarget(
  target: string,
  backendFlag: BackendName | undefined,
): Promise<LoadedCheckpoint> {
  const { path, contents } = await readTarget(target);
  const config = await runConfigOf(path, contents);
  let backend: BackendInfo;
  try {
    backend = await selectBackend(backendFlag ?? config.backend);
  } catch (error) {
    throw new UsageError(`--backend: ${(error as Error).message}`);
  }
  try {
    return { path, state: decodeTrainingState(contents, path), config, backend };
  } catch (error) {
    if (error instanceof CheckpointError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * The experiment a checkpoint is scored in: the run's data rebuilt from its config (the same seed
 * gives the same splits), with the preprocessing.json the training run saved beside checkpoints/
 * reused as is, so features are scaled with the training statistics. A data file that is gone
 * or changed is a UsageError naming it.
 */
export async function experimentFor(loaded: LoadedCheckpoint): Promise<Experiment> {
  let preprocessing: Preprocessing | undefined;
  try {
    preprocessing = JSON.parse(
      await readFile(join(dirname(dirname(loaded.path)), 'preprocessing.json'), 'utf8'),
    ) as Preprocessing;
  } catch {
    preprocessing = undefined;
  }
  try {
    return await createExperiment(loaded.config, {}, { preprocessing });
  } catch (error) {
    if (error instanceof DataFileError) throw new UsageError(`data: ${error.message}`);
    throw error;
  }
}
