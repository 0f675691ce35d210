export { UsageError } from './errors.js';
export { RunDirectory } from './run-directory.js';
export { defaultRunPath, claimDefaultRunPath } from './run-name.js';
export { RunLock, LOCK_FILE } from './run-lock.js';
export { runOfCheckpointsDir } from './run-files.js';
export { writeJsonAtomic, writeTextAtomic } from './json-file.js';
export { MetricsLog, metricsLine, type MetricsLine } from './metrics-log.js';
export {
  summarizeRun,
  describeScoring,
  endOfRunShares,
  TRUNCATION_FRACTIONS,
  type RunSummary,
} from './summarize-run.js';
export { writeReport, renderSvg } from './report/write-report.js';
export { reportCharts } from './report/charts.js';
export { checkRunPath } from './check-run-path.js';
export {
  DivergenceWatch,
  DivergedError,
  setAsideDiverged,
  divergedMessage,
  divergedError,
  EXPLOSION_FACTOR,
  type Divergence,
  type StepHealth,
} from './divergence.js';
