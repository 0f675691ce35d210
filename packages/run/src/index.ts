export { UsageError } from './errors.js';
export { RunDirectory, defaultRunPath } from './run-directory.js';
export { writeJsonAtomic, writeTextAtomic } from './json-file.js';
export { MetricsLog, metricsLine, type MetricsLine } from './metrics-log.js';
export { summarizeRun, TRUNCATION_FRACTIONS, type RunSummary } from './summarize-run.js';
export { writeReport, renderSvg } from './report/write-report.js';
export { reportCharts } from './report/charts.js';
