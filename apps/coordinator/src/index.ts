export { Coordinator, type CoordinatorOptions, type StepProgress, type PulledState } from './coordinator.js';
export { runCluster, type ClusterRunOptions } from './run-cluster.js';
export { RunDirectory, writeJsonAtomic, defaultRunPath } from './run-dir/run-directory.js';
export { summarizeRun, TRUNCATION_FRACTIONS, type RunSummary } from './run-dir/summarize-run.js';
export { writeReport, renderSvg } from './report/write-report.js';
export { reportCharts } from './report/charts.js';
export { UsageError, RunFailedError } from './errors.js';
