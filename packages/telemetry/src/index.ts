export {
  METRICS,
  LOSS_TERMS,
  STEP_PHASES,
  SENDER_LABELS,
  SENDER_ROLES,
  metricDefinition,
  isMetricName,
  exposedSeriesNames,
} from './metrics.js';
export type {
  MetricDefinition,
  MetricType,
  MetricUnit,
  MetricSource,
  MetricName,
  CounterName,
  GaugeName,
  HistogramName,
  ProcessMetricName,
  LabelsOf,
  LossTerm,
  StepPhase,
  SenderRole,
} from './metrics.js';
export { MetricsRecorder, seriesKey } from './recorder.js';
export { sampleProblem, labelProblem, isHistogramSample, MAX_LABEL_VALUE_LENGTH, MAX_LAYER_INDEX } from './samples.js';
export type { Labels, MetricSample, ScalarSample, HistogramSample } from './samples.js';
export { createLogger, withContext, resolveLogLevel, LOG_LEVELS, REDACTED_PATHS } from './logger.js';
export type { Logger, LoggerOptions, LogLevel, LogContext } from './logger.js';
export { MetricsPusher } from './pusher.js';
export type { MetricsPusherOptions, PusherStats } from './pusher.js';
export {
  SNAPSHOT_WIRE_VERSION,
  MAX_SAMPLES,
  MAX_RUN_ID_LENGTH,
  DROP_REASONS,
  encodeSnapshot,
  decodeSnapshot,
} from './wire.js';
export type { SnapshotBody, SnapshotMessage, SnapshotDropReason, DecodeResult } from './wire.js';
export { AWN_VERSION } from './version.js';
