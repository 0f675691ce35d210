export {
  startMetricsExporter,
  DEFAULT_SNAPSHOT_ENDPOINT,
  DEFAULT_HTTP_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_STALE_AFTER_MS,
} from './exporter.js';
export type { MetricsExporter, MetricsExporterOptions } from './exporter.js';
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
export type { SnapshotBody, SnapshotMessage, DropReason, DecodeResult } from './wire.js';
export { runMetricsExporter, parseExporterArgs, EXPORTER_USAGE } from './cli.js';
