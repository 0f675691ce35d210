import { parseArgs } from 'node:util';
import { createLogger } from '@awn/telemetry';
import {
  DEFAULT_HTTP_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_SNAPSHOT_ENDPOINT,
  DEFAULT_STALE_AFTER_MS,
  startMetricsExporter,
  type MetricsExporterOptions,
} from './exporter.js';

export const EXPORTER_USAGE = `Usage: metrics-exporter [options]

Receives metric snapshots from awn processes over ZeroMQ and serves them to Prometheus.

Options:
  --port N         HTTP port for /metrics and /healthz (default ${DEFAULT_HTTP_PORT})
  --host ADDR      HTTP address to listen on (default ${DEFAULT_HTTP_HOST})
  --listen EP      ZeroMQ endpoint for snapshots (default ${DEFAULT_SNAPSHOT_ENDPOINT});
                   use tcp://0.0.0.0:9465 to accept snapshots from other machines
  --stale-after S  seconds of silence before a process is marked down (default ${DEFAULT_STALE_AFTER_MS / 1000})
  -h, --help       show this help

Environment: AWN_LOG_LEVEL (fatal|error|warn|info|debug|trace|silent),
  AWN_METRICS_CURVE_SECRET_KEY (z85 CURVE secret key; senders then need the public key).`;

/** Turns command-line arguments into exporter options; throws a message naming the bad flag. */
export function parseExporterArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): MetricsExporterOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      listen: { type: 'string' },
      'stale-after': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const port = values.port === undefined ? DEFAULT_HTTP_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be an integer in 0..65535, got '${values.port}'`);
  }
  const listen = values.listen ?? DEFAULT_SNAPSHOT_ENDPOINT;
  if (!/^(tcp|ipc|inproc):\/\/.+/.test(listen)) {
    throw new Error(`--listen must be a ZeroMQ endpoint such as tcp://0.0.0.0:9465, got '${listen}'`);
  }
  const staleSeconds =
    values['stale-after'] === undefined ? DEFAULT_STALE_AFTER_MS / 1000 : Number(values['stale-after']);
  if (!(Number.isFinite(staleSeconds) && staleSeconds > 0)) {
    throw new Error(`--stale-after must be a positive number of seconds, got '${values['stale-after']}'`);
  }
  const secretKey = env['AWN_METRICS_CURVE_SECRET_KEY'];
  return {
    bind: listen,
    http: { host: values.host ?? DEFAULT_HTTP_HOST, port },
    staleAfterMs: staleSeconds * 1000,
    ...(secretKey ? { curve: { secretKey } } : {}),
  };
}

/**
 * Runs the exporter as a process until SIGINT or SIGTERM, then closes it. Resolves to the exit
 * code. The `awn metrics-exporter` command delegates here with its remaining arguments.
 */
export async function runMetricsExporter(argv: readonly string[]): Promise<number> {
  const log = createLogger({ name: 'metrics-exporter' });
  let options: MetricsExporterOptions | 'help';
  try {
    options = parseExporterArgs(argv);
  } catch (error) {
    process.stderr.write(`metrics-exporter: ${(error as Error).message}\n\n${EXPORTER_USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${EXPORTER_USAGE}\n`);
    return 0;
  }
  let exporter;
  try {
    exporter = await startMetricsExporter({ ...options, logger: log });
  } catch (error) {
    log.fatal((error as Error).message);
    return 1;
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log.info({ signal }, 'shutting down');
  await exporter.close();
  return 0;
}
