export { runConfigSchema, DATASET_NAMES, type RunConfig, type RunConfigInput } from './config-schema.js';
export { parseRunConfig, ConfigError } from './parse-config.js';
export { buildExperiment, buildModel, loadSplits, type Experiment, type Splits } from './build-experiment.js';
export { loadRunData, createExperiment, type RunData } from './load-run-data.js';
export { FILE_DATASET_NAMES } from './config-schema.js';
