export {
  startMetricsExporter,
  DEFAULT_SNAPSHOT_ENDPOINT,
  DEFAULT_HTTP_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_STALE_AFTER_MS,
} from './exporter.js';
export type { MetricsExporter, MetricsExporterOptions } from './exporter.js';
// The snapshot wire format and the pusher live in @awn/telemetry so producers need not depend on this app.
export { MetricsPusher, SNAPSHOT_WIRE_VERSION, encodeSnapshot, decodeSnapshot } from '@awn/telemetry';
export { runMetricsExporter, parseExporterArgs, EXPORTER_USAGE } from './cli.js';
